/**
 * Hostile code trying to get out. Each program below is what an attacker who knows Pyodide,
 * Emscripten, QuickJS and Node would try; each must fail with the refusal of the layer that stops
 * it (an errno, an error class), and the host and the runs after it must stay unaffected. A probe
 * that fails for any other reason (a typo, an AttributeError) ends its run `error` and fails its test.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * Python that records what each `attempt(label, action)` yielded: `ESCAPED ...` when the action
 * succeeded, the Node error code (EPERM, ENOENT, ...) when the host JavaScript realm refused it,
 * the errno name when Python's own OSError did. Any other exception is not a refusal: it ends the
 * run `error`, so that `probe` fails.
 */
const PROBE_PRELUDE = `
import errno, json, js
from pyodide.ffi import JsException, to_js
node = js.process.getBuiltinModule
def options(**entries):
    return to_js(entries, dict_converter=js.Object.fromEntries)
outcomes = {}
def attempt(label, action):
    try:
        outcomes[label] = "ESCAPED " + str(js.String(action()))[:200]
    except JsException as error:
        code = getattr(error.js_error, "code", None)
        outcomes[label] = str(code) if code is not None else f"{error.js_error.name}: {error.js_error.message}"
    except OSError as error:
        outcomes[label] = errno.errorcode.get(error.errno, f"errno {error.errno}")
`;

