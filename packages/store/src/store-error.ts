/**
 * @module store-error
 * The store's one error class: a stable `code` and a message that says what to do.
 */
import { UmcaError, type UmcaErrorOptions } from '@umca/contracts';

export type StoreErrorCode = 'open_failed' | 'newer_schema';

export class StoreError extends UmcaError<StoreErrorCode> {
  override readonly name = 'UMCA_StoreError';

  constructor(code: StoreErrorCode, message: string, options?: UmcaErrorOptions) {
    super(code, message, options);
  }
}
