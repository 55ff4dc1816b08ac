/**
 * @module session-service
 * Sessions as every edge sees them (HTTP, MCP, the SDKs): each a runner session, a sandbox whose
 * state lasts across its runs (docs/sessions.md), that belongs to whoever opened it. Only its
 * owner finds it: to anyone else it does not exist. Its runs are runs of the run service, recorded
 * and published like any other, each `run.created` naming the session. A session ends when its
 * owner ends it, when it has been idle for its idle TTL, past its maximum age, when a run ends it
 * (a limit), or when the server stops; an ended session is kept for a while to say why.
 */
import { randomUUID } from 'node:crypto';
import type {
  AcceptedExecutionV1,
  AcceptedSessionV1,
  Logger,
  Principal,
  RunnerSessionV1,
  RunnerV1,
  RunResult,
  SessionView,
} from '@umca/contracts';
import type { RunService, SubmitOptions, SubmittedRun } from './create-run-service.js';
import { RunError } from './run-error.js';

export interface SessionServiceOptions {
  readonly runner: RunnerV1;
  readonly runs: RunService;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly newSessionId?: () => string;
  /** Sessions one caller may have open at once (default 4). */
  readonly perCaller?: number;
  /** How long an ended session is still shown, with why it ended (default 10 minutes). */
  readonly keepEndedMs?: number;
}

export interface SessionService {
  /** Opens a session for `principal`; RunError `busy` past a cap, `invalid_request` for what the runner cannot hold. */
  open(accepted: AcceptedSessionV1, principal: Principal | undefined): Promise<SessionView>;
  /** The session, when `principal` owns it; RunError `not_found` otherwise. */
  get(id: string, principal: Principal | undefined): SessionView;
  /** The sessions `principal` owns, open ones first, newest first. */
  list(principal: Principal | undefined): SessionView[];
  /** Runs code in the session: a run of the run service, in the session's sandbox. */
  submit(id: string, execution: AcceptedExecutionV1, options: SubmitOptions): Promise<SubmittedRun>;
  /** Ends the session (a run in progress ends `cancelled`) and forgets it: then it is not found. */
  end(id: string, principal: Principal | undefined): Promise<SessionView>;
  /** Sessions open now. */
  openCount(): number;
  /** Ends every session. */
  shutdown(): Promise<void>;
}

interface Held {
  view: SessionView;
  readonly runner: RunnerSessionV1;
  readonly owner: string | undefined;
  idle?: NodeJS.Timeout;
  readonly maxAge: NodeJS.Timeout;
  forget?: NodeJS.Timeout;
  running: boolean;
}

