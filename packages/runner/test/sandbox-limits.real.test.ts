/**
 * Runaway programs: each must end with the right status, quickly, without harming the host or
 * the runs beside it.
 */
import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner({ concurrency: 2 });
const run = (language: 'python' | 'javascript', code: string, limits: Record<string, number> = {}) =>
  runner().run({ language, code, limits: { timeoutMs: 1_500, ...limits } });

async function expectHealthy() {
  const result = await runner().run({ language: 'python', code: 'print("healthy")' });
  expect(result).toMatchObject({ status: 'ok', stdout: 'healthy\n' });
}

describe('time', () => {
  it.each([
    ['python', 'while True:\n    pass'],
    ['python', 'import time\ntime.sleep(60)'],
    // Awaits what nothing will ever settle: it waits, as Python would (it used to be reported as
    // a crash, when the child's event loop ran dry: src/sandbox/child-event-loop.ts).
    ['python', 'import asyncio\nawait asyncio.Future()'],
    ['javascript', 'while (true) {}'],
    ['javascript', 'await new Promise((resolve) => setTimeout(resolve, 60_000))'],
  ] as const)('ends %s `%s` at the time limit', async (language, code) => {
    const result = await run(language, code);
    expect(result.status).toBe('timeout');
    expect(result.exitCode).toBeNull();
    // Ended at the 1.5 s limit it was given (the host's timer or the lane's own deadline), not by
    // the CPU-time backstop ("used up its CPU time"), which would end a busy loop seconds later.
    expect(result.reason).toMatch(/^the run passed its time limit of 1500 ms.*raise limits\.timeoutMs/);
    await expectHealthy();
  });

  it('ends a wasm32-wasi infinite loop', async () => {
    const { default: wabtInit } = await import('wabt');
    const wabt = await wabtInit();
    const module = Buffer.from(
      wabt.parseWat('loop.wat', '(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))').toBinary({}).buffer,
    );
    const result = await runner().run({ language: 'wasi', module: module.toString('base64'), limits: { timeoutMs: 1_000 } });
    expect(result.status).toBe('timeout');
  });

  it('keeps other runs going while one spins', async () => {
    let spinningEnded = false;
    const spinning = run('python', 'while True:\n    pass', { timeoutMs: 5_000 }).finally(() => {
      spinningEnded = true;
    });
    const quick = await runner().run({ language: 'javascript', code: 'console.log("beside")' });
    expect(quick).toMatchObject({ status: 'ok', stdout: 'beside\n' });
    // Ordering, not a stopwatch: the quick run finished while the spinning one still ran.
    expect(spinningEnded).toBe(false);
    expect((await spinning).status).toBe('timeout');
  });
});

describe('memory', () => {
  it.each([
    ['python', 'chunks = []\nwhile True:\n    chunks.append(bytearray(1_000_000))'],
    ['python', 'data = bytearray(2_000_000_000)'],
    ['python', 'from pyodide.code import run_js\nrun_js("const a = []; for (;;) a.push(new Array(1e6).fill(1))")'],
    ['javascript', 'const chunks = []\nwhile (true) chunks.push(new Array(100_000).fill(1.5))'],
    ['javascript', 'const parts = []\nwhile (true) parts.push("x".repeat(1_000_000) + parts.length)'],
  ] as const)('ends %s `%s` at the memory limit', async (language, code) => {
    const result = await run(language, code, { memoryMb: 64, timeoutMs: 20_000 });
    expect(result.status, JSON.stringify({ ...result, stdout: undefined })).toBe('memory_limit');
    expect(result.reason).toContain('limits.memoryMb');
    await expectHealthy();
  });

  it('gives a Python program the memory its limit allows, whatever the runs before it used', async () => {
    for (const memoryMb of [64, 192]) {
      const result = await run(
        'python',
        'chunks = []\ntry:\n    while True:\n        chunks.append(bytearray(1_048_576))\nexcept MemoryError:\n    print(len(chunks))',
        { memoryMb, timeoutMs: 30_000 },
      );
      expect(result.status).toBe('ok');
      expect(Number(result.stdout)).toBeGreaterThanOrEqual(memoryMb * 0.9);
      expect(Number(result.stdout)).toBeLessThanOrEqual(memoryMb * 1.1);
    }
  });

  it("ends a program that reaches V8's own heap limit (1 GiB) through run_js as memory_limit, not a crash", async () => {
    const code = 'from pyodide.code import run_js\nrun_js("const a = []; for (;;) a.push(new Array(1e6).fill(1))")';
    const result = await run('python', code, { memoryMb: 2_048, timeoutMs: 60_000 });
    expect(result.status, JSON.stringify({ ...result, stdout: undefined })).toBe('memory_limit');
    expect(result.reason).toContain('limits.memoryMb');
    await expectHealthy();
  });
});

