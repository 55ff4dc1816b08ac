/**
 * @module run-error
 * The run service's error: a request it cannot start (a model that cannot work here), a run that
 * does not exist, or one that already ended. The HTTP and MCP edges turn it into problem+json or
 * a tool error by `code`; its message says what to fix.
 */
import { UmcaError, type UmcaErrorOptions } from '@umca/contracts';

/**
 * `invalid_request`: the request lacks what it needs (a model, when the server has none);
 * `model_unavailable`: it names a model that cannot work here (an unknown provider, a missing key or
 * file); `not_found`; `already_ended`; `busy`: remote workers have as many runs waiting as the
 * server allows (its details carry `retryAfterSeconds`); `not_supported`: this server cannot do it
 * (agent tasks on a server whose runs execute on remote workers); `not_pausable`: a session whose
 * runtime keeps its state only while it lives was asked to pause; `wrong_language`: a run in
 * another language than its session's.
 */
export type RunErrorCode =
  | 'invalid_request'
  | 'model_unavailable'
  | 'not_found'
  | 'already_ended'
  | 'busy'
  | 'not_supported'
  | 'not_pausable'
  | 'wrong_language';

export class RunError extends UmcaError<RunErrorCode> {
  override readonly name = 'UMCA_RunError';

  constructor(code: RunErrorCode, message: string, options?: UmcaErrorOptions) {
    super(code, message, options);
  }
}
