/**
 * The container lane: native python3 and node in a fresh bubblewrap sandbox per run. The same
 * result contract as the wasm lane, the egress gateway as the only way out (its proxy), the
 * router's choices, and hostile code that tries to reach the host, the network, or another run.
 * Runs again as an unprivileged user (scripts/test-unprivileged.sh).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionRequest } from '@umca/contracts';
import { acceptExecutionRequest } from '@umca/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpFixture, startHttpFixture } from '../../policy/test/support/http-fixture.js';
import { useRunner } from './support/use-runner.js';

let fixture: HttpFixture;
beforeAll(async () => {
  fixture = await startHttpFixture();
});
afterAll(() => fixture.close());

const runner = useRunner({ containerLane: true, concurrency: 4 });
const container = (request: ExecutionRequest) => runner().run({ ...request, lane: 'container' } as ExecutionRequest);
const python = (code: string, extra: Partial<ExecutionRequest> = {}) =>
  container({ language: 'python', code, limits: { timeoutMs: 20_000 }, ...extra } as ExecutionRequest);

describe('the contract', () => {
  it('runs python3 with its files in and out, and says where it ran', async () => {
    const result = await python('import sys\nprint(sys.implementation.name)\nopen("out.txt", "w").write(open("in.txt").read() * 2)', {
      files: [{ path: 'in.txt', content: 'ab' }],
    });
    expect(result).toMatchObject({
      status: 'ok',
      exitCode: 0,
      stdout: 'cpython\n',
      lane: 'container',
      runtime: 'cpython',
      isolation: 'os',
    });
    expect(result.selection).toMatchObject({ lane: 'container', by: 'request' });
    expect(result.files.map((file) => [file.path, file.content])).toEqual([['out.txt', 'abab']]);
  });

  it('runs node, reads stdin, and reports an exception and an exit code', async () => {
    const node = await container({
      language: 'javascript',
      code: 'import fs from "node:fs";\nconsole.log(fs.readFileSync(0, "utf8").toUpperCase())',
      stdin: 'piped',
    });
    expect(node).toMatchObject({ status: 'ok', stdout: 'PIPED\n', runtime: 'node' });
    // CommonJS, as agents often write it, runs as CommonJS.
    const commonJs = await container({
      language: 'javascript',
      code: 'const { execSync } = require("child_process");\nconsole.log(execSync("echo hi").toString().trim())',
    });
    expect(commonJs).toMatchObject({ status: 'ok', stdout: 'hi\n' });
    const failed = await python('def f():\n    raise ValueError("bad input")\nf()');
    expect(failed).toMatchObject({ status: 'error', exitCode: 1, error: { type: 'ValueError', message: 'bad input' } });
    expect(await python('import sys\nsys.exit(4)')).toMatchObject({ status: 'error', exitCode: 4 });
  });

  it('ends a run at its time limit with every process it started', async () => {
    const marker = `umca-orphan-${process.pid}-${Date.now()}`;
    const result = await python(`import subprocess\nsubprocess.Popen(["sleep", "30", "${marker}"])\nwhile True: pass`, {
      limits: { timeoutMs: 1_500 },
    });
    expect(result.status).toBe('timeout');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const survivors = readdirSync('/proc').filter((pid) => {
      try {
        return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
    expect(survivors).toEqual([]);
  });

  it('ends a run that prints past its output cap', async () => {
    const result = await python('while True: print("x" * 1000)', { limits: { outputBytes: 10_000 } });
    expect(result.status).toBe('output_limit');
  });
});

describe('the network', () => {
  it('has none but the egress gateway: allowed hosts through the proxy, nothing else', async () => {
    const allowed = `http://127.0.0.1:${fixture.port}`;
    const code = `
import socket, urllib.request
print(urllib.request.urlopen("${allowed}/hello", timeout=5).read().decode())
try:
    urllib.request.urlopen("http://127.0.0.2:${fixture.port}/", timeout=5)
except Exception as error:
    print("denied", getattr(error, "code", type(error).__name__))
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
except OSError as error:
    print("direct", type(error).__name__)
`;
    const result = await python(code, { allowedOutboundHosts: [allowed] });
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout.split('\n').slice(0, 3)).toEqual(['hello from the fixture ✓', 'denied 403', 'direct OSError']);
    expect(result.egress.map((attempt) => attempt.verdict)).toEqual(['allowed', 'denied']);
  });
});

describe('pip', () => {
  it('installs a package at run time from an allowed index, through the proxy', async () => {
    const index = await startWheelIndex();
    try {
      const code = `
import site, subprocess, sys
subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--index-url", "${index.url}/simple/", "umca-demo"], check=True)
site.addsitedir(site.getusersitepackages())
import umca_demo
print(umca_demo.ANSWER)
`;
      const result = await python(code, { allowedOutboundHosts: [index.url], limits: { timeoutMs: 60_000 } });
      expect(result.status, result.stderr).toBe('ok');
      expect(result.stdout).toBe('42\n');
      expect(index.requests).toContain('/packages/umca_demo-1.0-py3-none-any.whl');
      // Without the index among its hosts, the same install is refused by the gateway.
      const refused = await python(code, { limits: { timeoutMs: 60_000 } });
      expect(refused.status).toBe('error');
      expect(refused.egress.every((attempt) => attempt.verdict === 'denied')).toBe(true);
    } finally {
      index.close();
    }
  });
});

describe('hostile code', () => {
  it('sees nothing of the host and cannot change the system', async () => {
    const result = await python(`
import json, os
found = {}
for path in ["/etc/passwd", "/etc/shadow", "/root", "${process.cwd()}", "/proc/1/environ"]:
    try:
        found[path] = os.listdir(path) if os.path.isdir(path) else open(path).read()[:50]
    except OSError as error:
        found[path] = type(error).__name__
for path in ["/usr/planted", "/umca/io/planted"]:
    try:
        open(path, "w").write("x")
        found[path] = "WROTE"
    except OSError as error:
        found[path] = type(error).__name__
found["uid"] = os.getuid()
found["userns"] = os.system("unshare -U true 2>/dev/null")
print(json.dumps(found))
`);
    expect(result.status, result.stderr).toBe('ok');
    const found = JSON.parse(result.stdout) as Record<string, unknown>;
    for (const path of ['/etc/passwd', '/etc/shadow', '/root', process.cwd(), '/usr/planted', '/umca/io/planted']) {
      expect(String(found[path]), path).toMatch(/Error$/);
    }
    expect(found['/proc/1/environ']).not.toContain('PATH=/root');
    expect(found.uid).not.toBe(0);
    expect(found.userns).not.toBe(0);
  });

  it('cannot see another run, its files or its processes', async () => {
    const marker = `umca-run-a-${Date.now()}`;
    const first = python(`import time\nopen("/work/${marker}", "w").write("x")\nopen("/tmp/${marker}", "w").write("x")\ntime.sleep(3)`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const second = await python(`
import os
seen = os.listdir("/work") + os.listdir("/tmp") + os.listdir("/home/run")
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            seen.append(open(f"/proc/{pid}/cmdline").read())
        except OSError:
            pass
print("${marker}" in " ".join(seen))
`);
    expect(second.stdout).toBe('False\n');
    expect((await first).status).toBe('ok');
  });
});

describe('the router', () => {
  it('sends code that starts processes or imports what no WASM runtime has to the container, the rest to WebAssembly', async () => {
    const processes = await runner().run({
      language: 'python',
      code: 'import subprocess\nprint(subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout)',
    });
    expect(processes).toMatchObject({ status: 'ok', stdout: 'hi\n\n', lane: 'container', selection: { by: 'code' } });
    const missing = await runner().run({ language: 'python', code: 'import requests' });
    expect(missing).toMatchObject({
      lane: 'container',
      selection: { by: 'imports', reason: 'the code imports requests, which no WASM runtime has' },
    });
    const plain = await runner().run({ language: 'python', code: 'print(1)' });
    expect(plain.lane).toBe('wasm');
  });

  it('keeps a caller whose grant lacks the container lane in WebAssembly, and refuses it the lane by name', async () => {
    const accepted = { ...acceptExecutionRequest({ language: 'python', code: 'import subprocess' }), lanes: ['wasm'] as const };
    const kept = await runner().execute(accepted);
    expect(kept.lane).toBe('wasm');
    expect(kept.selection?.reason).toMatch(/this caller may not use the container lane/);
    const named = await runner().execute({
      ...acceptExecutionRequest({ language: 'python', code: 'print(1)', lane: 'container' }),
      lanes: ['wasm'],
    });
    expect(named).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/not allowed for this caller/) });
  });
});

/** A PEP 503 index on 127.0.0.1 serving one wheel, built here with python3's zipfile. */
async function startWheelIndex(): Promise<{ url: string; requests: string[]; close: () => void }> {
  const wheel = execFileSync('python3', [
    '-c',
    [
      'import io, sys, zipfile',
      'out = io.BytesIO()',
      'with zipfile.ZipFile(out, "w") as z:',
      '    z.writestr("umca_demo/__init__.py", "ANSWER = 42\\n")',
      '    z.writestr("umca_demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: umca-demo\\nVersion: 1.0\\n")',
      '    z.writestr("umca_demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: umca-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
      '    z.writestr("umca_demo-1.0.dist-info/RECORD", "")',
      'sys.stdout.buffer.write(out.getvalue())',
    ].join('\n'),
  ]);
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/simple/umca-demo/') {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<a href="/packages/umca_demo-1.0-py3-none-any.whl">umca_demo-1.0-py3-none-any.whl</a>');
    } else if (request.url === '/packages/umca_demo-1.0-py3-none-any.whl') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(wheel);
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => server.close() };
}
