/**
 * @module execution-routes
 * POST /v1/executions: run code. Waits for the result (200) unless the client sends
 * `Prefer: respond-async`, which answers 202 with the run id at once.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { executionRequestSchema, problemSchema, runAcceptedSchema, runResultSchema } from '@umca/contracts';
import { acceptExecutionRequest } from '@umca/policy';
import type { AppDeps } from '../app/app-deps.js';
import { problemResponse } from '../app/problem.js';
import { readJson } from '../app/read-json.js';
import type { EdgeEnv } from '../app/request-id.js';
import { acceptedResponse, wantsAsync } from '../app/respond-async.js';

const problem = { content: { 'application/problem+json': { schema: problemSchema } } };

const submitExecution = createRoute({
  method: 'post',
  path: '/v1/executions',
  summary: 'Run code in the sandbox',
  description:
    'Creates a run and executes the code. By default the response waits for the result; with `Prefer: respond-async` it returns 202 at once and the run can be followed at /v1/runs/{id}/events.',
  request: {
    body: { required: true, content: { 'application/json': { schema: executionRequestSchema } } },
  },
  responses: {
    200: {
      description: "The run ended; its result (any status, including the program's own errors).",
      content: { 'application/json': { schema: runResultSchema } },
    },
    202: { description: 'The run was accepted (Prefer: respond-async).', content: { 'application/json': { schema: runAcceptedSchema } } },
    400: { description: 'The request is invalid; nothing was run.', ...problem },
    413: { description: 'The request body is too large.', ...problem },
    503: { description: 'The runner is busy; try again later.', ...problem },
  },
});

export function registerExecutionRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  // Documented from the contract; the body is accepted once, by the policy, as on every edge.
  app.openAPIRegistry.registerPath(submitExecution);
  app.post(submitExecution.path, async (context) => {
    const submitted = await deps.runs.submit(acceptExecutionRequest(await readJson(context)));
    if (wantsAsync(context)) return acceptedResponse(context, submitted);
    const result = await submitted.done;
    if (result.status === 'busy') {
      return problemResponse(
        context,
        { status: 503, title: 'Runner busy', detail: result.reason ?? 'the runner is busy', runId: result.runId },
        { 'retry-after': '1' },
      );
    }
    return context.json(result, 200);
  });
}
