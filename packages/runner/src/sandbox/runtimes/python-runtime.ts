/**
 * @module python-runtime
 * Python on Pyodide. The interpreter was loaded (from a memory snapshot) in the zygote; this
 * child is a fork of it, so whatever the program does dies with the child.
 */
import type { PyodideAPI } from 'pyodide';
import { v8StackKib } from '../../internal/v8-stack-size.js';
import { loadOutOfMemoryReport } from '../out-of-memory-report.js';
import type { ChildOutcome } from '../protocol.js';
import { toolsInstallation } from '../tool-bindings.js';
import { changedSince, collectOutputFiles, decodeInputFile, MAX_PATH_LENGTH, stamps, type WorkspaceEntry } from '../workspace.js';
import type { RunContext, SandboxRuntime } from './runtime.js';

export const PYTHON_WORKDIR = '/work';
/** UMCA's own modules (umca_guest, umca_tools), on sys.path since the snapshot was made. */
export const PYTHON_MODULES_DIR = '/umca';

type PyodideFS = {
  mkdirTree(path: string): void;
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  readdir(path: string): string[];
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  isLink(mode: number): boolean;
  lstat(path: string): { mode: number; ino: number; size: number; mtime: Date | number };
  chdir(path: string): void;
};

/**
 * The working directory's entries. `lstat`, never `stat`: a link is reported, not followed, so a
 * link to /work cannot repeat the tree and a link to /lib cannot return the interpreter's files.
 * If the program replaced /work itself with a link, nothing under it is returned.
 */
function* walk(fs: PyodideFS, root: string, prefix = ''): Generator<WorkspaceEntry> {
  if (!prefix && fs.isLink(fs.lstat(root).mode)) {
    yield { kind: 'symlink', path: '.' };
    return;
  }
  for (const name of fs.readdir(root)) {
    if (name === '.' || name === '..') continue;
    const path = `${root}/${name}`;
    const relative = prefix ? `${prefix}/${name}` : name;
    if (relative.length > MAX_PATH_LENGTH) {
      yield { kind: 'invalid_path', path: relative.slice(0, MAX_PATH_LENGTH) };
      continue;
    }
    const { mode, ino, size, mtime } = fs.lstat(path);
    if (fs.isLink(mode)) yield { kind: 'symlink', path: relative };
    else if (fs.isDir(mode)) yield* walk(fs, path, relative);
    else if (fs.isFile(mode))
      yield { kind: 'file', path: relative, read: () => fs.readFile(path), stamp: `${ino}:${size}:${Number(mtime)}` };
    else yield { kind: 'special_file', path: relative };
  }
}

/**
 * Stops the interpreter's WebAssembly memory at the run's limit. Growing past it fails the way
 * Emscripten expects (Python raises MemoryError), and RLIMIT_DATA's headroom stays free for the
 * JavaScript side that reports the error; without this, Python grew into that headroom and V8
 * then aborted the process instead of reporting `memory_limit`.
 */
const originalGrow = WebAssembly.Memory.prototype.grow;

function heapBytes(pyodide: PyodideAPI): number | undefined {
  return (pyodide as unknown as { _module?: { HEAP8?: Int8Array } })._module?.HEAP8?.buffer.byteLength;
}

function capMemoryGrowth(ceiling: number): void {
  // Emscripten keeps its WebAssembly.Memory to itself; the child's realm has no other, so the
  // prototype is where its growth can be checked. Code that undoes this only loses the report.
  // The zygote runs this too (warm-up, rehearsal): each cap wraps the original, never a cap.
  WebAssembly.Memory.prototype.grow = function growWithinLimit(this: WebAssembly.Memory, pages: number) {
    if (this.buffer.byteLength + pages * 65_536 > ceiling) throw new RangeError('the run reached its memory limit');
    return originalGrow.call(this, pages);
  };
}

/**
 * Python frames per KiB of V8 stack whose RecursionError can still be unwound: freeing a
 * traceback N frames long takes N nested WebAssembly calls on V8's stack. We measured ~6.5 (6,543
 * at 984 KiB, 46,962 at 7,168 KiB); 5 leaves a margin.
 */
const RECURSION_FRAMES_PER_KIB = 5;

/** The deepest recursion limit a program may set in this process. */
export function recursionCeiling(stackKib = v8StackKib()): number {
  return Math.floor(stackKib * RECURSION_FRAMES_PER_KIB);
}

/** What a run changes in the interpreter's streams: where output goes, what stdin holds. */
interface RunStreams {
  output: RunContext['output'] | undefined;
  stdin: string | null;
}

/**
 * Points the interpreter's stdout, stderr and stdin at `streams`, once, in the zygote: each run
 * only swaps what `streams` holds. (Setting Pyodide's streams rebuilds its devices; per run that
 * was a measurable part of a trivial run.)
 */
