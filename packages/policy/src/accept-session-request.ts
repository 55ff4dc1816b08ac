/**
 * @module accept-session-request
 * A request to open a session (docs/sessions.md), accepted where it comes in: parsed once, its
 * limits and lifetimes defaulted, its `allowedOutboundHosts` compiled once into the egress policy
 * every run of the session is held to.
 */
import { type AcceptedExecutionV1, type AcceptedSessionV1, sessionExecutionRequestSchema, sessionRequestSchema } from '@umca/contracts';
import { parseOrThrow } from './accept-execution-request.js';
import { createEgressPolicy } from './egress/egress-policy.js';

/**
 * Accepts a session request, or throws PolicyError: `invalid_request` (the schema) or
 * `invalid_allowed_host` (an entry that does not follow Spin's syntax).
 *
 * @example
 * const accepted = acceptSessionRequest({ language: 'python', idleTtlSeconds: 600 });
 */
export function acceptSessionRequest(body: unknown): AcceptedSessionV1 {
  const request = parseOrThrow(sessionRequestSchema, 'session request', body);
  return { request, egress: createEgressPolicy(request.allowedOutboundHosts) };
}

/**
 * Accepts a run for a session, or throws PolicyError('invalid_request'). Its egress policy is
 * empty: the session's own policy is the one its runs are held to (the runner session holds it).
 */
export function acceptSessionRunRequest(body: unknown): AcceptedExecutionV1 {
  const request = parseOrThrow(sessionExecutionRequestSchema, 'session run request', body);
  return { request, egress: createEgressPolicy([]) };
}
