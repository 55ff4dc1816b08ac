/**
 * @module session-service
 * Sessions as every edge sees them (HTTP, MCP, the SDKs): each a runner session, a sandbox whose
 * state lasts across its runs (docs/sessions.md), that belongs to whoever opened it. Only its
 * owner finds it: to anyone else it does not exist. Its runs are runs of the run service, recorded
 * and published like any other, each `run.created` naming the session. A session ends when its
 * owner ends it, past its maximum age, when a run ends it (a limit), or when it cannot pause; an
 * ended session is kept for a while to say why. Idle for its idle TTL, a session whose runtime can
 * pause is paused instead: its snapshot goes to the snapshot store (sealed, on disk) and its
 * process ends, and its next run resumes it. The server's stop pauses them too, and the next start
 * finds them again (`restore`), so paused sessions cost disk, not RAM, and outlive a restart.
 */
import { randomUUID } from 'node:crypto';
import type {
  AcceptedExecutionV1,
  AcceptedSessionV1,
  Logger,
  PausedSessionV1,
  Principal,
  RunnerSessionV1,
  RunnerV1,
  RunResult,
  SessionSnapshotStoreV1,
  SessionView,
} from '@umca/contracts';
import { createEgressPolicy } from '@umca/policy';
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
  /** Where paused sessions are kept; absent: sessions end when idle, and with the server. */
  readonly snapshots?: SessionSnapshotStoreV1;
  /** Sessions one caller may keep, open and paused together (default 16). */
  readonly perCallerKept?: number;
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
  /** Pauses the session now, as its idle TTL would; RunError `not_pausable` when it cannot pause, `busy` while it runs. */
  pause(id: string, principal: Principal | undefined): Promise<SessionView>;
  /** Finds the sessions the snapshot store kept (a restart's paused ones); resolves with how many. */
  restore(): Promise<number>;
  /** Sessions open (live) now. */
  openCount(): number;
  /** Pauses every session that can pause and ends the others. */
  shutdown(): Promise<void>;
}

interface Held {
  view: SessionView;
  /** The live session; absent while it is paused, and once it has ended. */
  runner: RunnerSessionV1 | undefined;
  readonly owner: string | undefined;
  idle?: NodeJS.Timeout;
  maxAge?: NodeJS.Timeout;
  forget?: NodeJS.Timeout;
  running: boolean;
  /** A pause or a resume under way. */
  transition?: Promise<void> | undefined;
  /** The use count when it last ran (or opened), to pick the session to pause when its owner needs room. */
  lastUsed: number;
}

