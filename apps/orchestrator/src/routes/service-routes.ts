/**
 * @module service-routes
 * The service around the runs: the all-runs event stream, health, readiness, metrics, the
 * OpenAPI document and the JSON Schemas.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { problemSchema, toJsonSchemas } from '@umca/contracts';
import type { AppDeps } from '../app/app-deps.js';
import { EdgeError } from '../app/edge-error.js';
import type { EdgeEnv } from '../app/request-id.js';
import { resumeOffset, streamEvents } from '../sse/event-stream.js';

const problem = { content: { 'application/problem+json': { schema: problemSchema } } };

const allEvents = createRoute({
  method: 'get',
  path: '/v1/events',
  summary: "Stream every run's events (Server-Sent Events)",
  description:
    'Follows all runs from now on; `?after=0` replays from the beginning; `Last-Event-ID` (or `?after=N`) resumes exactly after event N.',
  request: { query: z.object({ after: z.string().optional() }) },
  responses: {
    200: { description: 'An event stream of umca-events v1 (CloudEvents JSON).', content: { 'text/event-stream': { schema: z.string() } } },
    400: { description: 'Bad Last-Event-ID.', ...problem },
  },
});

const health = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness',
  responses: {
    200: { description: 'The process is up.', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
  },
});

const readiness = createRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: the sandbox and the store are usable',
  responses: {
    200: {
      description: 'Ready.',
      content: {
        'application/json': {
          schema: z.object({
            status: z.literal('ready'),
            isolation: z.string(),
            activeRuns: z.int(),
            idleSandboxes: z.int(),
            lastEventOffset: z.int(),
          }),
        },
      },
    },
  },
});

export function registerServiceRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  app.openapi(allEvents, async (context) => {
    const after = resumeOffset(context, await deps.bus.lastOffset());
    return streamEvents(context, { bus: deps.bus, after, onClientChange: deps.metrics.sseClients, ...deps.sse }) as never;
  });

  app.openapi(health, (context) => context.json({ status: 'ok' as const }, 200));

  app.openapi(readiness, async (context) => {
    const stats = deps.runner.stats();
    return context.json(
      {
        status: 'ready' as const,
        isolation: stats.isolation,
        activeRuns: deps.runs.activeCount(),
        idleSandboxes: stats.idleSandboxes,
        lastEventOffset: await deps.bus.lastOffset(),
      },
      200,
    );
  });

  app.get('/metrics', async (context) =>
    context.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );

  const schemas = toJsonSchemas();
  app.get('/schemas', (context) => context.json({ schemas: Object.keys(schemas).map((name) => ({ name, url: `/schemas/${name}.json` })) }));
  app.get('/schemas/:file', (context) => {
    const name = context.req.param('file').replace(/\.json$/, '') as keyof typeof schemas;
    const schema = schemas[name];
    if (!schema) throw new EdgeError('not_found', `there is no schema ${name}; see /schemas`);
    return context.json(schema);
  });
}
