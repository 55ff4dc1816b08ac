/**
 * @module errors
 * The runner's error: the sandbox cannot be had here, or did not start. `code` is stable; the
 * message says what went wrong and how to fix it. A run's own failures are results, not errors.
 */
import { UmcaError, type UmcaErrorOptions } from '@umca/contracts';

export type RunnerErrorCode =
  | 'invalid_option'
  | 'isolation_unavailable'
  | 'sandbox_start_failed'
  | 'runner_closed'
  | 'busy'
  | 'not_supported'
  | 'snapshot_refused';

export class RunnerError extends UmcaError<RunnerErrorCode> {
  override readonly name = 'UMCA_RunnerError';

  constructor(code: RunnerErrorCode, message: string, options?: UmcaErrorOptions) {
    super(code, message, options);
  }

  static isInstance(error: unknown): error is RunnerError {
    return error instanceof RunnerError;
  }
}
