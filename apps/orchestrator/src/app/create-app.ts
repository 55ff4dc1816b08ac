/**
 * @module create-app
 * The HTTP app: API v1, event streams, health, metrics, OpenAPI, JSON Schemas, the MCP endpoint
 * and the web UI, behind DNS-rebinding protection and body-size limits. Web-standard
 * Request/Response throughout; `start-server.ts` adapts it to Node.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { registerExecutionRoutes } from '../routes/execution-routes.js';
import { registerRunRoutes } from '../routes/run-routes.js';
import { registerServiceRoutes } from '../routes/service-routes.js';
import { registerTaskRoutes } from '../routes/task-routes.js';
import type { AppDeps } from './app-deps.js';
import { API_VERSION } from './app-version.js';
import { hostCheck } from './host-check.js';
import { problemResponse } from './problem.js';
import { problemFromError } from './problem-from-error.js';
import { type EdgeEnv, requestId } from './request-id.js';

const SMALL_BODY_BYTES = 1_048_576;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

export { API_VERSION };

export function createApp(deps: AppDeps): OpenAPIHono<EdgeEnv> {
  const app = new OpenAPIHono<EdgeEnv>({
    defaultHook: (result, context) => {
      if (result.success) return;
      return problemResponse(context, {
        status: 400,
        title: 'Invalid request',
        detail: z.prettifyError(result.error).replace(/\n/g, ' '),
        issues: result.error.issues,
      });
    },
  });

  // Routes throw; this is the one place errors become problem+json. A 5xx is always logged with its cause.
  app.onError((error, context) => {
    const problem = problemFromError(error);
    const log = context.get('log') ?? deps.logger;
    if (problem.status >= 500) log.error({ err: error, method: context.req.method, path: context.req.path }, 'request failed');
    return problemResponse(context, problem);
  });

  app.notFound((context) =>
    problemResponse(context, {
      status: 404,
      title: 'Not found',
      detail: `nothing at ${context.req.path}; the API is described at /openapi.json`,
    }),
  );

  app.use('*', requestId(deps.logger));
  app.use('*', hostCheck(deps.allowedHosts));
  app.use('*', async (context, next) => {
    await next();
    deps.metrics.httpRequest({ method: context.req.method, route: context.req.routePath || 'unmatched', status: context.res.status });
  });
  app.use(
    '/v1/executions',
    bodyLimit({
      maxSize: deps.maxBodyBytes ?? 96 * 1_048_576,
      onError: (context) =>
        problemResponse(
          context,
          {
            status: 413,
            title: 'Request too large',
            detail: `an execution request may be at most ${deps.maxBodyBytes ?? 96 * 1_048_576} bytes`,
          },
          // The rest of the body is never read: the connection cannot be reused.
          { connection: 'close' },
        ),
    }),
  );
  // Everything else that takes a body takes a small one: a task is words, not files.
  for (const path of ['/v1/runs/*', '/v1/tasks']) {
    app.use(
      path,
      bodyLimit({
        maxSize: SMALL_BODY_BYTES,
        onError: (context) =>
          problemResponse(
            context,
            { status: 413, title: 'Request too large', detail: `requests here may be at most ${SMALL_BODY_BYTES} bytes` },
            { connection: 'close' },
          ),
      }),
    );
  }

  registerExecutionRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerTaskRoutes(app, deps);
  registerServiceRoutes(app, deps);
  deps.mount?.(app);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'UMCA API',
      version: API_VERSION,
      description: 'Run untrusted code in WebAssembly sandboxes and follow every step as umca-events v1 (CloudEvents).',
    },
  });

  if (deps.uiDir) {
    const root = normalize(deps.uiDir);
    app.get('*', async (context) => {
      const path = context.req.path === '/' || !extname(context.req.path) ? '/index.html' : context.req.path;
      const file = normalize(join(root, path));
      if (!file.startsWith(root)) return context.notFound();
      try {
        const body = await readFile(file);
        return context.body(body, 200, {
          'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
          'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'",
          'x-content-type-options': 'nosniff',
        });
      } catch {
        return context.notFound();
      }
    });
  }
  return app;
}
