import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner();
const javascript = (code: string, extra: Record<string, unknown> = {}) => runner().run({ language: 'javascript', code, ...extra });

describe('JavaScript (QuickJS) in the sandbox', () => {
  it('runs a program and formats console output', async () => {
    const result = await javascript(
      'console.log("sum", [1, 2, 3].reduce((a, b) => a + b), { a: 1, b: [true, null] })\nconsole.error("careful")',
    );
    expect(result).toMatchObject({
      status: 'ok',
      exitCode: 0,
      stdout: 'sum 6 { a: 1, b: [ true, null ] }\n',
      stderr: 'careful\n',
      runtime: 'quickjs',
      lane: 'wasm',
    });
  });

  it('reports an uncaught exception with its type, message and stack', async () => {
    const result = await javascript('function fail() { throw new TypeError("bad input") }\nfail()');
    expect(result.status).toBe('error');
    expect(result.exitCode).toBe(1);
    expect(result.error).toMatchObject({ type: 'TypeError', message: 'bad input' });
    expect(result.error?.traceback).toContain('fail');
    expect(result.error?.traceback).toContain('main.js');
  });

  it('reports a syntax error and a thrown non-error value', async () => {
    expect((await javascript('let x = ;')).error?.type).toBe('SyntaxError');
    expect((await javascript('throw 42')).error?.message).toContain('42');
  });

  it('supports top-level await, promises and timers', async () => {
    const result = await javascript(
      'const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));\nlet ticks = 0;\nconst id = setInterval(() => ticks++, 5);\nawait wait(40);\nclearInterval(id);\nconsole.log(ticks >= 3, await Promise.all([1, 2].map(async (x) => x * 2)))',
    );
    expect(result).toMatchObject({ status: 'ok', stdout: 'true [ 2, 4 ]\n' });
  });

  it('reports a rejected top-level promise and an error thrown in a timer', async () => {
    expect((await javascript('await Promise.reject(new RangeError("nope"))')).error).toMatchObject({ type: 'RangeError', message: 'nope' });
    expect((await javascript('setTimeout(() => { throw new Error("late") }, 1)')).error).toMatchObject({ type: 'Error', message: 'late' });
  });

  it('says so when the program waits on a promise that can never settle', async () => {
    const result = await javascript('await new Promise(() => {})');
    expect(result.status).toBe('error');
    expect(result.error?.message).toContain('never settle');
  });

  it('has no Node APIs inside', async () => {
    const result = await javascript('console.log(typeof process, typeof require, typeof Buffer, typeof globalThis.__umca_http)');
    expect(result.stdout).toBe('undefined undefined undefined undefined\n');
  });
});
