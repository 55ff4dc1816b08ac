/**
 * @module umca-error
 * The base of every error a UMCA package throws on purpose: a stable, machine-readable `code`
 * (each package has its own union), a message that says what went wrong and what to do, the
 * cause, and details for the caller (validation issues, the run concerned). The HTTP and MCP
 * edges turn these into problem+json and tool errors by `code`; nothing else builds a wire error.
 * Nothing secret goes into a message or the details.
 */
export interface UmcaErrorOptions {
  cause?: unknown;
  /** Machine-readable facts for the caller, e.g. `{ issues }` of a failed validation. */
  details?: Record<string, unknown>;
}

export abstract class UmcaError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: Code, message: string, options: UmcaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** True for any UMCA error, whichever package threw it. */
  static isUmcaError(error: unknown): error is UmcaError {
    return error instanceof UmcaError;
  }
}
