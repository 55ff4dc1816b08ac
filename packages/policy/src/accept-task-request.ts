/**
 * @module accept-task-request
 * An agent task, accepted where it comes in: parsed once, and the outbound hosts its programs may
 * reach compiled once into the egress policy every run of the task is held to.
 */
import { type EgressPolicyV1, type ParsedTaskRequest, taskRequestSchema } from '@umca/contracts';
import { parseOrThrow } from './accept-execution-request.js';
import { createEgressPolicy } from './egress/egress-policy.js';

export interface AcceptedTask {
  readonly request: ParsedTaskRequest;
  readonly egress: EgressPolicyV1;
}

/** Accepts a task request, or throws PolicyError (`invalid_request`, `invalid_allowed_host`). */
export function acceptTaskRequest(body: unknown): AcceptedTask {
  const request = parseOrThrow(taskRequestSchema, 'task request', body);
  return { request, egress: createEgressPolicy(request.allowedOutboundHosts) };
}
