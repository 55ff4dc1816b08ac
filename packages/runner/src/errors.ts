/**
 * @module errors
 * One error class for the runner. `code` is stable and machine-readable; the message says what
 * went wrong and how to fix it. Nothing secret goes into either.
 */

export type RunnerErrorCode =
  | 'invalid_request'
  | 'invalid_allowed_host'
  | 'invalid_option'
  | 'isolation_unavailable'
  | 'sandbox_start_failed'
  | 'runner_closed';

export class RunnerError extends Error {
  override readonly name = 'UMCA_RunnerError';
  readonly code: RunnerErrorCode;

  constructor(code: RunnerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(error: unknown): error is RunnerError {
    return error instanceof RunnerError;
  }
}
