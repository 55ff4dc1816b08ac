/**
 * What the session service does with a runner's sessions, in process: whose a session is, when it
 * ends (idle TTL, maximum age, a run that ends it, its owner, the server stopping), the caps, and
 * that its runs are runs of the run service naming it. The runner's session here is a TEST DOUBLE
 * (it keeps a counter as its "state"); real sessions in real sandboxes are proved in the runner's
 * sandbox-session.real.test.ts and over HTTP in the orchestrator's sessions-api.real.test.ts.
 */
import type { ExecutionResult, Principal, RunnerSessionV1, SessionOptionsV1, StoreV1 } from '@umca/contracts';
import { createEmbeddedBus } from '@umca/events';
import { acceptExecutionRequest, acceptSessionRequest } from '@umca/policy';
import { openSqliteStore } from '@umca/store';
import { createFakeRunner, createRecordingLogger } from '@umca/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRunService, createSessionService, RunError } from '../src/index.js';

const opened: StoreV1[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const store of opened.splice(0)) await store.close();
});

/** A runner session that counts its runs (its state) and ends when a run prints "limit". */
function countingSession(): RunnerSessionV1 & { closed: boolean } {
  let count = 0;
  let endedBecause: string | undefined;
  const session = {
    runtime: 'pyodide' as const,
    closed: false,
    get alive() {
      return endedBecause === undefined;
    },
    get endedBecause() {
      return endedBecause;
    },
    async execute(request: { code?: string }) {
      count++;
      const hit = request.code === 'limit';
      if (hit) endedBecause = 'a run ended timeout: the run passed its time limit';
      const result: ExecutionResult = {
        status: hit ? 'timeout' : 'ok',
        exitCode: hit ? null : 0,
        stdout: `${count}\n`,
        stderr: '',
        stdoutTruncated: false,
        stderrTruncated: false,
        files: [],
        egress: [],
        lane: 'wasm',
        runtime: 'pyodide',
        isolation: 'os',
        durationMs: 1,
        timings: { queuedMs: 0, executeMs: 1 },
      };
      return { result, alive: !hit, ...(endedBecause ? { ended: endedBecause } : {}) };
    },
    async close() {
      session.closed = true;
      endedBecause ??= 'it was closed';
    },
  };
  return session as RunnerSessionV1 & { closed: boolean };
}

function setUp(options: { perCaller?: number } = {}) {
  const store = openSqliteStore({ memory: true });
  opened.push(store);
  const bus = createEmbeddedBus({ log: store.events });
  const opens: SessionOptionsV1[] = [];
  const made: Array<ReturnType<typeof countingSession>> = [];
  const runner = {
    ...createFakeRunner(),
    async openSession(spec: SessionOptionsV1) {
      opens.push(spec);
      const session = countingSession();
      made.push(session);
      return session;
    },
  };
  const logger = createRecordingLogger();
  const runs = createRunService({ runner, store, bus, logger });
  const sessions = createSessionService({ runner, runs, logger, ...options });
  return { sessions, runs, bus, opens, made };
}

const alice: Principal = { sub: 'alice', roles: ['developer'], issuer: 'test', via: 'token' };
const bob: Principal = { sub: 'bob', roles: ['developer'], issuer: 'test', via: 'token' };
const python = (code: string) => acceptExecutionRequest({ language: 'python', code });
const request = (body: Record<string, unknown> = {}) => acceptSessionRequest({ language: 'python', ...body });

