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
    const first = runner().run({ language: 'python', code: 'import time\ntime.sleep(1)\nprint("first")' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = runner().run({ language: 'python', code: 'print("second")' });
    const third = await runner().run({ language: 'python', code: 'print("third")' });
    expect(third.status).toBe('busy');
    expect(third.reason).toContain('busy');
    expect((await first).stdout).toBe('first\n');
    const queued = await second;
    expect(queued.stdout).toBe('second\n');
    expect(queued.timings.queuedMs).toBeGreaterThan(300);
  });

  it('cancels a running program when the caller aborts', async () => {
    const controller = new AbortController();
    const running = runner().run(
      { language: 'javascript', code: 'while (true) {}', limits: { timeoutMs: 30_000 } },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 300);
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(result.durationMs).toBeLessThan(5_000);
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
