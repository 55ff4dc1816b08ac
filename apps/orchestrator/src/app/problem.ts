/**
 * @module problem
 * Errors on the wire as RFC 9457 problem details (`application/problem+json`). Built only here,
 * at the edge, from the errors the rest of the code throws.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface Problem {
  /** A URI naming the kind of problem; `about:blank` when the status says it all. */
  type?: string;
  title: string;
  status: ContentfulStatusCode;
  /** What happened and what to do about it. */
  detail: string;
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://umca.dev/problems/';

export function problemResponse(context: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  return context.body(JSON.stringify({ type: 'about:blank', ...problem }), problem.status, {
    'content-type': 'application/problem+json',
    ...headers,
  });
}