/** Runs `body` after the prelude and returns the outcome of each attempt, by label. */
async function probe(body: string): Promise<Record<string, unknown>> {
  const result = await python(`${PROBE_PRELUDE}\n${body}\nprint(json.dumps(outcomes))`);
  expect(result.status, result.stderr).toBe('ok');
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const each = (labels: readonly string[], outcome: string) => Object.fromEntries(labels.map((label) => [label, outcome]));

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

  it('cannot read host files, through Python or through Node: they do not exist in the sandbox', async () => {
    const paths = [secretFile, '/etc/passwd', '/etc/shadow', '/root/.ssh', process.cwd(), join(process.cwd(), 'package.json')];
    const outcomes = await probe(`
for path in ${JSON.stringify(paths)}:
    attempt("node " + path, lambda path=path: node("fs").readFileSync(path, "utf8"))
attempt("python " + ${JSON.stringify(secretFile)}, lambda: open(${JSON.stringify(secretFile)}).read())
`);
    // bubblewrap mounts none of them (ENOENT from Node); Python's own files live in Emscripten's
    // in-memory file system, which has none of them either.
    const labels = [...paths.map((path) => `node ${path}`), `python ${secretFile}`];
    expect(outcomes).toEqual(each(labels, 'ENOENT'));
  });

  it('cannot write anywhere in the sandbox file system, and a later run and the host find nothing written', async () => {
    const paths = ['/pwned', '/usr/pwned', '/umca/runner/dist/pwned.js', '/dev/shm/pwned'];
    const outcomes = await probe(`
for path in ${JSON.stringify(paths)}:
    attempt(path, lambda path=path: node("fs").writeFileSync(path, "x"))
`);
    // bubblewrap remounts / (and every bind under it) and /dev read-only.
    expect(outcomes).toEqual(each(paths, 'EROFS'));
    const later = await python(`import js\nprint([js.process.getBuiltinModule("fs").existsSync(p) for p in ${JSON.stringify(paths)}])`);
    expect(later).toMatchObject({ status: 'ok', stdout: `[${paths.map(() => 'False').join(', ')}]\n` });
    // /umca/runner/dist is the host's packages/runner/dist, mounted read-only.
    expect(existsSync(fileURLToPath(new URL('../dist/pwned.js', import.meta.url)))).toBe(false);
  });

  it('finds nothing of /sys but the huge-page mode Node reads, and cannot change it', async () => {
    const mode = '/sys/kernel/mm/transparent_hugepage/enabled';
    const outcomes = await probe(`
fs = node("fs")
attempt("/sys holds", lambda: js.JSON.stringify(fs.readdirSync("/sys")))
attempt("/sys/kernel/mm holds", lambda: js.JSON.stringify(fs.readdirSync("/sys/kernel/mm")))
attempt("transparent_hugepage holds", lambda: js.JSON.stringify(fs.readdirSync("/sys/kernel/mm/transparent_hugepage")))
attempt("write mode", lambda: fs.writeFileSync("${mode}", "always"))
attempt("defrag", lambda: fs.readFileSync("/sys/kernel/mm/transparent_hugepage/defrag", "utf8"))
attempt("/sys/fs/cgroup", lambda: fs.readdirSync("/sys/fs/cgroup"))
attempt("/sys/class/net", lambda: fs.readdirSync("/sys/class/net"))
attempt("mode", lambda: fs.readFileSync("${mode}", "utf8"))
`);
    const gone = { '/sys/fs/cgroup': 'ENOENT', '/sys/class/net': 'ENOENT', defrag: 'ENOENT' };
    if (!existsSync(mode)) {
      // A host without transparent huge pages: nothing of /sys is mounted at all.
      expect(outcomes).toEqual({
        ...gone,
        ...each(['/sys holds', '/sys/kernel/mm holds', 'transparent_hugepage holds', 'mode'], 'ENOENT'),
        'write mode': 'EROFS',
      });
      return;
    }
    expect(outcomes).toEqual({
      ...gone,
      '/sys holds': 'ESCAPED ["kernel"]',
      '/sys/kernel/mm holds': 'ESCAPED ["transparent_hugepage"]',
      'transparent_hugepage holds': 'ESCAPED ["enabled"]',
      'write mode': 'EROFS',
      // Readable (the probe calls every success ESCAPED), and the same words as on the host: all
      // they say is whether the kernel offers huge pages.
      mode: `ESCAPED ${readFileSync(mode, 'utf8')}`.slice(0, 'ESCAPED '.length + 200),
    });
  });

  it('cannot feed V8 compiled code: WebAssembly.compileStreaming refuses, and the sandbox goes on', async () => {
    // The zygote loads its interpreter's cached code through V8's streaming callback; in a child
    // that callback has nothing to hand out and refuses whatever it is given.
    const result = await python(`
import js, json
from pyodide.ffi import JsException, to_js
outcomes = []
for source in [js.Promise.resolve(1), to_js(b"\\x00asm\\x01\\x00\\x00\\x00")]:
    try:
        await js.WebAssembly.compileStreaming(source)
        outcomes.append("COMPILED")
    except JsException as error:
        outcomes.append(f"{error.js_error.name}: {error.js_error.message}")
print(json.dumps(outcomes))
`);
    expect(result.status, result.stderr).toBe('ok');
    expect(JSON.parse(result.stdout)).toEqual(
      Array(2).fill('TypeError: WebAssembly.compileStreaming is not available in the UMCA sandbox'),
    );
    const after = await python('print(sum(range(10)))');
    expect(after).toMatchObject({ status: 'ok', stdout: '45\n' });
  });

  it("cannot use the zygote's code-cache addon to load machine code or read the interpreter's", async () => {
    const outcomes = await probe(`
cache = node("module").createRequire("/umca/runner/dist/sandbox/zygote-main.js")("/umca/runner/build/umca_wasm_cache.node")
module = js.WebAssembly.Module.new(to_js(b"\\x00asm\\x01\\x00\\x00\\x00"))
def refusal(action):
    try:
        action()
        return "ESCAPED"
    except JsException as error:
        return error.js_error.message
outcomes["compileWithCache"] = refusal(lambda: cache.compileWithCache(to_js(b"\\x00asm\\x01\\x00\\x00\\x00"), to_js(b"crafted code")))
outcomes["serializeModule"] = refusal(lambda: cache.serializeModule(module))
`);
    expect(outcomes).toEqual(
      each(['compileWithCache', 'serializeModule'], "the WebAssembly cache is sealed: it serves the zygote's start only"),
    );
  });

  it('cannot start programs or processes', async () => {
    const outcomes = await probe(`
import os, subprocess
child_process = node("child_process")
attempt("execSync id", lambda: child_process.execSync("id", options(encoding="utf8")))
attempt("execFileSync id", lambda: child_process.execFileSync("/usr/bin/id", to_js([]), options(stdio="ignore", encoding="utf8")))
attempt("execFileSync node", lambda: child_process.execFileSync(js.process.execPath, to_js(["-e", "1"]), options(stdio="ignore", encoding="utf8")))
attempt("os.fork", os.fork)
attempt("subprocess.run", lambda: subprocess.run(["id"]))
`);
    expect(outcomes).toEqual({
      // seccomp: the pipes for the child's stdio are a socketpair, refused like every socket...
      'execSync id': 'EACCES',
      // ...and without them, the fork itself (clone without CLONE_THREAD) is refused.
      'execFileSync id': 'EPERM',
      'execFileSync node': 'EPERM',
      // Python's own process calls never leave Emscripten.
      'os.fork': 'ENOSYS',
      'subprocess.run': 'ENOTSUP',
    });
  });

  it('has no network: sockets, DNS and Node clients all fail, and no request reaches a local server', async () => {
    fixture = await startHttpFixture();
    const result = await python(`
import asyncio, js, json, socket
from pyodide.ffi import create_once_callable
attempts = {}
try:
    # Pyodide's socket layer may report a connection before any packet is sent: try to use it.
    connection = socket.create_connection(("127.0.0.1", ${fixture.port}), timeout=1)
    connection.sendall(b"GET /from-python-socket HTTP/1.0\\r\\n\\r\\n")
    attempts["python socket"] = "CONNECTED " + repr(connection.recv(100))
except OSError as error:
    attempts["python socket"] = type(error).__name__
node = js.process.getBuiltinModule
def on_net_error(error):
    attempts["node net"] = str(error.code)
node("net").connect(${fixture.port}, "127.0.0.1").on("error", create_once_callable(on_net_error))
# Emscripten answers getaddrinfo with made-up 172.29.x.x addresses; the real resolver must fail.
attempts["emscripten dns"] = socket.getaddrinfo("example.com", 80)[0][4][0]
def on_lookup(error, address=None, *rest):
    attempts["node dns"] = "RESOLVED " + str(address) if error is None else str(error.code)
node("dns").lookup("example.com", create_once_callable(on_lookup))
# Both callbacks come back from Node's event loop: wait for them a bounded number of times.
for _ in range(200):
    if "node net" in attempts and "node dns" in attempts:
        break
    await asyncio.sleep(0.05)
print(json.dumps(attempts))
`);
    expect(result.status, result.stderr).toBe('ok');
    expect(JSON.parse(result.stdout)).toEqual({
      // Emscripten tunnels the socket over a WebSocket whose connect() seccomp refuses; Python
      // only ever sees the connection not come up.
      'python socket': 'TimeoutError',
      'emscripten dns': expect.stringMatching(/^172\.29\./),
      // seccomp refuses socket() with EACCES...
      'node net': 'EACCES',
      // ...so the resolver cannot ask any server (and there is no network interface to ask over).
      'node dns': 'EAI_AGAIN',
    });
    // Give anything that slipped out the time to arrive before checking that nothing did.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fixture.received).toHaveLength(0);
  });

  it('cannot leave an IPC object in /dev/shm for a later run', async () => {
    const outcomes = await probe('attempt("/dev/shm/x", lambda: node("fs").openSync("/dev/shm/x", "w"))');
    expect(outcomes).toEqual({ '/dev/shm/x': 'EROFS' });
    // seccomp refuses System V and POSIX message-queue objects; /dev/shm is where POSIX shared
    // memory would live. The next run finds it empty.
    const later = await probe(`
outcomes["/dev/shm holds"] = list(node("fs").readdirSync("/dev/shm"))
attempt("/dev/shm/x", lambda: node("fs").statSync("/dev/shm/x"))
`);
    expect(later).toEqual({ '/dev/shm holds': [], '/dev/shm/x': 'ENOENT' });
  });
});

