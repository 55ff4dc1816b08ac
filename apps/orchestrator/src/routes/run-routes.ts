/**
 * @module run-routes
 * Runs: list, get, cancel, and each run's event stream.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  executionStatusSchema,
  problemSchema,
  type RunRecord,
  type RunSummary,
  runListQuerySchema,
  runListSchema,
  runSchema,
} from '@umca/contracts';

import type { AppDeps } from '../app/app-deps.js';
import type { EdgeEnv } from '../app/request-id.js';
import { resumeOffset, streamEvents } from '../sse/event-stream.js';

const problem = { content: { 'application/problem+json': { schema: problemSchema } } };
const runIdParam = z.object({ id: z.string().min(1).max(200) });
/** The statuses a run ends with: every one but queued and running. */
const FINAL = new Set<string>(executionStatusSchema.options);

function summarize(run: RunRecord): RunSummary {
  const base = {
    id: run.id,
    kind: run.kind,
    status: run.status,
    language: run.language,
    createdAt: run.createdAt,
    ...(run.durationMs === undefined ? {} : { durationMs: run.durationMs }),
    ...(run.result?.reason ? { reason: run.result.reason } : {}),
  };
  if (run.kind === 'task') {
    const denied = run.result?.iterations
      .flatMap((iteration) => iteration.execution.egress)
      .filter((attempt) => attempt.verdict === 'denied');
    return { ...base, lane: 'wasm', ...(run.result ? { verdict: run.result.verdict } : {}), egressDenied: denied?.length ?? 0 };
  }
  return {
    ...base,
    ...(run.result ? { lane: run.result.lane, ...(run.result.runtime ? { runtime: run.result.runtime } : {}) } : {}),
    egressDenied: run.result?.egress.filter((attempt) => attempt.verdict === 'denied').length ?? 0,
  };
}

const listRuns = createRoute({
  method: 'get',
  path: '/v1/runs',
  summary: 'List runs, newest first',
  request: { query: runListQuerySchema },
  responses: {
    200: { description: 'A page of runs.', content: { 'application/json': { schema: runListSchema } } },
    400: { description: 'Bad query.', ...problem },
  },
});

const getRun = createRoute({
  method: 'get',
  path: '/v1/runs/{id}',
  summary: 'One run: its request, status and result',
  request: { params: runIdParam },
  responses: {
    200: { description: 'The run.', content: { 'application/json': { schema: runSchema } } },
    404: { description: 'No such run.', ...problem },
  },
});

const cancelRun = createRoute({
  method: 'post',
  path: '/v1/runs/{id}/cancel',
  summary: 'Cancel a run in progress',
  request: { params: runIdParam },
  responses: {
    202: {
      description: 'The run is being cancelled; it ends `cancelled`.',
      content: { 'application/json': { schema: z.object({ runId: z.string(), status: z.literal('cancelling') }) } },
    },
    404: { description: 'No such run.', ...problem },
    409: { description: 'The run already ended.', ...problem },
  },
});

const runEvents = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/events',
  summary: "Stream a run's events (Server-Sent Events)",
  description:
    "Replays the run's events from its start (or after `Last-Event-ID` / `?after=`), then follows live, and ends after `dev.umca.run.ended.v1`. Each event's SSE `id` is its offset. A reconnect after the end answers 204.",
  request: { params: runIdParam, query: z.object({ after: z.string().optional() }) },
  responses: {
    200: { description: 'An event stream of umca-events v1 (CloudEvents JSON).', content: { 'text/event-stream': { schema: z.string() } } },
    204: { description: 'The run has ended and there is nothing after the given event.' },
    400: { description: 'Bad Last-Event-ID.', ...problem },
    404: { description: 'No such run.', ...problem },
  },
});

export function registerRunRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  app.openapi(listRuns, async (context) => {
    const query = context.req.valid('query');
    const runs = await deps.runs.list({
      limit: query.limit,
      ...(query.before ? { before: query.before } : {}),
      ...(query.status ? { status: query.status } : {}),
    });
    const last = runs.at(-1);
    return context.json({ runs: runs.map(summarize), ...(runs.length === query.limit && last ? { next: last.id } : {}) }, 200);
  });

  app.openapi(getRun, async (context) => {
    const { id } = context.req.valid('param');
    return context.json(await deps.runs.get(id), 200);
  });

  app.openapi(cancelRun, async (context) => {
    const { id } = context.req.valid('param');
    await deps.runs.cancel(id);
    return context.json({ runId: id, status: 'cancelling' as const }, 202);
  });

  app.openapi(runEvents, async (context) => {
    const { id } = context.req.valid('param');
    const run = await deps.runs.get(id);
    const after = resumeOffset(context, 0);
    if (FINAL.has(run.status) && (await deps.bus.read({ after, limit: 1, subject: id })).length === 0) {
      return context.body(null, 204) as never;
    }
    return streamEvents(context, {
      bus: deps.bus,
      after,
      subject: id,
      isLast: (stored) => stored.event.type === 'dev.umca.run.ended.v1',
      onClientChange: deps.metrics.sseClients,
      ...deps.sse,
    }) as never;
  });
}
