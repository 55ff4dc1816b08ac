/**
 * @module umca-api-error
 * A problem the server answered with (RFC 9457 problem+json), kept whole: its message is the
 * server's own `detail`, which says what to fix.
 */
import type { Problem } from './api-types.js';
import { UmcaClientError } from './umca-client-error.js';

/** One reason a request was invalid, as the server lists them in a 400's `issues`. */
export interface ProblemIssue {
  readonly message: string;
  readonly path: readonly PropertyKey[];
  readonly code?: string;
  readonly [field: string]: unknown;
}

export class UmcaApiError extends UmcaClientError {
  override readonly name: string = 'UmcaApiError';
  /** The whole problem, extension fields (`issues`, `runId`, ...) included. */
  readonly problem: Problem;

  constructor(problem: Problem, options?: { cause?: unknown }) {
    super('api_error', problem.detail, options);
    this.problem = problem;
  }

  /** The HTTP status, e.g. 400. */
  get status(): number {
    return this.problem.status;
  }

  get title(): string {
    return this.problem.title;
  }

  /** What went wrong and what to do about it, in the server's words (also the message). */
  get detail(): string {
    return this.problem.detail;
  }

  /** For an invalid request: each problem with its place in the request; otherwise empty. */
  get issues(): readonly ProblemIssue[] {
    return Array.isArray(this.problem.issues) ? (this.problem.issues as ProblemIssue[]) : [];
  }
}
