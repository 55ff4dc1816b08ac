/**
 * @module execution-routes
 * POST /v1/executions: run code. Waits for the result (200) unless the client sends
 * `Prefer: respond-async`, which answers 202 with the run id at once.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { acceptExecutionRequest } from '@umca/policy';
import type { AppDeps } from '../app/app-deps.js';
import { problemResponse } from '../app/problem.js';
import { readJson } from '../app/read-json.js';
import type { EdgeEnv } from '../app/request-id.js';
import { ACCEPTED_HEADERS, acceptedResponse, PREFER_HEADERS, wantsAsync } from '../app/respond-async.js';
import { grantWith } from '../auth/request-access.js';
import { submitExecutionAs } from '../auth/submit-as.js';
import { jsonAnswer, problemAnswer, RUN_LINKS } from '../openapi/answers.js';
import { ref } from '../openapi/component-schemas.js';

const submitExecution = createRoute({
  method: 'post',
  path: '/v1/executions',
  operationId: 'createExecution',
  tags: ['runs'],
  summary: 'Run code in the sandbox',
  description:
    'Creates a run and executes the code. By default the response waits for the result; with `Prefer: respond-async` it returns 202 at once and the run can be followed at /v1/runs/{id}/events.',
  request: {
    headers: PREFER_HEADERS,
    body: { required: true, content: { 'application/json': { schema: ref('ExecutionRequest') } } },
  },
  responses: {
    200: jsonAnswer("The run ended; its result (any status, including the program's own errors).", 'RunResult', {}, RUN_LINKS),
    202: jsonAnswer('The run was accepted (Prefer: respond-async).', 'RunAccepted', ACCEPTED_HEADERS, RUN_LINKS),
    400: problemAnswer(
      'The request is invalid (`invalid_request`, with `issues` naming each field) or an `allowedOutboundHosts` entry cannot be accepted (`invalid_allowed_host`); nothing was run.',
    ),
    413: problemAnswer('The request body is too large.'),
    429: problemAnswer(
      "The caller's quota allows no more runs now (`quota_exceeded`), or, on a server whose runs execute on remote workers, as many runs wait as it allows (`busy`); nothing was created. Try again after `Retry-After` seconds.",
      { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' }, required: true } },
    ),
    503: problemAnswer('The runner is busy, or the store does not answer; try again after `Retry-After` seconds.', {
      'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' }, required: true },
    }),
  },
});

export function registerExecutionRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  // Documented from the contract; the body is accepted once, by the policy, as on every edge.
  app.openAPIRegistry.registerPath(submitExecution);
  app.post(submitExecution.path, async (context) => {
    const grant = grantWith(context, 'run_code');
    const submitted = await submitExecutionAs(
      { runs: deps.runs, quota: deps.access.quota },
      grant,
      acceptExecutionRequest(await readJson(context)),
    );
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