export function createSessionService(options: SessionServiceOptions): SessionService {
  const { runner, runs, logger } = options;
  const now = options.now ?? (() => new Date());
  const newSessionId = options.newSessionId ?? (() => `ses_${randomUUID()}`);
  const perCaller = options.perCaller ?? 4;
  const keepEndedMs = options.keepEndedMs ?? 600_000;
  const sessions = new Map<string, Held>();
  const ownerOf = (principal: Principal | undefined) => principal?.sub;

  const find = (id: string, principal: Principal | undefined): Held => {
    const held = sessions.get(id);
    // Another caller's session is answered as one that does not exist.
    if (!held || held.owner !== ownerOf(principal)) throw new RunError('not_found', `there is no session ${id}`);
    return held;
  };

  /** Notes that the session has ended and why; its process is already gone or is ended here. */
  const close = async (held: Held, why: string): Promise<void> => {
    if (held.view.status === 'ended') return;
    clearTimeout(held.idle);
    clearTimeout(held.maxAge);
    held.view = { ...held.view, status: 'ended', endedAt: now().toISOString(), endedBecause: why };
    delete held.view.expiresAt;
    await held.runner.close();
    logger.info({ sessionId: held.view.id }, `session ${held.view.id} ended: ${why}`);
    held.forget = setTimeout(() => sessions.delete(held.view.id), keepEndedMs);
    held.forget.unref();
  };

  const armIdle = (held: Held) => {
    clearTimeout(held.idle);
    const ttlMs = held.view.idleTtlSeconds * 1000;
    held.view = { ...held.view, expiresAt: new Date(now().getTime() + ttlMs).toISOString() };
    held.idle = setTimeout(() => void close(held, `it was idle for ${held.view.idleTtlSeconds} s (its idle TTL)`), ttlMs);
    held.idle.unref();
  };

  return {
    async open({ request, egress }, principal) {
      const owner = ownerOf(principal);
      const mine = [...sessions.values()].filter((held) => held.owner === owner && held.view.status === 'active').length;
      if (mine >= perCaller) {
        throw new RunError(
          'busy',
          `you have ${mine} sessions open, the most one caller may have (${perCaller}); end one (DELETE /v1/sessions/{id}) and try again`,
          { details: { retryAfterSeconds: 1 } },
        );
      }
      if (!runner.openSession) throw new RunError('not_supported', 'this server holds no sessions: its runner cannot keep state');
      let opened: RunnerSessionV1;
      try {
        opened = await runner.openSession({
          language: request.language,
          ...(request.runtime ? { runtime: request.runtime } : {}),
          memoryMb: request.limits.memoryMb,
          cpuSeconds: request.limits.cpuSeconds,
          egress,
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'busy') throw new RunError('busy', (error as Error).message, { details: { retryAfterSeconds: 5 } });
        if (code === 'invalid_option') throw new RunError('invalid_request', (error as Error).message);
        throw error;
      }
      const created = now();
      const id = newSessionId();
      const view: SessionView = {
        id,
        status: 'active',
        language: request.language,
        runtime: opened.runtime,
        createdAt: created.toISOString(),
        idleTtlSeconds: request.idleTtlSeconds,
        maxAgeSeconds: request.maxAgeSeconds,
        endsBy: new Date(created.getTime() + request.maxAgeSeconds * 1000).toISOString(),
        limits: { ...request.limits },
        allowedOutboundHosts: [...egress.allowedOutboundHosts],
        runs: [],
        ...(principal ? { principal } : {}),
      };
      const maxAge = setTimeout(
        () => void close(held, `it reached its maximum age of ${request.maxAgeSeconds} s`),
        request.maxAgeSeconds * 1000,
      );
      maxAge.unref();
      const held: Held = { view, runner: opened, owner, maxAge, running: false };
      sessions.set(id, held);
      armIdle(held);
      logger.info({ sessionId: id, runtime: opened.runtime }, `session ${id} opened on ${opened.runtime}`);
      return held.view;
    },
    get: (id, principal) => find(id, principal).view,
    list(principal) {
      const owner = ownerOf(principal);
      return [...sessions.values()]
        .filter((held) => held.owner === owner)
        .map((held) => held.view)
        .sort((a, b) => (a.status === b.status ? b.createdAt.localeCompare(a.createdAt) : a.status === 'active' ? -1 : 1));
    },
    async submit(id, execution, submitOptions) {
      const held = find(id, submitOptions.principal);
      if (held.view.status === 'ended') throw new RunError('already_ended', `session ${id} has ended: ${held.view.endedBecause}`);
      if (held.running) {
        throw new RunError('busy', `session ${id} is running another run; send the next once it has ended`, {
          details: { retryAfterSeconds: 1 },
        });
      }
      const { request } = execution;
      if (request.language === 'python' && request.runtime && request.runtime !== held.view.runtime) {
        throw new RunError(
          'invalid_request',
          `session ${id} runs on ${held.view.runtime}; leave runtime out, or open a session on ${request.runtime}`,
        );
      }
      if (request.lane && request.lane !== 'wasm') {
        throw new RunError('invalid_request', `session ${id} runs in the wasm lane; leave lane out of its runs`);
      }
      if (execution.request.language !== held.view.language) {
        throw new RunError(
          'invalid_request',
          `session ${id} runs ${held.view.language}; language ${execution.request.language} needs a session of its own`,
        );
      }
      held.running = true;
      clearTimeout(held.idle);
      // The session's own policy holds for its runs (its allowedOutboundHosts, set when it opened).
      const adapter: Pick<RunnerV1, 'execute'> = {
        execute: async (accepted, executeOptions) => (await held.runner.execute(accepted.request, executeOptions)).result,
      };
      let submitted: SubmittedRun;
      try {
        submitted = await runs.submit(execution, { ...submitOptions, session: { id, runner: adapter } });
      } catch (error) {
        held.running = false;
        armIdle(held);
        throw error;
      }
      held.view = { ...held.view, runs: [...held.view.runs, submitted.runId], lastRunAt: now().toISOString() };
      const settle = async (result: RunResult | undefined) => {
        held.running = false;
        if (held.view.status === 'ended') return;
        if (!held.runner.alive) {
          await close(held, held.runner.endedBecause ?? `run ${submitted.runId} ended it (${result?.status ?? 'failed'})`);
          return;
        }
        armIdle(held);
      };
      return {
        runId: submitted.runId,
        done: submitted.done.then(
          async (result) => {
            await settle(result);
            return result;
          },
          async (error: unknown) => {
            await settle(undefined);
            throw error;
          },
        ),
      };
    },
    async end(id, principal) {
      const held = find(id, principal);
      await close(held, 'its owner ended it');
      // Gone, as a deleted resource is: only an end the owner did not ask for is kept to be told.
      clearTimeout(held.forget);
      sessions.delete(id);
      return held.view;
    },
    openCount: () => [...sessions.values()].filter((held) => held.view.status === 'active').length,
    async shutdown() {
      await Promise.all([...sessions.values()].map((held) => close(held, 'the server stopped')));
      for (const held of sessions.values()) clearTimeout(held.forget);
      sessions.clear();
    },
  };
}
