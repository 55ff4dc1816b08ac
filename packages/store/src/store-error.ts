/**
 * @module store-error
 * The store's one error class: a stable `code` and a message that says what to do.
 */
import { UmcaError, type UmcaErrorOptions } from '@umca/contracts';

/**
 * `open_failed`: the store cannot be opened or reached at start; `newer_schema`: a newer UMCA wrote
 * it; `invalid_url`: a store URL that cannot be used; `unavailable`: it stopped answering (a 503).
 */
export type StoreErrorCode = 'open_failed' | 'newer_schema' | 'unavailable' | 'invalid_url';

export class StoreError extends UmcaError<StoreErrorCode> {
  override readonly name = 'UMCA_StoreError';

  constructor(code: StoreErrorCode, message: string, options?: UmcaErrorOptions) {
    super(code, message, options);
  }
}
