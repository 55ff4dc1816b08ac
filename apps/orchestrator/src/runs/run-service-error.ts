/**
 * @module run-service-error
 * The orchestrator's error for run operations. The HTTP and MCP edges turn it into a
 * problem+json response or a tool error; its message says what to fix.
 */
export type RunServiceErrorCode = 'invalid_request' | 'not_found' | 'already_ended';

export class RunServiceError extends Error {
  override readonly name = 'UMCA_RunServiceError';
  readonly code: RunServiceErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: RunServiceErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
  }
}
