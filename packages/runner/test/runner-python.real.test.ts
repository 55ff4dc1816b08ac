import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner();
const python = (code: string, extra: Record<string, unknown> = {}) => runner().run({ language: 'python', code, ...extra });

describe('Python (Pyodide) in the sandbox', () => {
  it('runs a program and returns its output, exit code, lane and timings', async () => {
    const result = await python('import sys\nprint("hello", 6 * 7)\nprint("warning", file=sys.stderr)');
    expect(result).toMatchObject({
      status: 'ok',
      exitCode: 0,
      stdout: 'hello 42\n',
      stderr: 'warning\n',
      stdoutTruncated: false,
      lane: 'wasm',
      runtime: 'pyodide',
      isolation: 'os',
    });
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.timings.executeMs).toBeGreaterThan(0);
  });

  it("reports an exception with its type, message and a traceback of the program's own frames", async () => {
    const result = await python('def divide(a, b):\n    return a / b\n\ndivide(1, 0)\n');
    expect(result.status).toBe('error');
    expect(result.exitCode).toBe(1);
    expect(result.error).toMatchObject({ type: 'ZeroDivisionError', message: 'division by zero' });
    expect(result.error?.traceback).toContain('File "main.py", line 4, in <module>');
    expect(result.error?.traceback).toContain('return a / b');
    expect(result.error?.traceback).not.toContain('umca_guest');
    expect(result.stderr).toContain('ZeroDivisionError: division by zero');
    expect(result.reason).toBe('ZeroDivisionError: division by zero');
  });

  it('reports a syntax error as an error with its location', async () => {
    const result = await python('print("unclosed"\n');
    expect(result.status).toBe('error');
    expect(result.error?.type).toBe('SyntaxError');
    expect(result.error?.traceback).toContain('main.py');
  });

  it('honours sys.exit codes', async () => {
    expect(await python('import sys\nsys.exit(0)')).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(await python('import sys\nsys.exit(7)')).toMatchObject({ status: 'error', exitCode: 7 });
    expect(await python('raise SystemExit("bye")')).toMatchObject({ status: 'error', exitCode: 1, stderr: 'bye\n' });
  });

  it('reads stdin and the input files, and returns the files it writes', async () => {
    const result = await python(
      [
        'import sys, json, pathlib',
        'name = sys.stdin.readline().strip()',
        'rows = pathlib.Path("data/in.csv").read_text().splitlines()',
        'pathlib.Path("out").mkdir()',
        'pathlib.Path("out/report.json").write_text(json.dumps({"name": name, "rows": len(rows)}))',
        'pathlib.Path("out/blob.bin").write_bytes(bytes([0, 255, 1]))',
        'print(name, len(rows))',
      ].join('\n'),
      { stdin: 'ada\n', files: [{ path: 'data/in.csv', content: 'a,b\n1,2\n' }] },
    );
    expect(result.stdout).toBe('ada 2\n');
    expect(result.files).toEqual(
      expect.arrayContaining([
        { path: 'out/report.json', sizeBytes: 26, encoding: 'utf8', content: '{"name": "ada", "rows": 2}' },
        { path: 'out/blob.bin', sizeBytes: 3, encoding: 'base64', content: 'AP8B' },
      ]),
    );
    expect(result.files.map((file) => file.path)).not.toContain('data/in.csv');
  });

  it('supports top-level await and asyncio', async () => {
    const result = await python(
      'import asyncio\nasync def twice(x):\n    await asyncio.sleep(0.01)\n    return 2 * x\nprint(await asyncio.gather(twice(1), twice(2)))',
    );
    expect(result).toMatchObject({ status: 'ok', stdout: '[2, 4]\n' });
  });

  it('has the standard library', async () => {
    const result = await python(
      'import json, re, math, datetime, collections, decimal, statistics, sqlite3, hashlib, zlib\n' +
        'db = sqlite3.connect(":memory:")\ndb.execute("create table t (x)")\ndb.executemany("insert into t values (?)", [(1,), (2,)])\n' +
        'print(db.execute("select sum(x) from t").fetchone()[0], statistics.mean([1, 2, 3]), hashlib.sha256(b"x").hexdigest()[:8])',
    );
    expect(result).toMatchObject({ status: 'ok', stdout: '3 2 2d711642\n' });
  });

  it('streams output while the program runs', async () => {
    const chunks: string[] = [];
    const result = await runner().run(
      { language: 'python', code: 'import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.05)' },
      { onOutput: (_stream, text) => chunks.push(text) },
    );
    expect(result.stdout).toBe('0\n1\n2\n');
    expect(chunks.length).toBeGreaterThanOrEqual(3);
  });
});
