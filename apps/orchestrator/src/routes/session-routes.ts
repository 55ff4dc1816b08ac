/**
 * @module session-routes
 * Sessions (docs/sessions.md): open one, run code in it as often as needed with its state kept,
 * look at it, end it. Every route needs the `run_code` tool; a session is its owner's alone (to
 * anyone else it does not exist). A run in a session is a run like any other (`/v1/runs/{id}`,
 * its events), its `run.created` naming the session. A session on wasi-python pauses to disk
 * when idle (or on `POST /v1/sessions/{id}/pause`) and its next run resumes it.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { sessionIdSchema } from '@umca/contracts';
import { acceptSessionRequest, acceptSessionRunRequest, authorizeSession } from '@umca/policy';
import { RunError } from '@umca/runs';
import type { AppDeps } from '../app/app-deps.js';
import { problemResponse } from '../app/problem.js';
import { readJson } from '../app/read-json.js';
import { readRequestPart } from '../app/read-request-part.js';
import type { EdgeEnv } from '../app/request-id.js';
import { grantWith, recordedPrincipal } from '../auth/request-access.js';
import { submitSessionRunAs } from '../auth/submit-as.js';
import { jsonAnswer, problemAnswer, RUN_LINKS } from '../openapi/answers.js';
import { ref } from '../openapi/component-schemas.js';

const sessionIdParam = z.object({ id: sessionIdSchema });
const badSessionId = problemAnswer('The session id is longer than 200 characters.');
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' }, required: true } };

const openSession = createRoute({
  method: 'post',
  path: '/v1/sessions',
  operationId: 'createSession',
  tags: ['sessions'],
  summary: 'Open a session: a sandbox whose state lasts across the runs sent to it',
  description:
    'Opens a sandbox of its own whose interpreter state (names, imports, files under /work) lasts across its runs, with memory and CPU limits that count all of them. After `idleTtlSeconds` without a run it is paused to an encrypted snapshot on disk (wasi-python; its next run resumes it) or ends (pyodide). It ends at `maxAgeSeconds`, when a run passes a limit, or on DELETE.',
  request: { body: { required: true, content: { 'application/json': { schema: ref('SessionRequest') } } } },
  responses: {
    201: jsonAnswer('The session is open.', 'Session'),
    400: problemAnswer(
      'The request is invalid (`invalid_request`, with `issues` naming each field), or asks for a runtime this server does not have now; nothing was opened.',
    ),
    403: problemAnswer("The caller's policy does not allow it (`policy_denied`): the tool, the language, a host or a limit."),
    429: problemAnswer('The caller has as many sessions open as one may, or the server as many as it holds (`busy`).', RETRY_AFTER),
    501: problemAnswer('This server runs no code itself (its runs execute on remote workers), so it holds no sessions (`not_supported`).'),
  },
});

const listSessions = createRoute({
  method: 'get',
  path: '/v1/sessions',
  operationId: 'listSessions',
  tags: ['sessions'],
  summary: "The caller's sessions, open ones first",
  responses: { 200: jsonAnswer("The caller's sessions: open ones, and ended ones for a while after.", 'SessionList') },
});

const getSession = createRoute({
  method: 'get',
  path: '/v1/sessions/{id}',
  operationId: 'getSession',
  tags: ['sessions'],
  summary: 'One session: its state, limits, runs and, once ended, why',
  request: { params: sessionIdParam },
  responses: { 200: jsonAnswer('The session.', 'Session'), 400: badSessionId, 404: problemAnswer('No such session (or not yours).') },
});

const endSession = createRoute({
  method: 'delete',
  path: '/v1/sessions/{id}',
  operationId: 'deleteSession',
  tags: ['sessions'],
  summary: 'End a session: its sandbox and state are gone',
  request: { params: sessionIdParam },
  responses: {
    200: jsonAnswer('The session as it ended (a run in progress ends `cancelled`); from now on it is not found.', 'Session'),
    400: badSessionId,
    404: problemAnswer('No such session (or not yours).'),
  },
});

const pauseSession = createRoute({
  method: 'post',
  path: '/v1/sessions/{id}/pause',
  operationId: 'pauseSession',
  tags: ['sessions'],
  summary: 'Pause a session now: its state to disk, its sandbox ended; its next run resumes it',
  description:
    'Does now what the idle TTL does: the session is paused to an encrypted snapshot on disk (its interpreter memory and files), its sandbox process ends, and its next run resumes it where it was. A paused session costs disk, not memory, and outlives a restart of the server. Pausing a paused session answers it as it is.',
  request: { params: sessionIdParam },
  responses: {
    200: jsonAnswer('The session, paused (`status` `paused`, `snapshotBytes`).', 'Session'),
    400: badSessionId,
    404: problemAnswer('No such session (or not yours).'),
    409: problemAnswer('The session has ended (`already_ended`), or runs on a runtime that cannot pause (`not_pausable`: pyodide).'),
    429: problemAnswer('The session is running a run (`busy`): pause it once that run has ended.', RETRY_AFTER),
  },
});

const runInSession = createRoute({
  method: 'post',
  path: '/v1/sessions/{id}/executions',
  operationId: 'createSessionExecution',
  tags: ['sessions'],
  summary: 'Run code in a session, in the state its earlier runs left',
  description:
    "Runs code in the session's interpreter and waits for the result. The run is a run like any other (at /v1/runs/{id}). Its outbound requests are held to the session's `allowedOutboundHosts`, its memory to the session's, and it runs on the session's runtime; `limits.timeoutMs` and `limits.outputBytes` are the run's own. A paused session is resumed first. A run that passes a limit ends the session too: `session.status` says whether it survived.",
  request: {
    params: sessionIdParam,
    body: { required: true, content: { 'application/json': { schema: ref('SessionExecutionRequest') } } },
  },
  responses: {
    200: jsonAnswer("The run ended; its result and the session's state after it.", 'SessionRunResult', {}, RUN_LINKS),
    400: problemAnswer(
      "The request is invalid (`invalid_request`, with `issues` naming each field), or is in another language than the session's (`wrong_language`); nothing was run.",
    ),
    403: problemAnswer("The caller's policy does not allow it (`policy_denied`)."),
    404: problemAnswer('No such session (or not yours).'),
    409: problemAnswer(
      'The session has ended (`already_ended`): a limit, its idle TTL, its maximum age, or a snapshot that could not be resumed; the detail says which.',
    ),
    429: problemAnswer('The session is running another run, or the caller has no quota left (`busy`, `quota_exceeded`).', RETRY_AFTER),
  },
});

export function registerSessionRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  for (const route of [openSession, listSessions, getSession, endSession, pauseSession, runInSession])
    app.openAPIRegistry.registerPath(route);
  const sessions = () => {
    if (!deps.sessions) {
      throw new RunError(
        'not_supported',
        'this server holds no sessions: its runs execute on remote workers (--workers remote); open sessions on a server with its own runner',
      );
    }
    return deps.sessions;
  };

  app.post('/v1/sessions', async (context) => {
    const grant = grantWith(context, 'run_code');
    const service = sessions();
    const accepted = authorizeSession(grant, acceptSessionRequest(await readJson(context)));
    return context.json(await service.open(accepted, recordedPrincipal(grant)), 201);
  });

  app.get('/v1/sessions', (context) => {
    const grant = grantWith(context, 'run_code');
    return context.json({ sessions: sessions().list(recordedPrincipal(grant)) }, 200);
  });

  app.get('/v1/sessions/:id', (context) => {
    const grant = grantWith(context, 'run_code');
    const { id } = readRequestPart(context, 'param', sessionIdParam);
    return context.json(sessions().get(id, recordedPrincipal(grant)), 200);
  });

  app.delete('/v1/sessions/:id', async (context) => {
    const grant = grantWith(context, 'run_code');
    const { id } = readRequestPart(context, 'param', sessionIdParam);
    return context.json(await sessions().end(id, recordedPrincipal(grant)), 200);
  });

  app.post('/v1/sessions/:id/pause', async (context) => {
    const grant = grantWith(context, 'run_code');
    const { id } = readRequestPart(context, 'param', sessionIdParam);
    return context.json(await sessions().pause(id, recordedPrincipal(grant)), 200);
  });

  app.post('/v1/sessions/:id/executions', async (context) => {
    const grant = grantWith(context, 'run_code');
    const { id } = readRequestPart(context, 'param', sessionIdParam);
    const service = sessions();
    const execution = acceptSessionRunRequest(await readJson(context));
    const submitted = await submitSessionRunAs({ sessions: service, quota: deps.access.quota }, grant, id, execution);
    const result = await submitted.done;
    const after = service.get(id, recordedPrincipal(grant));
    const state = { id, status: after.status, ...(after.endedBecause ? { endedBecause: after.endedBecause } : {}) };
    if (result.status === 'busy') {
      return problemResponse(
        context,
        { status: 503, title: 'Runner busy', detail: result.reason ?? 'the runner is busy', runId: result.runId },
        { 'retry-after': '1' },
      );
    }
    return context.json({ ...result, session: state }, 200);
  });
}
