/**
 * The runner as a service: bad requests, a full queue, cancellation, sandboxes that die, and
 * machines without the OS sandbox.
 */
import { describe, expect, it } from 'vitest';
import { createRunner, RunnerError } from '../src/index.js';
import { quietLogger, useRunner } from './support/use-runner.js';

describe('requests', () => {
  const runner = useRunner({ concurrency: 1, queueLimit: 1, queueTimeoutMs: 5_000 });

  it.each([
    [null, 'invalid'],
    [{ language: 'cobol', code: 'x' }, 'language'],
    [{ language: 'python' }, 'code'],
    [{ language: 'python', code: 'x', limits: { memoryMb: 1 } }, 'memoryMb'],
  ])('answers a bad request %j with `rejected` and what to fix', async (request, fragment) => {
    const result = await runner().run(request);
    expect(result.status).toBe('rejected');
    expect(result.exitCode).toBeNull();
    expect(result.reason).toContain(fragment);
  });

  it('queues a bounded number of runs and answers `busy` past it', async () => {
    // The first run holds the only slot until the test cancels it, however slow the machine.
    const controller = new AbortController();
    let running: () => void = () => {};
    const firstRuns = new Promise<void>((resolve) => (running = resolve));
    const first = runner().run(
      { language: 'python', code: 'print("first", flush=True)\nwhile True:\n    pass', limits: { timeoutMs: 30_000 } },
      { signal: controller.signal, onOutput: () => running() },
    );
    await firstRuns;
    let secondStarted = false;
    const second = runner().run({ language: 'python', code: 'print("second")' }, { onStart: () => (secondStarted = true) });
    expect(runner().stats()).toMatchObject({ active: 1, queued: 1 });
    const third = await runner().run({ language: 'python', code: 'print("third")' });
    // Refused for the full queue, not after waiting its turn out (that reason says "no slot freed up").
    expect(third).toMatchObject({ status: 'busy', reason: expect.stringContaining('1 runs are executing and 1 are waiting') });
    // Ordering, not a stopwatch: the second waited while the first held the slot, then ran.
    expect(secondStarted).toBe(false);
    expect(runner().stats()).toMatchObject({ active: 1, queued: 1 });
    controller.abort();
    expect((await first).status).toBe('cancelled');
    expect(await second).toMatchObject({ status: 'ok', stdout: 'second\n' });
    expect(secondStarted).toBe(true);
  });

  it('cancels a run aborted the moment it was asked for, before its sandbox started', async () => {
    for (const abortAfter of ['sync', 'microtask'] as const) {
      const controller = new AbortController();
      const running = runner().run(
        { language: 'python', code: 'while True:\n    pass', limits: { timeoutMs: 30_000 } },
        { signal: controller.signal },
      );
      if (abortAfter === 'microtask') await Promise.resolve();
      controller.abort();
      // Without the check, the abort came before the listener and the run spun to its time limit.
      expect(await running, abortAfter).toMatchObject({ status: 'cancelled' });
    }
  });

  it('cancels a running program when the caller aborts', async () => {
    const controller = new AbortController();
    // Aborts once the program has shown it is running; only the abort can end it before its 30 s.
    const result = await runner().run(
      { language: 'javascript', code: 'console.log("spinning")\nwhile (true) {}', limits: { timeoutMs: 30_000 } },
      { signal: controller.signal, onOutput: () => controller.abort() },
    );
    expect(result).toMatchObject({ status: 'cancelled', reason: 'the run was cancelled', stdout: 'spinning\n' });
  });

  it('reports a sandbox process that dies as `crashed`, and keeps serving', async () => {
    const result = await runner().run({ language: 'python', code: 'import js\njs.process.abort()' });
    expect(result.status).toBe('crashed');
    expect(result.reason).toMatch(/SIGABRT|SIGSEGV|SIGTRAP|SIGILL/);
    expect(await runner().run({ language: 'python', code: 'print("after")' })).toMatchObject({ status: 'ok', stdout: 'after\n' });
  });

  it('reports what it is doing', () => {
    const stats = runner().stats();
    expect(stats.isolation).toBe('os');
    expect(stats.completed).toBeGreaterThan(0);
    expect(stats.sandboxStartupMs).toBeGreaterThan(0);
  });
});

describe('without the OS sandbox', () => {
  it('refuses to start, and says how to fix it', async () => {
    const start = createRunner({ bubblewrapPath: '/nonexistent/bwrap', logger: quietLogger });
    await expect(start).rejects.toBeInstanceOf(RunnerError);
    await expect(start).rejects.toMatchObject({
      code: 'isolation_unavailable',
      message: expect.stringContaining('apt-get install -y bubblewrap'),
    });
  });

  it.runIf(process.getuid?.() !== 0)('runs with reduced isolation only when the operator opts in, and says so loudly', async () => {
    const warnings: string[] = [];
    const runner = await createRunner({
      bubblewrapPath: '/nonexistent/bwrap',
      allowReducedIsolation: true,
      warmChildren: 1,
      logger: { ...quietLogger, warn: (message) => warnings.push(message) },
    });
    try {
      expect(warnings.join('\n')).toContain('REDUCED ISOLATION');
      const result = await runner.run({
        language: 'python',
        code: 'import js\nprint(js.process.getBuiltinModule("child_process").spawnSync("/usr/bin/id").error is not None)',
      });
      expect(result).toMatchObject({ status: 'ok', isolation: 'reduced', stdout: 'True\n' });
    } finally {
      await runner.close();
    }
  });

  it.runIf(process.getuid?.() === 0)("refuses reduced isolation as root, where the sandbox would hold the host's root", async () => {
    const start = createRunner({ bubblewrapPath: '/nonexistent/bwrap', allowReducedIsolation: true, logger: quietLogger });
    await expect(start).rejects.toMatchObject({
      code: 'isolation_unavailable',
      message: expect.stringContaining('not offered when UMCA runs as root'),
    });
  });
});