describe('output', () => {
  it.each([
    ['python', 'while True:\n    print("x" * 1000)'],
    ['javascript', 'while (true) console.log("x".repeat(1000))'],
  ] as const)('ends %s output floods at the output cap and marks the stream truncated', async (language, code) => {
    const result = await run(language, code, { outputBytes: 10_000, timeoutMs: 10_000 });
    expect(result.status).toBe('output_limit');
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stderrTruncated).toBe(false);
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(10_000);
    expect(Buffer.byteLength(result.stdout)).toBeGreaterThan(9_000);
  });

  it('ends a flood on stderr too', async () => {
    const result = await run('python', 'import sys\nwhile True:\n    sys.stderr.write("e" * 500)', { outputBytes: 5_000 });
    expect(result).toMatchObject({ status: 'output_limit', stderrTruncated: true, stdoutTruncated: false });
  });
});

describe('recursion', () => {
  it('turns deep Python recursion into a RecursionError, not a crash', async () => {
    const result = await run('python', 'def down(n):\n    return down(n + 1)\ndown(0)');
    expect(result.status).toBe('error');
    expect(result.error?.type).toBe('RecursionError');
  });

  it('caps sys.setrecursionlimit(10**9) so that runaway recursion ends in a RecursionError, not a crash', async () => {
    const result = await run('python', 'import sys\nsys.setrecursionlimit(10**9)\ndef down(n):\n    return down(n + 1)\ndown(0)', {
      timeoutMs: 30_000,
    });
    expect(result.status, JSON.stringify({ ...result, stdout: undefined })).toBe('error');
    expect(result.error).toMatchObject({ type: 'RecursionError', message: 'maximum recursion depth exceeded' });
    expect(result.error?.traceback).toContain('[Previous line repeated');
    expect(result.error?.traceback).toMatch(/UMCA caps sys\.setrecursionlimit at \d+ \(the program asked for 1000000000\)/);
  });

  it('lets a program catch the RecursionError at the capped limit and go on', async () => {
    const result = await run(
      'python',
      'import sys\nsys.setrecursionlimit(10**9)\ndepth = 0\ndef down():\n    global depth\n    depth += 1\n    down()\ntry:\n    down()\nexcept RecursionError:\n    print(sys.getrecursionlimit() < 10**9, sys.getrecursionlimit() - depth < 10, depth > 1000)',
      { timeoutMs: 30_000 },
    );
    expect(result).toMatchObject({ status: 'ok', stdout: 'True True True\n' });
  });

  it.each([
    [
      'recursion through C code',
      'import functools\n@functools.lru_cache(None)\ndef f(k):\n    return 0 if k == 0 else f(k - 1) + 1\nprint(f(1_000_000))',
    ],
    ['freeing a list nested a million deep', 'x = None\nfor _ in range(1_000_000):\n    x = [x]\ndel x\nprint("freed")'],
  ])('reports a full WebAssembly stack from %s as a RecursionError, not a crash', async (_, code) => {
    const result = await run('python', `import sys\nsys.setrecursionlimit(10**9)\n${code}`, { timeoutMs: 30_000 });
    expect(result.status, JSON.stringify({ ...result, stdout: undefined })).toBe('error');
    expect(result.error?.type).toBe('RecursionError');
    expect(result.error?.message).toContain('the WebAssembly stack is full');
    await expectHealthy();
  });

  it('turns deep JavaScript recursion into a stack overflow error, not a crash', async () => {
    const result = await run('javascript', 'function down(n) { return down(n + 1) + 1 }\ndown(0)');
    expect(result.status).toBe('error');
    expect(result.error?.message).toMatch(/stack/i);
  });
});
