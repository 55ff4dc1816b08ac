/**
 * @module run-routes
 * Runs: list, get, cancel, and each run's event stream. Each route is documented from the
 * contracts and parses its own parameters, so the document and the server cannot disagree.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { executionStatusSchema, type RunRecord, type RunSummary, runIdSchema, runListQuerySchema } from '@umca/contracts';
import { RunError } from '@umca/runs';

import type { AppDeps } from '../app/app-deps.js';
import { readRequestPart } from '../app/read-request-part.js';
import type { EdgeEnv } from '../app/request-id.js';
import { grantWith, ownerFilter, untilExpiry, visibleRun } from '../auth/request-access.js';
import { answer, jsonAnswer, problemAnswer } from '../openapi/answers.js';
import { eventStreamContent } from '../openapi/sse-content.js';
import { RESUME_HEADERS, RESUME_QUERY, resumeOffset, streamEvents } from '../sse/event-stream.js';

const runIdParam = z.object({ id: runIdSchema });
/** The statuses a run ends with: every one but queued and running. */
const FINAL = new Set<string>(executionStatusSchema.options);
const badRunId = problemAnswer('The run id is longer than 200 characters.');

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
  operationId: 'listRuns',
  tags: ['runs'],
  summary: 'List runs, newest first',
  request: { query: runListQuerySchema },
  responses: {
    200: jsonAnswer('A page of runs; `next`, when present, is the `before` of the next, older page.', 'RunList'),
    400: problemAnswer('A query parameter is out of range; the detail names it.'),
  },
});

const getRun = createRoute({
  method: 'get',
  path: '/v1/runs/{id}',
  operationId: 'getRun',
  tags: ['runs'],
  summary: 'One run: its request, status and result',
  request: { params: runIdParam },
  responses: {
    200: jsonAnswer('The run; `result` once it has ended.', 'Run'),
    400: badRunId,
    404: problemAnswer('No such run.'),
  },
});

const cancelRun = createRoute({
  method: 'post',
  path: '/v1/runs/{id}/cancel',
  operationId: 'cancelRun',
  tags: ['runs'],
  summary: 'Cancel a run in progress',
  request: { params: runIdParam },
  responses: {
    202: jsonAnswer('The run is being cancelled; it ends `cancelled`.', 'CancelAccepted'),
    400: badRunId,
    404: problemAnswer('No such run.'),
    409: problemAnswer('The run already ended.'),
  },
});

const runEvents = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/events',
  operationId: 'streamRunEvents',
  tags: ['events'],
  summary: "Stream a run's events (Server-Sent Events)",
  description:
    "Replays the run's events from its start (or after `Last-Event-ID` / `?after=`), then follows live, and ends after `dev.umca.run.ended.v1`. Each event's SSE `id` is its offset. A reconnect after the end answers 204.",
  request: { params: runIdParam, query: RESUME_QUERY, headers: RESUME_HEADERS },
  responses: {
    200: answer("The run's events as Server-Sent Events, each a umca-events v1 CloudEvent.", eventStreamContent()),
    204: answer('The run has ended and there is nothing after the given event.'),
    400: problemAnswer('The run id is too long, or `Last-Event-ID` / `after` is not an event offset.'),
    404: problemAnswer('No such run.'),
  },
});

const runTrace = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/trace',
  operationId: 'getRunTrace',
  tags: ['runs'],
  summary: "A run's spans: the trace of its steps, model calls and executions",
  description:
    'The OpenTelemetry spans this server kept for the run (OpenTelemetry GenAI and OpenInference attributes), by start time. Spans are written a moment after they end, so a running run shows fewer. The same trace id finds the run in any OTLP backend the spans were sent to.',
  request: { params: runIdParam },
  responses: {
    200: jsonAnswer('The run and its spans.', 'RunTrace'),
    400: badRunId,
    404: problemAnswer('No such run, or it has no trace (tracing was off when it ran).'),
  },
});

/** The most spans one trace answer holds (a task of 10 rounds has about 50). */
const MAX_TRACE_SPANS = 2_000;

export function registerRunRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  for (const route of [listRuns, getRun, cancelRun, runEvents, runTrace]) app.openAPIRegistry.registerPath(route);

  app.get('/v1/runs', async (context) => {
    const grant = grantWith(context, 'list_runs');
    const query = readRequestPart(context, 'query', runListQuerySchema);
    const runs = await deps.runs.list({
      limit: query.limit,
      ...(query.before ? { before: query.before } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...ownerFilter(grant),
    });
    const last = runs.at(-1);
    return context.json({ runs: runs.map(summarize), ...(runs.length === query.limit && last ? { next: last.id } : {}) }, 200);
  });

  app.get('/v1/runs/:id', async (context) => {
    const grant = grantWith(context, 'get_run');
    const { id } = readRequestPart(context, 'param', runIdParam);
    return context.json(visibleRun(grant, await deps.runs.get(id)), 200);
  });

  app.get('/v1/runs/:id/trace', async (context) => {
    const grant = grantWith(context, 'get_run');
    const { id } = readRequestPart(context, 'param', runIdParam);
    const run = visibleRun(grant, await deps.runs.get(id));
    if (!run.traceId || !deps.spans) {
      throw new RunError(
        'not_found',
        `run ${id} has no trace: tracing was off when it ran (umca serve --tracing on, the default, keeps one)`,
      );
    }
    const spans = await deps.spans.trace(run.traceId, { limit: MAX_TRACE_SPANS });
    return context.json({ runId: id, traceId: run.traceId, spans }, 200);
  });

  app.post('/v1/runs/:id/cancel', async (context) => {
    const grant = grantWith(context, 'cancel_run');
    const { id } = readRequestPart(context, 'param', runIdParam);
    visibleRun(grant, await deps.runs.get(id));
    await deps.runs.cancel(id);
    return context.json({ runId: id, status: 'cancelling' as const }, 202);
  });

  app.get('/v1/runs/:id/events', async (context) => {
    const grant = grantWith(context, 'get_run');
    const { id } = readRequestPart(context, 'param', runIdParam);
    const after = resumeOffset(context, 0);
    const run = visibleRun(grant, await deps.runs.get(id));
    if (FINAL.has(run.status) && (await deps.bus.read({ after, limit: 1, subject: id })).length === 0) {
      return context.body(null, 204);
    }
    return streamEvents(context, {
      bus: deps.bus,
      after,
      subject: id,
      isLast: (stored) => stored.event.type === 'dev.umca.run.ended.v1',
      ...untilExpiry(grant),
      onClientChange: deps.metrics.sseClients,
      ...deps.sse,
    });
  });
}