function bindStreams(pyodide: PyodideAPI, streams: RunStreams): void {
  const writer = (stream: 'stdout' | 'stderr') => ({
    isatty: false,
    write: (bytes: Uint8Array) => {
      streams.output?.write(stream, bytes);
      return bytes.byteLength;
    },
  });
  pyodide.setStdout(writer('stdout'));
  pyodide.setStderr(writer('stderr'));
  pyodide.setStdin({
    stdin: () => {
      const data = streams.stdin;
      streams.stdin = null;
      return data;
    },
    autoEOF: true,
  });
}

/** Returns the Python runtime bound to a loaded interpreter. */
export function createPythonRuntime(pyodide: PyodideAPI): SandboxRuntime {
  const armOutOfMemoryReport = loadOutOfMemoryReport();
  const streams: RunStreams = { output: undefined, stdin: null };
  bindStreams(pyodide, streams);
  const guest = {
    run: pyodide.pyimport('umca_guest').run as (code: string, keep: boolean) => Promise<string>,
    installTools: pyodide.pyimport('umca_tools')._install as (installation: string) => void,
    // The zygote's runs (warm-up, rehearsal) have no tools, so neither has a fresh child.
    toolsInstalled: false,
  };
  /** A session's memory ceiling, fixed at its first run: what its state may grow to. */
  let sessionCeiling: number | undefined;
  return {
    runtime: 'pyodide',
    sessions: true,
    prepare() {
      (pyodide.pyimport('umca_guest').set_recursion_ceiling as (ceiling: number) => void)(recursionCeiling());
      // Every object the zygote made is kept for good: a child's collections then never walk
      // (and so never copy) the zygote's objects, only the run's own.
      pyodide.runPython('import gc\ngc.freeze()\ndel gc');
      // Pyodide calls a JavaScript error inside the interpreter fatal and rethrows it wherever it
      // surfaces: the awaited run, a task of the event loop, a timer. Its hook sees it first, so
      // a stack overflow is reported as the RecursionError it is, whichever way it reaches the child.
      (pyodide as unknown as { _api: { on_fatal?: (error: unknown) => void } })._api.on_fatal = (error) => {
        if (isStackOverflow(error)) describeAsRecursionError(error);
      };
    },
    run: async (context) => {
      // The program can fill V8's heap too (run_js): report that as memory_limit, not a crash.
      armOutOfMemoryReport((context.channel as RunContext['channel'] | undefined)?.fd ?? -1, 'pyodide');
      streams.output = context.output;
      streams.stdin = context.order.stdin ?? null;
      if (context.order.tools.length > 0 || guest.toolsInstalled) {
        guest.installTools(JSON.stringify(toolsInstallation(context.order.tools)));
        guest.toolsInstalled = context.order.tools.length > 0;
      }
      const heap = heapBytes(pyodide);
      if (heap !== undefined) {
        if (context.session) sessionCeiling ??= heap + context.memoryBytes;
        capMemoryGrowth(context.session && sessionCeiling !== undefined ? sessionCeiling : heap + context.memoryBytes);
      }
      try {
        return await runPython(pyodide, guest.run, context);
      } finally {
        streams.output = undefined;
      }
    },
  };
}

/** V8 ran out of stack inside the interpreter, which is then dead (Pyodide calls it fatal). */
function isStackOverflow(error: unknown): error is RangeError {
  return error instanceof RangeError && /maximum call stack size exceeded/i.test(error.message);
}

/** Renames V8's error in place (a child reports errors by name and message). */
function describeAsRecursionError(error: RangeError): void {
  error.name = 'RecursionError';
  // No "memory" in these words: the child reads a RangeError about memory as memory_limit.
  error.message =
    'maximum recursion depth exceeded: the WebAssembly stack is full. Recursion through C code ' +
    '(functools.lru_cache, __repr__, __eq__, sort keys...) and freeing objects nested thousands deep ' +
    'take far more of it than plain Python calls. Recurse less deeply, or use a loop with an explicit stack.';
  // V8's stack trace lists WebAssembly function numbers; the interpreter printed the Python one.
  error.stack = '';
}

async function runPython(
  pyodide: PyodideAPI,
  run: (code: string, keep: boolean) => Promise<string>,
  context: RunContext,
): Promise<ChildOutcome> {
  const { order, output } = context;
  const fs = pyodide.FS as unknown as PyodideFS;
  // In a session, files the earlier runs left are not this run's output unless it changes them.
  const before = context.session ? stamps(walk(fs, PYTHON_WORKDIR)) : undefined;
  for (const file of order.files) {
    const path = `${PYTHON_WORKDIR}/${file.path}`;
    fs.mkdirTree(path.slice(0, path.lastIndexOf('/')));
    fs.writeFile(path, decodeInputFile(file));
  }
  fs.chdir(PYTHON_WORKDIR);
  const outcome = JSON.parse(await run(order.code ?? '', context.session === true)) as Omit<ChildOutcome, 'files' | 'runtime'>;
  output.flush();
  const entries = walk(fs, PYTHON_WORKDIR);
  return { ...outcome, ...collectOutputFiles(before ? changedSince(entries, before) : entries, order.files), runtime: 'pyodide' };
}
