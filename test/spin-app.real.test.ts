/**
 * The Spin app spin/code-runner-wasm against UMCA's contracts: built from source (build.sh, with
 * componentize-py), served by the local WASI-HTTP host (serve.mjs: jco's transpilation on
 * preview2-shim, denying what Spin denies) on a free port, and driven over HTTP. The `spin` CLI
 * cannot be had on this machine; docs/spin.md says how the same app runs under Spin and SpinKube.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { executionResultSchema, MAX_CODE_BYTES, problemSchema } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const run = promisify(execFile);
const APP = fileURLToPath(new URL('../spin/code-runner-wasm/', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = `${ROOT}node_modules/.umca-spin-python/bin/python`;
const JCO = `${ROOT}node_modules/.umca-jco/node_modules/@bytecodealliance/jco/dist/jco.js`;

let host: ChildProcess;
let url: string;
let hostLog = '';

beforeAll(async () => {
  await run('sh', [`${APP}build.sh`], { timeout: 300_000 });
  host = spawn(process.execPath, [`${APP}serve.mjs`, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  host.stderr?.on('data', (chunk) => {
    hostLog += chunk;
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    host.stdout?.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    host.once('exit', (code) => reject(new Error(`serve.mjs exited with code ${code} before listening:\n${hostLog}`)));
  });
}, 600_000);

afterAll(() => {
  host?.kill('SIGTERM');
});

const execute = (body: unknown, path = '/') =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function python(code: string, extra: Record<string, unknown> = {}) {
  const response = await execute({ language: 'python', code, ...extra });
  expect(response.status, hostLog).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  return executionResultSchema.parse(await response.json());
}

async function refused(body: unknown) {
  const response = await execute(body);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return { status: response.status, problem: problemSchema.parse(await response.json()) };
}

describe('the Spin app spin/code-runner-wasm', () => {
  it("runs a program and answers with UMCA's result contract", async () => {
    const result = await python('import sys\nprint("hello", 6 * 7)\nprint("warning", file=sys.stderr)');
    expect(result).toMatchObject({
      status: 'ok',
      exitCode: 0,
      stdout: 'hello 42\n',
      stderr: 'warning\n',
      stdoutTruncated: false,
      stderrTruncated: false,
      files: [],
      egress: [],
      lane: 'wasm',
      runtime: 'wasi',
      isolation: 'reduced',
      timings: { queuedMs: 0 },
    });
    expect(result.error).toBeUndefined();
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.durationMs).toBeGreaterThanOrEqual(result.timings.executeMs);
  });

  it('answers on /v1/executions too, and feeds stdin to the program', async () => {
    const response = await execute({ language: 'python', code: 'name = input()\nprint(name.upper())', stdin: 'ada\n' }, '/v1/executions');
    expect(executionResultSchema.parse(await response.json())).toMatchObject({ status: 'ok', stdout: 'ADA\n' });
  });

  it('has the standard library that was imported into its snapshot', async () => {
    const result = await python(
      'import datetime, decimal, fractions, statistics, hashlib, json, re\n' +
        'print(statistics.mean([1, 2, 6]), fractions.Fraction(1, 3) * 3, decimal.Decimal(1) / 4)\n' +
        'print(hashlib.sha256(b"umca").hexdigest()[:12], json.dumps({"a": [1]}), datetime.date(2024, 2, 29).isoformat())',
    );
    const sha = createHash('sha256').update('umca').digest('hex').slice(0, 12);
    expect(result).toMatchObject({ status: 'ok', stdout: `3 1 0.25\n${sha} {"a": [1]} 2024-02-29\n` });
  });

  it('reports an exception with its type, message and a traceback of the program alone', async () => {
    const result = await python('def divide(a, b):\n    return a / b\n\ndivide(1, 0)\n');
    expect(result).toMatchObject({ status: 'error', exitCode: 1, reason: 'ZeroDivisionError: division by zero' });
    expect(result.error).toMatchObject({ type: 'ZeroDivisionError', message: 'division by zero' });
    expect(result.error?.traceback).toContain('File "main.py", line 4, in <module>');
    expect(result.error?.traceback).toContain('return a / b');
    expect(result.error?.traceback).not.toContain('run_python');
    expect(result.stderr).toContain('ZeroDivisionError: division by zero');
  });

  it('honours sys.exit codes', async () => {
    expect(await python('import sys\nsys.exit(3)')).toMatchObject({ status: 'error', exitCode: 3 });
    expect(await python('import sys\nsys.exit(0)')).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(await python('raise SystemExit("bye")')).toMatchObject({ status: 'error', exitCode: 1, stderr: 'bye\n' });
  });

  it('ends a program whose output passes limits.outputBytes, even one that catches the signal', async () => {
    const result = await python('print("x" * 100)\nprint("never")', { limits: { outputBytes: 10 } });
    expect(result).toMatchObject({ status: 'output_limit', exitCode: null, stdout: 'xxxxxxxxxx', stdoutTruncated: true });
    expect(result.reason).toContain('raise limits.outputBytes');

    const stubborn = await python(
      'import sys\nfor i in range(1000):\n    try:\n        print("y" * 10, file=sys.stderr)\n    except BaseException:\n        pass\n',
      {
        limits: { outputBytes: 25 },
      },
    );
    expect(stubborn).toMatchObject({ status: 'output_limit', stderrTruncated: true, stdoutTruncated: false });
    expect(Buffer.byteLength(stubborn.stderr)).toBeLessThanOrEqual(25);
  });

  it('gives every request a fresh namespace and a fresh instance', async () => {
    await python('import builtins, json\nsecret = 42\nbuiltins.leaked = "from an earlier run"\njson.dumps = None');
    const result = await python('import builtins, json\nprint("secret" in globals(), hasattr(builtins, "leaked"), json.dumps([1]))');
    expect(result.stdout).toBe('False False [1]\n');
  });

  it('cannot reach the network: no socket module, and the host denies raw sockets; the local server sees nothing', async () => {
    let connections = 0;
    const listener: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as { port: number };
    try {
      const result = await python(
        [
          'for name in ("socket", "urllib.request", "http.client", "ssl"):',
          '    try:',
          '        __import__(name)',
          '        print(name, "imported")',
          '    except ImportError as error:',
          '        print(name, type(error).__name__)',
          'import _socket',
          's = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)',
          'try:',
          `    s.connect(("127.0.0.1", ${port}))`,
          '    print("connected")',
          'except OSError as error:',
          '    print("connect", type(error).__name__)',
        ].join('\n'),
      );
      expect(result.stdout).toBe(
        'socket ModuleNotFoundError\nurllib.request ModuleNotFoundError\nhttp.client ModuleNotFoundError\nssl ModuleNotFoundError\nconnect PermissionError\n',
      );
      expect(result.egress).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  });

  it('sees no environment and no file system of the host', async () => {
    const result = await python(
      'import os\nprint(dict(os.environ))\ntry:\n    os.listdir("/")\nexcept OSError as error:\n    print(type(error).__name__)',
    );
    expect(result.stdout).toBe('{}\nFileNotFoundError\n');
  });

  it('imports no wasi:http/outgoing-handler: the component cannot make an HTTP request under any host', async () => {
    const { stdout: wit } = await run(process.execPath, [JCO, 'wit', `${APP}app.wasm`], { maxBuffer: 16 * 1_048_576 });
    expect(wit).toMatch(/export wasi:http\/incoming-handler@0\.2\.\d+;/);
    expect(wit).not.toContain('wasi:http/outgoing-handler');
  });

  it('answers a trapped instance with a 500 and keeps serving', async () => {
    const response = await execute({ language: 'python', code: 'import os\nos._exit(4)' });
    expect(response.status).toBe(500);
    expect(problemSchema.parse(await response.json())).toMatchObject({ code: 'component_trapped' });
    expect(await python('print("still here")')).toMatchObject({ status: 'ok', stdout: 'still here\n' });
  });

  it('refuses what it cannot run with a 400 problem naming the field', async () => {
    const notJson = await refused('{"language": "python", ');
    expect(notJson).toMatchObject({ status: 400, problem: { status: 400, code: 'invalid_json' } });
    expect(notJson.problem.detail).toContain('not JSON');

    const cases: Array<[unknown, Array<string | number>]> = [
      [{ language: 'javascript', code: 'console.log(1)' }, ['language']],
      [{ code: 'print(1)' }, ['language']],
      [{ language: 'python' }, ['code']],
      [{ language: 'python', code: 42 }, ['code']],
      [{ language: 'python', code: 'a'.repeat(MAX_CODE_BYTES + 1) }, ['code']],
      [{ language: 'python', code: 'print(1)', limits: { outputBytes: 0 } }, ['limits', 'outputBytes']],
      [{ language: 'python', code: 'print(1)', files: [{ path: 'a.txt', content: 'a' }] }, ['files']],
      [{ language: 'python', code: 'print(1)', allowedOutboundHosts: ['example.com'] }, ['allowedOutboundHosts']],
      [{ language: 'python', code: 'print(1)', shell: true }, ['shell']],
    ];
    for (const [body, path] of cases) {
      const { status, problem } = await refused(body);
      expect(status, JSON.stringify(problem)).toBe(400);
      expect(problem).toMatchObject({ type: 'about:blank', status: 400, code: 'invalid_request' });
      expect(problem.issues?.map((issue) => issue.path)).toEqual([path]);
      expect(problem.detail).toContain(path.join('.'));
    }
  });

  it('answers its health check, and 404 or 405 elsewhere', async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const wrongMethod = await fetch(`${url}/v1/executions`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await fetch(`${url}/v2/anything`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe("the app's manifests", () => {
  it('spin.toml is TOML that denies all outbound hosts to the component and builds app.wasm', async () => {
    const { stdout } = await run(PYTHON, [
      '-c',
      'import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))',
      `${APP}spin.toml`,
    ]);
    const manifest = JSON.parse(stdout);
    expect(manifest.spin_manifest_version).toBe(2);
    expect(manifest.trigger.http).toEqual([{ route: '/...', component: 'code-runner' }]);
    const component = manifest.component['code-runner'];
    expect(component.source).toBe('app.wasm');
    expect(component.allowed_outbound_hosts).toEqual([]);
    expect(component.build.command).toBe('sh build.sh');
    for (const grant of ['files', 'environment', 'key_value_stores', 'sqlite_databases', 'variables']) {
      expect(component[grant]).toBeUndefined();
    }
  });

  it('spinapp.yaml is a SpinKube SpinApp on containerd-shim-spin, with an instance memory limit', () => {
    const [app, secret] = readFileSync(`${APP}spinapp.yaml`, 'utf8')
      .split(/^---$/m)
      .map((document) => parseYaml(document));
    expect(app).toMatchObject({
      apiVersion: 'core.spinkube.dev/v1alpha1',
      kind: 'SpinApp',
      spec: { executor: 'containerd-shim-spin', checks: { readiness: { httpGet: { path: '/healthz' } } } },
    });
    expect(secret).toMatchObject({ kind: 'Secret', metadata: { name: app.spec.runtimeConfig.loadFromSecret } });
    expect(secret.stringData['runtime-config.toml']).toMatch(/^max_instance_memory = \d+$/m);
  });

  it('is not built again while app.wasm is newer than its sources', async () => {
    const started = performance.now();
    const { stderr } = await run('sh', [`${APP}build.sh`]);
    expect(stderr).toContain('app.wasm is up to date');
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
