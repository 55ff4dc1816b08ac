/**
 * @module task-routes
 * POST /v1/tasks: an agent task (planner → coder → runner → tester). Waits for the result unless
 * the client sends `Prefer: respond-async`; follow it at /v1/runs/{id}/events either way.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { acceptTaskRequest } from '@umca/policy';
import type { AppDeps } from '../app/app-deps.js';
import { readJson } from '../app/read-json.js';
import type { EdgeEnv } from '../app/request-id.js';
import { ACCEPTED_HEADERS, acceptedResponse, PREFER_HEADERS, wantsAsync } from '../app/respond-async.js';
import { grantWith } from '../auth/request-access.js';
import { submitTaskAs } from '../auth/submit-as.js';
import { jsonAnswer, problemAnswer, RUN_LINKS } from '../openapi/answers.js';
import { ref } from '../openapi/component-schemas.js';

const submitTask = createRoute({
  method: 'post',
  path: '/v1/tasks',
  operationId: 'createTask',
  tags: ['tasks'],
  summary: 'Run an agent task: plan, write, run and check code',
  description:
    'A planner turns the task into a plan and acceptance checks, a coder writes the program, the sandbox runs it with the checks, a tester judges; on failure the coder tries again with the evidence, up to maxIterations. Every step is an event on /v1/runs/{id}/events.',
  request: {
    headers: PREFER_HEADERS,
    body: { required: true, content: { 'application/json': { schema: ref('TaskRequest') } } },
  },
  responses: {
    200: jsonAnswer('The task ended; its result (verdict pass, fail or unverified).', 'TaskResult', {}, RUN_LINKS),
    202: jsonAnswer('Accepted (Prefer: respond-async).', 'RunAccepted', ACCEPTED_HEADERS, RUN_LINKS),
    400: problemAnswer(
      'Nothing was started: the request is invalid (`invalid_request`: a field, or no `model` when the server has no default), names a model that cannot work here (`model_unavailable`: an unknown provider, a missing key or model file), or has an `allowedOutboundHosts` entry that cannot be accepted (`invalid_allowed_host`). `issues` names the field.',
    ),
    413: problemAnswer('The request body is too large (1 MiB).'),
  },
});

export function registerTaskRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  // Documented from the contract; the body is accepted once, by the policy, as on every edge.
  app.openAPIRegistry.registerPath(submitTask);
  app.post(submitTask.path, async (context) => {
    const grant = grantWith(context, 'run_task');
    const task = acceptTaskRequest(await readJson(context));
    const submitted = await submitTaskAs({ runs: deps.runs, quota: deps.access.quota }, grant, task, deps.taskContext);
    if (wantsAsync(context)) return acceptedResponse(context, submitted);
    return context.json(await submitted.done, 200);
  });
}
