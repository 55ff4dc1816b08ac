/**
 * Hostile code trying to get out. Each program below is what an attacker who knows Pyodide,
 * Emscripten, QuickJS and Node would try; each must fail, and the host must stay unaffected.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HttpFixture, startHttpFixture } from '../../policy/test/support/http-fixture.js';
import { useRunner } from './support/use-runner.js';

const SECRET = `umca-secret-${process.pid}-${Date.now()}`;
process.env.UMCA_TEST_SECRET = SECRET;
const secretDir = mkdtempSync(join(tmpdir(), 'umca-escape-'));
const secretFile = join(secretDir, 'secret.txt');
writeFileSync(secretFile, SECRET);

const runner = useRunner();
let fixture: HttpFixture | undefined;
afterAll(() => fixture?.close());

const python = async (code: string) => {
  const result = await runner().run({ language: 'python', code, limits: { timeoutMs: 20_000 } });
  expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET);
  return result;
};

/** Python that reaches the host JavaScript realm through Pyodide's FFI and tries `attempt`. */
const viaJsRealm = (attempt: string) => `
import js
node = js.process.getBuiltinModule
try:
    result = ${attempt}
    print("ESCAPED", str(result)[:200])
except Exception as error:
    print("refused", type(error).__name__, str(error)[:200])
`;

describe('escape attempts from Python', () => {
  it('does not see the host environment', async () => {
    const result = await python(`
import os, js
print(sorted(os.environ))
print(list(js.Object.keys(js.process.env)))
print(getattr(js.process.env, "UMCA_TEST_SECRET", "absent"))
`);
    expect(result.status).toBe('ok');
    // bubblewrap sets PWD for the directory it starts in ("/"); nothing else reaches the sandbox.
    expect(result.stdout).toMatch(/^\['HOME', 'LANG', 'PATH', 'TMPDIR'\]\n\[(|'PWD')\]\nabsent\n$/);
  });

  it('cannot read host files, through Python or through Node', async () => {
    const result = await python(`
import js
fs = js.process.getBuiltinModule("fs")
for path in [${JSON.stringify(secretFile)}, "/etc/passwd", "/etc/shadow", "/root/.ssh", ${JSON.stringify(process.cwd())}, ${JSON.stringify(join(process.cwd(), 'package.json'))}]:
    try:
        data = fs.readFileSync(path, "utf8")
        print("READ", path, str(data)[:80])
    except Exception as error:
        print("refused", path, str(error)[:60])
try:
    print(open(${JSON.stringify(secretFile)}).read())
except OSError as error:
    print("python refused", error.errno)
`);
    expect(result.status).toBe('ok');
    expect(result.stdout).not.toContain('READ');
    expect(result.stdout).toContain('python refused');
  });

  it('cannot write anywhere in the sandbox file system', async () => {
    const result = await python(
      viaJsRealm(
        '[node("fs").writeFileSync(p, "x") or p for p in ["/pwned", "/usr/pwned", "/umca/runner/dist/pwned.js", "/dev/shm/pwned"]]',
      ),
    );
    expect(result.stdout).toMatch(/^refused/m);
    expect(result.stdout).not.toContain('ESCAPED');
  });

  it('cannot start programs or processes', async () => {
    for (const attempt of [
      'node("child_process").execSync("id").toString()',
      'node("child_process").spawnSync("/usr/bin/id").error.message',
      'node("child_process").execFileSync(js.process.execPath, ["-e", "1"]).toString()',
    ]) {
      const result = await python(viaJsRealm(attempt));
      expect(result.stdout, attempt).not.toContain('uid=');
      expect(result.stdout, attempt).toMatch(/refused|EPERM|EACCES|ENOENT/);
    }
  });

  it('has no network: sockets, DNS and Node clients all fail, and no request reaches a local server', async () => {
    fixture = await startHttpFixture();
    const result = await python(`
import js, socket
attempts = {}
try:
    # Pyodide's socket layer may report a connection before any packet is sent: try to use it.
    connection = socket.create_connection(("127.0.0.1", ${fixture.port}), timeout=1)
    connection.sendall(b"GET /from-python-socket HTTP/1.0\\r\\n\\r\\n")
    attempts["python socket"] = "CONNECTED " + repr(connection.recv(100))
except Exception as error:
    attempts["python socket"] = type(error).__name__
node = js.process.getBuiltinModule
from pyodide.ffi import create_once_callable
def on_net_error(error):
    attempts["node net"] = str(error.code)
node("net").connect(${fixture.port}, "127.0.0.1").on("error", create_once_callable(on_net_error))
# Emscripten answers getaddrinfo with made-up 172.29.x.x addresses; the real resolver must fail.
attempts["emscripten dns"] = socket.getaddrinfo("example.com", 80)[0][4][0]
from pyodide.ffi import create_once_callable
def on_lookup(error, address=None, *rest):
    attempts["node dns"] = "RESOLVED " + str(address) if error is None else str(error.code)
node("dns").lookup("example.com", create_once_callable(on_lookup))
import asyncio
await asyncio.sleep(0.3)
print(attempts)
`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(result.stdout).not.toMatch(/CONNECTED|RESOLVED/);
    expect(result.stdout).toMatch(/'emscripten dns': '172\.29\./);
    expect(result.stdout).toMatch(/'node net': 'EACCES'/);
    expect(result.stdout).toMatch(/'node dns': 'EAI_AGAIN'/);
    expect(fixture.received).toHaveLength(0);
  });

  it('cannot keep IPC objects for a later run', async () => {
    const result = await python(viaJsRealm('node("fs").openSync("/dev/shm/x", "w")'));
    expect(result.stdout).toMatch(/refused/);
  });
});

describe('escape attempts from JavaScript', () => {
  it('finds no host realm, module loader or Node API', async () => {
    const result = await runner().run({
      language: 'javascript',
      code: `
const probes = {
  process: typeof process,
  functionConstructor: (() => { try { return typeof (function () {}).constructor('return process')() } catch (e) { return e.name } })(),
  require: typeof require,
  fs: await import('fs').then(() => 'LOADED', (e) => e.name),
  os: await import('os').then(() => 'LOADED', (e) => e.name),
  std: await import('std').then(() => 'LOADED', (e) => e.name),
};
console.log(JSON.stringify(probes));`,
    });
    expect(result.status).toBe('ok');
    expect(result.stdout).not.toContain('LOADED');
    expect(JSON.parse(result.stdout)).toMatchObject({ process: 'undefined', functionConstructor: 'ReferenceError', require: 'undefined' });
  });
});

describe('escape attempts from wasm32-wasi', () => {
  it('cannot open paths outside its preopened directory', async () => {
    const { default: wabtInit } = await import('wabt');
    const wabt = await wabtInit();
    // Tries to open "../../etc/passwd" relative to the preopen and exits with the WASI errno.
    const wat = `
(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "../../etc/passwd")
  (func (export "_start")
    (call $exit (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 16) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 8)))))`;
    const result = await runner().run({
      language: 'wasi',
      module: Buffer.from(wabt.parseWat('escape.wat', wat).toBinary({}).buffer).toString('base64'),
    });
    expect(result.status).toBe('error');
    expect(result.exitCode).toBe(76); // WASI ENOTCAPABLE
  });
});
