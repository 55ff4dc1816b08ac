/**
 * @module model-error
 * The gateway's one error class. `code` is stable; the message names the setting to fix. No key
 * or other secret ever goes into a message.
 */
export type ModelErrorCode =
  | 'unknown_provider'
  | 'invalid_model_spec'
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'unreachable'
  | 'unknown_model'
  | 'rate_limited'
  | 'provider_error'
  | 'bad_request'
  | 'unavailable'
  | 'cancelled';

export class ModelError extends Error {
  override readonly name = 'UMCA_ModelError';
  readonly code: ModelErrorCode;
  /** Whether trying the next model in the fallback list makes sense. */
  readonly canFallBack: boolean;

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown; canFallBack?: boolean }) {
    super(message, options);
    this.code = code;
    this.canFallBack = options?.canFallBack ?? !['invalid_model_spec', 'unknown_provider', 'cancelled', 'bad_request'].includes(code);
  }
}
