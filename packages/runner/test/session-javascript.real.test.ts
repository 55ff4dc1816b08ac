/**
 * JavaScript sessions on QuickJS: the context lasts from run to run, each run a script in it, so
 * top-level names (let, const, function, var, a class), globals and pending work carry to the
 * next run, and never to another session or a fresh run. Limits end the run and the session as
 * in Python's; an error leaves the session as the program left it; JavaScript sessions cannot
 * pause (their state is a QuickJS heap the runner does not snapshot).
 */
import type { RunnerSessionV1, SessionOptionsV1 } from '@umca/contracts';
import { acceptExecutionRequest, createEgressPolicy } from '@umca/policy';
import { afterEach, describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner({ concurrency: 2, warmChildren: 1, maxSessions: 4 });
const opened: RunnerSessionV1[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((session) => session.close()));
});

async function open(options: Partial<SessionOptionsV1> = {}): Promise<RunnerSessionV1> {
  const session = await runner().openSession({ language: 'javascript', egress: createEgressPolicy([]), ...options });
  opened.push(session);
  return session;
}
const run = (session: RunnerSessionV1, code: string, extra: Record<string, unknown> = {}) =>
  session.execute(acceptExecutionRequest({ language: 'javascript', code, ...extra }).request);

describe('a JavaScript session', () => {
  it('keeps top-level names, globals and a closure from one run to the next, on QuickJS', async () => {
    const session = await open();
    expect(session.runtime).toBe('quickjs');
    expect(session.pausable).toBe(false);
    const first = await run(
      session,
      'let total = 40;\nconst rows = [1, 2, 3];\nfunction add(n) { total += n; return total; }\nclass Counter { static count = 0 }\nvar legacy = "v";\nglobalThis.seen = "g";\nlet counter = (() => { let n = 0; return () => ++n; })();\ncounter();',
    );
    expect(first).toMatchObject({ alive: true, result: { status: 'ok', runtime: 'quickjs' } });
    const second = await run(session, 'console.log(add(2), rows.length, Counter.count, legacy, seen, counter());');
    expect(second.result).toMatchObject({ status: 'ok', stdout: '42 3 0 v g 2\n' });
  });

  it('runs promises and timers a run leaves to the end of that run, and goes on after an error', async () => {
    const session = await open();
    const waited = await run(
      session,
      'let late = "no";\nsetTimeout(() => { late = "yes"; console.log("fired"); }, 20);\nPromise.resolve().then(() => console.log("then"));',
    );
    expect(waited.result.stdout).toBe('then\nfired\n');
    const failed = await run(session, 'throw new TypeError("boom")');
    expect(failed).toMatchObject({ alive: true, result: { status: 'error', error: { type: 'TypeError', message: 'boom' } } });
    expect(failed.result.error?.traceback).toMatch(/cell2\.js/);
    expect((await run(session, 'console.log(late)')).result.stdout).toBe('yes\n');
    // A name declared twice is the program's error, as in a browser console; the session goes on.
    const twice = await run(session, 'let late = 1');
    expect(twice).toMatchObject({ alive: true, result: { status: 'error' } });
  });

  it('keeps sessions apart from each other and from fresh runs', async () => {
    const a = await open();
    const b = await open();
    await run(a, 'var secret = 7; globalThis.planted = 1;');
    const look = 'console.log(typeof secret, typeof planted)';
    expect((await run(b, look)).result.stdout).toBe('undefined undefined\n');
    expect((await runner().run({ language: 'javascript', code: look })).stdout).toBe('undefined undefined\n');
    expect((await run(a, look)).result.stdout).toBe('number number\n');
  });

  it('ends when a run passes its time limit or the memory the session holds, and says so', async () => {
    const slow = await open();
    await run(slow, 'let kept = 1');
    const looped = await run(slow, 'for (;;) {}', { limits: { timeoutMs: 300 } });
    expect(looped).toMatchObject({ alive: false, result: { status: 'timeout' } });
    expect(looped.ended).toMatch(/a run ended timeout/);

    const small = await open({ memoryMb: 16 });
    expect(
      (await run(small, 'const hold = []; for (let i = 0; i < 8; i++) hold.push(new Uint8Array(1 << 20).fill(1));')).result.status,
    ).toBe('ok');
    // QuickJS's own cap does not count in this build; the runner's ceiling on its memory's growth
    // does (docs/runner.md), so the state is pushed well past it.
    const more = await run(small, 'for (let i = 0; i < 256; i++) hold.push(new Uint8Array(1 << 20).fill(1));');
    expect(more).toMatchObject({ alive: false, result: { status: 'memory_limit' } });
  });

  it('cannot pause', async () => {
    const session = await open();
    await expect(session.pause()).rejects.toMatchObject({
      code: 'not_supported',
      message: expect.stringMatching(/quickjs cannot be paused/),
    });
  });
});
