/**
 * @module accept-execution-request
 * Where an execution request comes in (the HTTP API, an MCP tool, the CLI, a library call), it is
 * parsed once and its `allowedOutboundHosts` compiled once into the egress policy. What comes out
 * is what runners and lanes take; nothing downstream parses it again.
 */
import { type AcceptedExecutionV1, executionRequestSchema } from '@umca/contracts';
import { z } from 'zod';
import { createEgressPolicy } from './egress/egress-policy.js';
import { PolicyError } from './policy-error.js';

/** Parses with `schema`; throws PolicyError('invalid_request') naming every problem, with the issues in its details. */
export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, what: string, body: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new PolicyError('invalid_request', `the ${what} is invalid: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`, {
    details: { issues: parsed.error.issues },
  });
}

/**
 * Accepts an execution request, or throws PolicyError: `invalid_request` (the schema) or
 * `invalid_allowed_host` (an entry that does not follow Spin's syntax).
 *
 * @example
 * const accepted = acceptExecutionRequest({ language: 'python', code: 'print(1)' });
 * await runner.execute(accepted);
 */
export function acceptExecutionRequest(body: unknown): AcceptedExecutionV1 {
  const request = parseOrThrow(executionRequestSchema, 'execution request', body);
  return { request, egress: createEgressPolicy(request.allowedOutboundHosts) };
}