describe('escape attempts from JavaScript', () => {
  it('finds no host realm, module loader or Node API', async () => {
    const result = await runner().run({
      language: 'javascript',
      code: `
const refusal = (error) => error.name + ': ' + error.message;
const probes = {
  process: typeof process,
  functionConstructor: (() => { try { return typeof (function () {}).constructor('return process')() } catch (e) { return refusal(e) } })(),
  require: typeof require,
  fs: await import('fs').then(() => 'LOADED', refusal),
  nodeFs: await import('node:fs').then(() => 'LOADED', refusal),
  os: await import('os').then(() => 'LOADED', refusal),
  std: await import('std').then(() => 'LOADED', refusal),
};
console.log(JSON.stringify(probes));`,
    });
    expect(result.status).toBe('ok');
    // QuickJS loads no module but umca:tools (sandbox-tools.real.test.ts), and its global object is its own.
    expect(JSON.parse(result.stdout)).toEqual({
      process: 'undefined',
      functionConstructor: "ReferenceError: 'process' is not defined",
      require: 'undefined',
      fs: "ReferenceError: could not load module 'fs'",
      nodeFs: "ReferenceError: could not load module 'node:fs'",
      os: "ReferenceError: could not load module 'os'",
      std: "ReferenceError: could not load module 'std'",
    });
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
