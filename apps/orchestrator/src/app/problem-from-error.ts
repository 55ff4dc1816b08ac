/**
 * @module problem-from-error
 * The one place where errors become problem+json: each UMCA error by its stable `code`, a refused
 * request (hono's HTTPException) by its status, a body that is not JSON as a 400. Anything else is
 * a defect of ours: a 500 whose detail says nothing about it (the cause goes to the log).
 */
import { UmcaError } from '@umca/contracts';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Problem } from './problem.js';

/** Status and title of each code a request can meet; codes not here are the server's fault (500). */
const BY_CODE: Readonly<Record<string, { status: ContentfulStatusCode; title: string }>> = {
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_allowed_host: { status: 400, title: 'Invalid allowedOutboundHosts entry' },
  invalid_json: { status: 400, title: 'Invalid JSON' },
  model_unavailable: { status: 400, title: 'Model unavailable' },
  model_failed: { status: 502, title: 'The model failed' },
  policy_denied: { status: 403, title: 'Forbidden by policy' },
  quota_exceeded: { status: 429, title: 'Too many runs' },
  not_found: { status: 404, title: 'Not found' },
  already_ended: { status: 409, title: 'Run already ended' },
  busy: { status: 429, title: 'Too many runs waiting' },
  not_supported: { status: 501, title: 'Not supported by this server' },
  not_pausable: { status: 409, title: 'The session cannot pause' },
  wrong_language: { status: 400, title: "Not the session's language" },
  unavailable: { status: 503, title: 'Service unavailable' },
};

export function problemFromError(error: unknown): Problem {
  if (error instanceof UmcaError) {
    const known = BY_CODE[error.code];
    if (known) return { status: known.status, title: known.title, code: error.code, detail: error.message, ...(error.details ?? {}) };
  }
  if (error instanceof HTTPException) {
    return { status: error.status as ContentfulStatusCode, title: 'Request refused', detail: error.message || 'the request was refused' };
  }
  return { status: 500, title: 'Internal error', detail: 'something went wrong on the server; the error is in its log' };
}
