/**
 * @module model-error
 * The gateway's one error class. `code` is stable; the message names the setting to fix. No key
 * or other secret ever goes into a message.
 */
import { UmcaError } from '@umca/contracts';

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

export class ModelError extends UmcaError<ModelErrorCode> {
  override readonly name = 'UMCA_ModelError';
  /** Whether trying the next model in the fallback list makes sense. */
  readonly canFallBack: boolean;

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown; canFallBack?: boolean }) {
    super(code, message, options?.cause === undefined ? {} : { cause: options.cause });
    this.canFallBack = options?.canFallBack ?? !['invalid_model_spec', 'unknown_provider', 'cancelled', 'bad_request'].includes(code);
  }
}