export function createSessionService(options: SessionServiceOptions): SessionService {
  const { runner, runs, logger, snapshots } = options;
  const now = options.now ?? (() => new Date());
  const newSessionId = options.newSessionId ?? (() => `ses_${randomUUID()}`);
  const perCaller = options.perCaller ?? 4;
  const perCallerKept = options.perCallerKept ?? 16;
  const keepEndedMs = options.keepEndedMs ?? 600_000;
  const sessions = new Map<string, Held>();
  const ownerOf = (principal: Principal | undefined) => principal?.sub;
  /** Counts uses, to order sessions by when they were last used. */
  let uses = 0;
  const canPause = (held: Held) => snapshots !== undefined && held.view.pausable;
  const mine = (owner: string | undefined, ...statuses: SessionView['status'][]) =>
    [...sessions.values()].filter((held) => held.owner === owner && statuses.includes(held.view.status));

  const find = (id: string, principal: Principal | undefined): Held => {
    const held = sessions.get(id);
    // Another caller's session is answered as one that does not exist.
    if (!held || held.owner !== ownerOf(principal)) throw new RunError('not_found', `there is no session ${id}`);
    return held;
  };

  /** Notes that the session has ended and why; its process (or snapshot) is gone or is ended here. */
  const close = async (held: Held, why: string): Promise<void> => {
    if (held.view.status === 'ended') return;
    const wasPaused = held.view.status === 'paused';
    clearTimeout(held.idle);
    clearTimeout(held.maxAge);
    const { expiresAt: _expires, pausedAt: _paused, snapshotBytes: _bytes, ...rest } = held.view;
    held.view = { ...rest, status: 'ended', endedAt: now().toISOString(), endedBecause: why };
    const live = held.runner;
    held.runner = undefined;
    await live?.close();
    if (wasPaused) await snapshots?.remove(held.view.id);
    logger.info({ sessionId: held.view.id }, `session ${held.view.id} ended: ${why}`);
    held.forget = setTimeout(() => sessions.delete(held.view.id), keepEndedMs);
    held.forget.unref();
  };

  const armMaxAge = (held: Held) => {
    clearTimeout(held.maxAge);
    const left = Math.max(0, new Date(held.view.endsBy).getTime() - now().getTime());
    held.maxAge = setTimeout(
      () => void settled(held).then(() => close(held, `it reached its maximum age of ${held.view.maxAgeSeconds} s`)),
      left,
    );
    held.maxAge.unref();
  };

  const armIdle = (held: Held) => {
    clearTimeout(held.idle);
    const ttlMs = held.view.idleTtlSeconds * 1000;
    held.view = { ...held.view, expiresAt: new Date(now().getTime() + ttlMs).toISOString() };
    held.idle = setTimeout(() => {
      const why = `it was idle for ${held.view.idleTtlSeconds} s (its idle TTL)`;
      void (canPause(held) ? pauseHeld(held, why) : close(held, why));
    }, ttlMs);
    held.idle.unref();
  };

  /** Waits for a pause or resume under way. */
  const settled = async (held: Held) => {
    while (held.transition) await held.transition.catch(() => {});
  };

  /** Pauses a live, idle session: its snapshot to the store, its process ended. */
  const pauseHeld = (held: Held, why: string): Promise<void> => {
    const live = held.runner;
    if (held.view.status !== 'active' || !live || held.running || held.transition || !snapshots) return settled(held);
    clearTimeout(held.idle);
    const started = Date.now();
    held.transition = (async () => {
      try {
        const snapshot = await live.pause();
        const { expiresAt: _expires, ...rest } = held.view;
        const view: SessionView = { ...rest, status: 'paused', pausedAt: now().toISOString() };
        const record: PausedSessionV1 = {
          view,
          ...(held.owner === undefined ? {} : { owner: held.owner }),
          runner: { ...held.view.limits },
        };
        const { bytes } = await snapshots.save(record, snapshot);
        held.runner = undefined;
        held.view = { ...view, snapshotBytes: bytes };
        logger.info(
          { sessionId: view.id, snapshotBytes: bytes, pauseMs: Date.now() - started },
          `session ${view.id} paused (${why}): ${(bytes / 1_048_576).toFixed(1)} MiB on disk`,
        );
      } catch (error) {
        await close(held, `it could not be paused (${why}): ${(error as Error).message}`);
      } finally {
        held.transition = undefined;
      }
    })();
    return held.transition;
  };

  /** Makes room for one more live session of `owner`'s: pauses their least recently used idle one, if any. */
  const makeRoom = async (owner: string | undefined, except?: Held): Promise<boolean> => {
    const live = mine(owner, 'active').filter((held) => held !== except);
    if (live.length < perCaller) return true;
    const idle = live.filter((held) => !held.running && !held.transition && canPause(held)).sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!idle) return false;
    await pauseHeld(idle, `room for another session of its owner's`);
    return mine(owner, 'active').filter((held) => held !== except).length < perCaller;
  };

  const tooMany = (count: number) =>
    new RunError(
      'busy',
      `you have ${count} sessions open, the most one caller may have (${perCaller}), and none of them can pause now; end one (DELETE /v1/sessions/{id}) and try again`,
      { details: { retryAfterSeconds: 1 } },
    );

  /** Resumes a paused session from its snapshot; one that cannot be resumed ends, saying why. */
  const resumeHeld = (held: Held): Promise<void> => {
    if (held.view.status !== 'paused' || !snapshots) return Promise.resolve();
    const started = Date.now();
    held.transition = (async () => {
      try {
        if (!(await makeRoom(held.owner, held))) throw tooMany(mine(held.owner, 'active').length);
        let snapshot: Uint8Array;
        try {
          ({ snapshot } = await snapshots.load(held.view.id));
        } catch (error) {
          await close(held, `its snapshot could not be resumed: ${(error as Error).message}`);
          return;
        }
        let live: RunnerSessionV1;
        try {
          if (!runner.resumeSession) throw new RunError('not_supported', 'this server cannot resume sessions');
          live = await runner.resumeSession(
            {
              language: held.view.language,
              runtime: held.view.runtime,
              memoryMb: held.view.limits.memoryMb,
              cpuSeconds: held.view.limits.cpuSeconds,
              egress: createEgressPolicy(held.view.allowedOutboundHosts),
            },
            snapshot,
          );
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'busy') throw new RunError('busy', (error as Error).message, { details: { retryAfterSeconds: 5 } });
          if (code === 'snapshot_refused' || code === 'invalid_option' || code === 'not_supported') {
            await close(held, `its snapshot could not be resumed: ${(error as Error).message}`);
            return;
          }
          throw error;
        }
        await snapshots.remove(held.view.id);
        held.runner = live;
        const { pausedAt: _paused, snapshotBytes: _bytes, ...rest } = held.view;
        held.view = { ...rest, status: 'active' };
        logger.info({ sessionId: held.view.id, resumeMs: Date.now() - started }, `session ${held.view.id} resumed`);
      } finally {
        held.transition = undefined;
      }
    })();
    return held.transition;
  };

  return {
    async open({ request, egress }, principal) {
      const owner = ownerOf(principal);
      const kept = mine(owner, 'active', 'paused').length;
      if (kept >= perCallerKept) {
        throw new RunError(
          'busy',
          `you keep ${kept} sessions, open and paused, the most one caller may (${perCallerKept}); end one (DELETE /v1/sessions/{id}) and try again`,
          { details: { retryAfterSeconds: 1 } },
        );
      }
      if (!(await makeRoom(owner))) throw tooMany(mine(owner, 'active').length);
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
        pausable: opened.pausable && snapshots !== undefined && runner.resumeSession !== undefined,
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
      const held: Held = { view, runner: opened, owner, running: false, lastUsed: ++uses };
      sessions.set(id, held);
      armMaxAge(held);
      armIdle(held);
      logger.info({ sessionId: id, runtime: opened.runtime }, `session ${id} opened on ${opened.runtime}`);
      return held.view;
    },
    get: (id, principal) => find(id, principal).view,
    list(principal) {
      const order = { active: 0, paused: 1, ended: 2 } as const;
      return mine(ownerOf(principal), 'active', 'paused', 'ended')
        .map((held) => held.view)
        .sort((a, b) => order[a.status] - order[b.status] || b.createdAt.localeCompare(a.createdAt));
    },
    async submit(id, execution, submitOptions) {
      const held = find(id, submitOptions.principal);
      await settled(held);
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
          'wrong_language',
          `session ${id} runs ${held.view.language}; language ${execution.request.language} needs a session of its own`,
        );
      }
      held.running = true;
      clearTimeout(held.idle);
      held.lastUsed = ++uses;
      try {
        if (held.view.status === 'paused') await resumeHeld(held);
      } catch (error) {
        held.running = false;
        throw error;
      }
      const live = held.runner;
      if (held.view.status !== 'active' || !live) {
        held.running = false;
        throw new RunError('already_ended', `session ${id} has ended: ${held.view.endedBecause}`);
      }
      // The session's own policy holds for its runs (its allowedOutboundHosts, set when it opened).
      const adapter: Pick<RunnerV1, 'execute'> = {
        execute: async (accepted, executeOptions) => (await live.execute(accepted.request, executeOptions)).result,
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
        held.lastUsed = ++uses;
        if (held.view.status === 'ended') return;
        if (!live.alive) {
          await close(held, live.endedBecause ?? `run ${submitted.runId} ended it (${result?.status ?? 'failed'})`);
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
    async pause(id, principal) {
      const held = find(id, principal);
      await settled(held);
      if (held.view.status === 'ended') throw new RunError('already_ended', `session ${id} has ended: ${held.view.endedBecause}`);
      if (held.view.status === 'paused') return held.view;
      if (!canPause(held)) {
        throw new RunError(
          'not_pausable',
          `session ${id} cannot pause: a session on ${held.view.runtime} keeps its state only while it lives`,
        );
      }
      if (held.running) {
        throw new RunError('busy', `session ${id} is running a run; pause it once that run has ended`, {
          details: { retryAfterSeconds: 1 },
        });
      }
      await pauseHeld(held, 'its owner paused it');
      return held.view;
    },
    async restore() {
      if (!snapshots) return 0;
      const { sessions: kept, refused } = await snapshots.list();
      for (const { id, why } of refused) logger.warn({ sessionId: id }, `a paused session's snapshot was not taken back: ${why}`);
      let restored = 0;
      for (const { view, owner } of kept) {
        if (sessions.has(view.id)) continue;
        if (new Date(view.endsBy).getTime() <= now().getTime()) {
          await snapshots.remove(view.id);
          continue;
        }
        const held: Held = { view, runner: undefined, owner, running: false, lastUsed: 0 };
        sessions.set(view.id, held);
        armMaxAge(held);
        restored++;
      }
      return restored;
    },
    async end(id, principal) {
      const held = find(id, principal);
      await settled(held);
      await close(held, 'its owner ended it');
      // Gone, as a deleted resource is: only an end the owner did not ask for is kept to be told.
      clearTimeout(held.forget);
      sessions.delete(id);
      return held.view;
    },
    openCount: () => [...sessions.values()].filter((held) => held.view.status === 'active').length,
    async shutdown() {
      const all = [...sessions.values()];
      await Promise.all(all.map((held) => settled(held)));
      await Promise.all(
        all.map((held) =>
          held.view.status === 'active' && canPause(held) && !held.running
            ? pauseHeld(held, 'the server stopped')
            : held.view.status === 'paused'
              ? undefined
              : close(held, 'the server stopped'),
        ),
      );
      for (const held of sessions.values()) {
        clearTimeout(held.forget);
        clearTimeout(held.maxAge);
        clearTimeout(held.idle);
      }
      sessions.clear();
    },
  };
}
