/**
 * @module respond-async
 * `Prefer: respond-async` (RFC 7240) for endpoints that start a run: the run's id and links at
 * once, 202, instead of waiting for its result.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';

/** The request header, as documented. */
export const PREFER_HEADERS = z.object({
  prefer: z
    .string()
    .optional()
    .describe('`respond-async`: answer 202 with the run id at once instead of waiting for the result (RFC 7240).'),
});

/** The 202's headers, as documented. */
export const ACCEPTED_HEADERS = {
  Location: { description: 'The run: /v1/runs/{id}.', schema: { type: 'string' }, required: true },
  'Preference-Applied': { description: '`respond-async`.', schema: { type: 'string' }, required: true },
};

export function wantsAsync(context: Context): boolean {
  return /\brespond-async\b/i.test(context.req.header('prefer') ?? '');
}

export function acceptedResponse(context: Context, submitted: { runId: string; done: Promise<unknown> }) {
  submitted.done.catch(() => {}); // its outcome is recorded and published; nobody awaits it here
  const links = { run: `/v1/runs/${submitted.runId}`, events: `/v1/runs/${submitted.runId}/events` };
  context.header('location', links.run);
  context.header('preference-applied', 'respond-async');
  return context.json({ runId: submitted.runId, status: 'queued' as const, links }, 202);
}
