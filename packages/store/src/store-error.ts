/**
 * @module store-error
 * The store's one error class: a stable `code` and a message that says what to do.
 */
export type StoreErrorCode = 'open_failed' | 'newer_schema';

export class StoreError extends Error {
  override readonly name = 'UMCA_StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
