/**
 * @module create-app
 * The HTTP app: API v1, event streams, health, metrics, OpenAPI, JSON Schemas, the MCP endpoint
 * and the web UI, behind DNS-rebinding protection and body-size limits. A path no route takes is a
 * 404 problem, a method a path does not take a 405 with `Allow`. Web-standard Request/Response
 * throughout; `start-server.ts` adapts it to Node.
 */

import { OpenAPIHono } from '@hono/zod-openapi';
import { UmcaError } from '@umca/contracts';
import { authenticateRequests } from '../auth/authenticate-requests.js';
import { isPolicyRefusal, publishPolicyDenied } from '../auth/publish-policy-denied.js';
import { createOpenApiDocument } from '../openapi/create-openapi-document.js';
import { authConfig, registerAuthConfigRoutes } from '../routes/auth-config-routes.js';
import { registerChatCompletionRoutes } from '../routes/chat-completion-routes.js';
import { registerExecutionRoutes } from '../routes/execution-routes.js';
import { registerGateRoutes } from '../routes/gate-routes.js';
import { registerProtectedResourceRoutes } from '../routes/protected-resource-routes.js';
import { registerRunRoutes } from '../routes/run-routes.js';
import { registerServiceRoutes } from '../routes/service-routes.js';
import { registerSessionRoutes } from '../routes/session-routes.js';
import { registerTaskRoutes } from '../routes/task-routes.js';
import { registerToolRoutes } from '../routes/tool-routes.js';
import { registerUiRoutes } from '../routes/ui-routes.js';
import type { AppDeps } from './app-deps.js';
import { API_VERSION } from './app-version.js';
import { limitBody } from './body-limit.js';
import { hostCheck } from './host-check.js';
import { answerUnrouted } from './method-not-allowed.js';
import { problemResponse } from './problem.js';
import { problemFromError } from './problem-from-error.js';
import { type EdgeEnv, requestId } from './request-id.js';

const SMALL_BODY_BYTES = 1_048_576;

export { API_VERSION };

export function createApp(deps: AppDeps): OpenAPIHono<EdgeEnv> {
  // Routes document themselves (registerPath) and parse their own parameters (read-request-part.ts).
  const app = new OpenAPIHono<EdgeEnv>();

  // Routes throw; this is the one place errors become problem+json. A 5xx is always logged with its cause.
  app.onError((error, context) => {
    const problem = problemFromError(error);
    const log = context.get('log') ?? deps.logger;
    if (problem.status >= 500) log.error({ err: error, method: context.req.method, path: context.req.path }, 'request failed');
    if (isPolicyRefusal(error)) {
      publishPolicyDenied(deps.bus, log, { requestId: context.get('requestId'), principal: context.get('grant')?.principal, error });
    }
    // A refusal that passes (a quota, a full queue) says when to try again; so does a store that is down.
    const retryAfter = error instanceof UmcaError ? error.details?.retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number') return problemResponse(context, problem, { 'retry-after': String(retryAfter) });
    if (problem.status === 503) return problemResponse(context, problem, { 'retry-after': '5' });
    return problemResponse(context, problem);
  });

  // No route took it: 405 with Allow if the path exists, otherwise a 404 problem (never the web page).
  app.notFound((context) => answerUnrouted(app, context));

  app.use('*', requestId(deps.logger));
  app.use('*', hostCheck(deps.allowedHosts));
  app.use('*', async (context, next) => {
    await next();
    deps.metrics.httpRequest({ method: context.req.method, route: context.req.routePath || 'unmatched', status: context.res.status });
  });
  // Before any body is read: a caller without a token learns nothing and uploads nothing.
  app.use('*', authenticateRequests({ access: deps.access, bus: deps.bus, ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}) }));
  app.use(
    '/v1/executions',
    limitBody({
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
      limitBody({
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
  registerSessionRoutes(app, deps);
  registerGateRoutes(app, deps);
  registerToolRoutes(app, deps);
  registerTaskRoutes(app, deps);
  registerChatCompletionRoutes(app, deps);
  registerServiceRoutes(app, deps);
  registerProtectedResourceRoutes(app, deps);
  registerAuthConfigRoutes(app, deps);
  deps.mount?.(app);

  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', (context) => {
    document ??= createOpenApiDocument(app, {
      version: API_VERSION,
      modelRequired: deps.defaultModel === undefined,
      auth: { mode: deps.access.mode, issuers: deps.access.authorizationServers },
    });
    return context.json(document);
  });

  if (deps.uiDir) {
    // The page talks to the issuer it signs in at (discovery, the token endpoint): its origin may be connected to.
    const issuer = authConfig(deps).issuer;
    registerUiRoutes(app, deps.uiDir, { connectTo: issuer ? [new URL(issuer).origin] : [] });
  }
  return app;
}
