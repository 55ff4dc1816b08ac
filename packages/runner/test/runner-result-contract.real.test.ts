/**
 * What the real runner returns fits `umca.execution.result.v1`, as zod and as the published JSON
 * Schema read it, for each way a run can end. It lives here, not in packages/contracts: the
 * contracts package depends on nothing (the runner depends on it), and these runs need the sandbox.
 */
import { type ExecutionResult, egressAttemptSchema, executionResultSchema, toJsonSchemas } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HttpFixture, startHttpFixture } from '../../policy/test/support/http-fixture.js';
import { useRunner } from './support/use-runner.js';

let fixture: HttpFixture;
beforeAll(async () => {
  fixture = await startHttpFixture();
});
afterAll(() => fixture.close());

const runner = useRunner();
/** zod's reading of the JSON Schema file we publish, so that the export is checked as well as the zod schema. */
const publishedResultSchema = z.fromJSONSchema(toJsonSchemas()['umca.execution.result.v1']);

/** Parses a real result with both forms of the contract; the zod parse keeps every field (no unknown ones). */
function expectContract(result: ExecutionResult): void {
  const summary = JSON.stringify({ ...result, files: result.files.map((file) => file.path) }).slice(0, 2_000);
  expect(executionResultSchema.parse(result), summary).toEqual(result);
  const published = publishedResultSchema.safeParse(result);
  expect(published.error?.issues, summary).toBeUndefined();
  for (const attempt of result.egress) expect(egressAttemptSchema.parse(attempt)).toEqual(attempt);
}

describe('umca.execution.result.v1, from the real runner', () => {
  it('an ok run, in each runtime', async () => {
    const { default: wabtInit } = await import('wabt');
    const wat = '(module (memory (export "memory") 1) (func (export "_start")))';
    const wasi = Buffer.from((await wabtInit()).parseWat('empty.wat', wat).toBinary({}).buffer);
    const results = [
      await runner().run({ language: 'python', code: 'import sys\nprint("out")\nprint("err", file=sys.stderr)' }),
      await runner().run({ language: 'javascript', code: 'console.log("out")' }),
      await runner().run({ language: 'wasi', module: wasi.toString('base64') }),
    ];
    expect(results.map((result) => [result.status, result.runtime])).toEqual([
      ['ok', 'pyodide'],
      ['ok', 'quickjs'],
      ['ok', 'wasi'],
    ]);
    for (const result of results) expectContract(result);
  });

  it('an error, with its traceback', async () => {
    const result = await runner().run({ language: 'python', code: 'def divide(a, b):\n    return a / b\n\ndivide(1, 0)\n' });
    expect(result).toMatchObject({ status: 'error', exitCode: 1, error: { type: 'ZeroDivisionError', traceback: expect.any(String) } });
    expectContract(result);
  });

  it('a timeout and an output flood, which the runner ends', async () => {
    const timeout = await runner().run({ language: 'javascript', code: 'while (true) {}', limits: { timeoutMs: 300 } });
    const flood = await runner().run({ language: 'python', code: 'while True:\n    print("x" * 100)', limits: { outputBytes: 1_000 } });
    expect(timeout).toMatchObject({ status: 'timeout', exitCode: null, reason: expect.any(String) });
    expect(flood).toMatchObject({ status: 'output_limit', stdoutTruncated: true });
    expectContract(timeout);
    expectContract(flood);
  });

  it('a run with input and output files, a file it left out, and allowed and denied egress', async () => {
    const result = await runner().run({
      language: 'python',
      code: `
import os, urllib.error, urllib.request
open("upper.txt", "w").write(open("input.txt").read().upper())
open("bytes.bin", "wb").write(bytes(range(256)))
os.symlink("upper.txt", "link.txt")
with urllib.request.urlopen("${fixture.origin}/hello") as response:
    print(response.status)
try:
    urllib.request.urlopen("http://denied.test/")
except urllib.error.URLError as error:
    print("denied")
`,
      files: [{ path: 'input.txt', content: 'three words here' }],
      allowedOutboundHosts: [`http://127.0.0.1:${fixture.port}`],
    });
    expect(result).toMatchObject({ status: 'ok', stdout: '200\ndenied\n' });
    expect(Object.fromEntries(result.files.map((file) => [file.path, file.encoding]))).toEqual({
      'bytes.bin': 'base64',
      'upper.txt': 'utf8',
    });
    expect(result.droppedFiles?.files).toEqual([{ path: 'link.txt', reason: 'symlink', message: expect.any(String) }]);
    expect(result.egress.map((attempt) => attempt.verdict)).toEqual(['allowed', 'denied']);
    expectContract(result);
  });

  it('a request the runner refuses before it starts', async () => {
    const result = await runner().run({ language: 'python', code: 'x', limits: { memoryMb: 1 } });
    expect(result.status).toBe('rejected');
    expectContract(result);
  });
});
