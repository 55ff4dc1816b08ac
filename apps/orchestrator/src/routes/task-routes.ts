/**
 * @module task-routes
 * POST /v1/tasks: an agent task (planner → coder → runner → tester). Waits for the result unless
 * the client sends `Prefer: respond-async`; follow it at /v1/runs/{id}/events either way.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { problemSchema, runAcceptedSchema, taskRequestSchema, taskResultSchema } from '@umca/contracts';
import { acceptTaskRequest } from '@umca/policy';
import type { AppDeps } from '../app/app-deps.js';
import { readJson } from '../app/read-json.js';
import type { EdgeEnv } from '../app/request-id.js';
import { acceptedResponse, wantsAsync } from '../app/respond-async.js';

const problem = { content: { 'application/problem+json': { schema: problemSchema } } };

const submitTask = createRoute({
  method: 'post',
  path: '/v1/tasks',
  summary: 'Run an agent task: plan, write, run and check code',
  description:
    'A planner turns the task into a plan and acceptance checks, a coder writes the program, the sandbox runs it with the checks, a tester judges; on failure the coder tries again with the evidence, up to maxIterations. Every step is an event on /v1/runs/{id}/events.',
  request: { body: { required: true, content: { 'application/json': { schema: taskRequestSchema } } } },
  responses: {
    200: {
      description: 'The task ended; its result (verdict pass or fail).',
      content: { 'application/json': { schema: taskResultSchema } },
    },
    202: { description: 'Accepted (Prefer: respond-async).', content: { 'application/json': { schema: runAcceptedSchema } } },
    400: { description: 'The request is invalid, or names a model that cannot work here (the detail names the setting).', ...problem },
    413: { description: 'The request body is too large (1 MiB).', ...problem },
  },
});

export function registerTaskRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  // Documented from the contract; the body is accepted once, by the policy, as on every edge.
  app.openAPIRegistry.registerPath(submitTask);
  app.post(submitTask.path, async (context) => {
    const submitted = await deps.runs.submitTask(acceptTaskRequest(await readJson(context)), deps.taskContext);
    if (wantsAsync(context)) return acceptedResponse(context, submitted);
    return context.json(await submitted.done, 200);
  });
}