describe('a session', () => {
  it("keeps its runner session's state across runs, each a run of the run service that names it", async () => {
    const { sessions, bus, opens } = setUp();
    const view = await sessions.open(request({ limits: { memoryMb: 64 }, allowedOutboundHosts: ['https://example.com'] }), alice);
    expect(opens[0]).toMatchObject({ language: 'python', memoryMb: 64, cpuSeconds: 600 });
    expect(opens[0]?.egress.allowedOutboundHosts).toEqual(['https://example.com']);
    expect(view).toMatchObject({ status: 'active', runtime: 'pyodide', limits: { memoryMb: 64, cpuSeconds: 600 }, runs: [] });
    const first = await (await sessions.submit(view.id, python('a'), { principal: alice })).done;
    const second = await (await sessions.submit(view.id, python('b'), { principal: alice })).done;
    expect([first.stdout, second.stdout]).toEqual(['1\n', '2\n']);
    expect(sessions.get(view.id, alice).runs).toEqual([first.runId, second.runId]);
    const created = (await bus.read({ after: 0, limit: 100, subject: second.runId })).find(
      (stored) => stored.event.type === 'dev.umca.run.created.v1',
    );
    expect(created?.event.data).toMatchObject({ sessionId: view.id });
  });

  it("is its owner's alone: to anyone else it does not exist", async () => {
    const { sessions } = setUp();
    const view = await sessions.open(request(), alice);
    expect(() => sessions.get(view.id, bob)).toThrow(RunError);
    expect(() => sessions.get(view.id, undefined)).toThrow(/there is no session/);
    await expect(sessions.submit(view.id, python('x'), { principal: bob })).rejects.toMatchObject({ code: 'not_found' });
    await expect(sessions.end(view.id, bob)).rejects.toMatchObject({ code: 'not_found' });
    expect(sessions.list(bob)).toEqual([]);
    expect(sessions.list(alice).map((session) => session.id)).toEqual([view.id]);
    expect(sessions.get(view.id, alice).status).toBe('active');
  });

  it('ends when a run ends it, says why, and refuses further runs as already ended', async () => {
    const { sessions, made } = setUp();
    const view = await sessions.open(request(), alice);
    const limited = await (await sessions.submit(view.id, python('limit'), { principal: alice })).done;
    expect(limited.status).toBe('timeout');
    expect(sessions.get(view.id, alice)).toMatchObject({ status: 'ended', endedBecause: expect.stringMatching(/time limit/) });
    expect(made[0]?.closed).toBe(true);
    await expect(sessions.submit(view.id, python('x'), { principal: alice })).rejects.toMatchObject({
      code: 'already_ended',
      message: expect.stringMatching(/has ended: a run ended timeout/),
    });
  });

  it('ends after its idle TTL without a run, and at its maximum age however busy', async () => {
    vi.useFakeTimers();
    const { sessions, made } = setUp();
    const idle = await sessions.open(request({ idleTtlSeconds: 30 }), alice);
    const busy = await sessions.open(request({ idleTtlSeconds: 30, maxAgeSeconds: 60 }), alice);
    // A run every 20 s, at 0, 20 and 40 s: never idle for 30 s.
    for (let round = 0; round < 3; round++) {
      await (await sessions.submit(busy.id, python('x'), { principal: alice })).done;
      await vi.advanceTimersByTimeAsync(round < 2 ? 20_000 : 19_000);
    }
    expect(sessions.get(idle.id, alice)).toMatchObject({ status: 'ended', endedBecause: 'it was idle for 30 s (its idle TTL)' });
    expect(sessions.get(busy.id, alice).status).toBe('active');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sessions.get(busy.id, alice)).toMatchObject({ status: 'ended', endedBecause: 'it reached its maximum age of 60 s' });
    expect(made.every((session) => session.closed)).toBe(true);
  });

  it('caps the sessions one caller has open, and takes one again once one has ended', async () => {
    const { sessions } = setUp({ perCaller: 2 });
    const first = await sessions.open(request(), alice);
    await sessions.open(request(), alice);
    await expect(sessions.open(request(), alice)).rejects.toMatchObject({
      code: 'busy',
      message: expect.stringMatching(/you have 2 sessions open, the most one caller may have \(2\)/),
    });
    await sessions.open(request(), bob);
    await sessions.end(first.id, alice);
    await sessions.open(request(), alice);
    expect(sessions.openCount()).toBe(3);
  });

  it('refuses a run in another language, runtime or lane than its own, and runs nothing', async () => {
    const { sessions, made } = setUp();
    const view = await sessions.open(request(), alice);
    await expect(
      sessions.submit(view.id, acceptExecutionRequest({ language: 'javascript', code: '1' }), { principal: alice }),
    ).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/runs python/) });
    await expect(
      sessions.submit(view.id, acceptExecutionRequest({ language: 'python', code: '1', runtime: 'wasi-python' }), { principal: alice }),
    ).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/runs on pyodide/) });
    expect((await (await sessions.submit(view.id, python('x'), { principal: alice })).done).stdout).toBe('1\n');
    expect(made).toHaveLength(1);
  });

  it('ends every session when the server stops', async () => {
    const { sessions, made } = setUp();
    await sessions.open(request(), alice);
    await sessions.open(request(), bob);
    await sessions.shutdown();
    expect(made.map((session) => session.closed)).toEqual([true, true]);
    expect(sessions.openCount()).toBe(0);
  });
});
