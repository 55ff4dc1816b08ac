/**
 * @module service-routes
 * The service around the runs: the all-runs event stream, health, readiness, metrics and the
 * JSON Schemas of the contracts.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { type StoredEvent, toJsonSchemas } from '@umca/contracts';
import type { AppDeps } from '../app/app-deps.js';
import { EdgeError } from '../app/edge-error.js';
import { problemResponse } from '../app/problem.js';
import { readRequestPart } from '../app/read-request-part.js';
import type { EdgeEnv } from '../app/request-id.js';
import { grantWith, untilExpiry } from '../auth/request-access.js';
import { answer, jsonAnswer, problemAnswer } from '../openapi/answers.js';
import { eventStreamContent } from '../openapi/sse-content.js';
import { RESUME_HEADERS, RESUME_QUERY, resumeOffset, streamEvents } from '../sse/event-stream.js';

const SCHEMAS = toJsonSchemas();
const SCHEMA_NAMES = Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[];
const schemaParam = z.object({
  name: z.string().max(200).describe('A contract\'s versioned name, e.g. umca.execution.request.v1.json (".json" may be left out).'),
});

const allEvents = createRoute({
  method: 'get',
  path: '/v1/events',
  operationId: 'streamEvents',
  tags: ['events'],
  summary: "Stream every run's events (Server-Sent Events)",
  description:
    'Follows all runs from now on, and never ends by itself; `?after=0` replays from the beginning; `Last-Event-ID` (or `?after=N`) resumes exactly after event N.',
  request: { query: RESUME_QUERY, headers: RESUME_HEADERS },
  responses: {
    200: answer("Every run's events as Server-Sent Events, each a umca-events v1 CloudEvent.", eventStreamContent()),
    400: problemAnswer('`Last-Event-ID` / `after` is not an event offset.'),
  },
});

const health = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  tags: ['service'],
  summary: 'Liveness: the process answers',
  responses: { 200: jsonAnswer('The process is up.', 'Health') },
});

const readiness = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  tags: ['service'],
  summary: 'Readiness: the sandbox and the store are usable',
  responses: {
    200: jsonAnswer('Ready; `dependencies` says how the store, the bus and the work queue are.', 'Readiness'),
    503: problemAnswer('The store does not answer (`store_unavailable`); `dependencies` lists each one.', {
      'Retry-After': { description: 'Seconds to wait before asking again.', schema: { type: 'integer' }, required: true },
    }),
  },
});

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tags: ['service'],
  summary: 'Prometheus metrics',
  responses: {
    200: answer('Metrics in the Prometheus text format (docs/orchestrator.md lists them).', {
      'text/plain': { schema: { type: 'string' } },
    }),
  },
});

const listSchemas = createRoute({
  method: 'get',
  path: '/schemas',
  operationId: 'listSchemas',
  tags: ['service'],
  summary: 'The contracts as JSON Schema: their names',
  responses: { 200: jsonAnswer('Every contract, by versioned name.', 'SchemaIndex') },
});

const getSchema = createRoute({
  method: 'get',
  path: '/schemas/{name}',
  operationId: 'getSchema',
  tags: ['service'],
  summary: 'One contract as JSON Schema (draft 2020-12)',
  request: { params: schemaParam },
  responses: {
    200: answer('The JSON Schema.', { 'application/json': { schema: { type: 'object', additionalProperties: true } } }),
    400: problemAnswer('The name is longer than 200 characters.'),
    404: problemAnswer('No contract has that name; /schemas lists them.'),
  },
});

export function registerServiceRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  for (const route of [allEvents, health, readiness, metrics, listSchemas, getSchema]) app.openAPIRegistry.registerPath(route);

  app.get('/v1/events', async (context) => {
    const grant = grantWith(context, 'list_runs');
    const after = resumeOffset(context, await deps.bus.lastOffset());
    return streamEvents(context, {
      bus: deps.bus,
      after,
      ...(grant.allRuns ? {} : { filter: (stored: StoredEvent) => stored.event.principal === grant.principal.sub }),
      ...untilExpiry(grant),
      onClientChange: deps.metrics.sseClients,
      ...deps.sse,
    });
  });

  app.get('/healthz', (context) => context.json({ status: 'ok' as const }, 200));

  app.get('/readyz', async (context) => {
    const stats = deps.runner?.stats();
    const dependencies = (await deps.dependencies?.()) ?? [];
    const storeDown = dependencies.find((dependency) => dependency.name === 'store' && dependency.status === 'down');
    if (storeDown) {
      return problemResponse(
        context,
        {
          status: 503,
          title: 'Not ready',
          code: 'store_unavailable',
          detail: storeDown.detail ?? 'the store does not answer',
          dependencies,
        },
        { 'retry-after': '5' },
      );
    }
    return context.json(
      {
        status: 'ready' as const,
        isolation: stats?.isolation ?? 'remote',
        activeRuns: deps.runs.activeCount(),
        idleSandboxes: stats?.idleSandboxes ?? 0,
        runtimes: [...new Set(stats?.lanes.flatMap((lane) => lane.runtimes ?? []) ?? [])],
        unavailableRuntimes: (stats?.lanes ?? [])
          .flatMap((lane) => lane.unavailable ?? [])
          .map(({ runtime, reason }) => ({ runtime, reason })),
        lastEventOffset: await deps.bus.lastOffset(),
        workers: stats ? ('local' as const) : ('remote' as const),
        dependencies,
      },
      200,
    );
  });

  app.get('/metrics', async (context) => {
    grantWith(context, 'read_metrics');
    return context.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType });
  });

  app.get('/schemas', (context) => context.json({ schemas: SCHEMA_NAMES.map((name) => ({ name, url: `/schemas/${name}.json` })) }));

  app.get('/schemas/:name', (context) => {
    const file = readRequestPart(context, 'param', schemaParam).name;
    const name = SCHEMA_NAMES.find((known) => file === known || file === `${known}.json`);
    if (!name) throw new EdgeError('not_found', `there is no schema ${file}; /schemas lists them`);
    return context.json(SCHEMAS[name]);
  });
}
