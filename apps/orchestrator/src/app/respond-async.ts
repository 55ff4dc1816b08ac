/**
 * @module respond-async
 * `Prefer: respond-async` (RFC 7240) for endpoints that start a run: the run's id and links at
 * once, 202, instead of waiting for its result.
 */
import type { Context } from 'hono';

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
