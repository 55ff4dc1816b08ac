/**
 * @module wasi-runtime
 * Raw wasm32-wasi (preview 1) command modules, on an in-memory WASI implementation: the module
 * sees its arguments, its environment, stdin, stdout, stderr and a /work directory holding the
 * input files, and nothing of the real file system. It has no sockets.
 */
import { ConsoleStdout, Directory, File, type Inode, OpenFile, PreopenDirectory, WASI } from '@bjorn3/browser_wasi_shim';
import type { ChildOutcome } from '../protocol.js';
import { collectOutputFiles, decodeInputFile, MAX_PATH_LENGTH, type WorkspaceEntry } from '../workspace.js';
import type { RunContext, SandboxRuntime } from './runtime.js';

function buildTree(files: RunContext['order']['files']): Map<string, Inode> {
  const root = new Map<string, Inode>();
  for (const file of files) {
    const parts = file.path.split('/');
    let level = root;
    for (const part of parts.slice(0, -1)) {
      let next = level.get(part);
      if (!(next instanceof Directory)) {
        next = new Directory(new Map());
        level.set(part, next);
      }
      level = (next as Directory).contents;
    }
    level.set(parts[parts.length - 1] as string, new File(decodeInputFile(file)));
  }
  return root;
}

/**
 * The working directory's entries. The shim has no symbolic links (`path_symlink` is not
 * supported); any inode that is neither file nor folder is reported, and a folder reachable twice
 * is walked once, so no link-like sharing can repeat the tree.
 */
function* walk(contents: Map<string, Inode>, prefix = '', seen = new Set<Map<string, Inode>>([contents])): Generator<WorkspaceEntry> {
  for (const [name, inode] of contents) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (path.length > MAX_PATH_LENGTH) yield { kind: 'invalid_path', path: path.slice(0, MAX_PATH_LENGTH) };
    else if (inode instanceof Directory) {
      if (seen.has(inode.contents)) yield { kind: 'symlink', path };
      else {
        seen.add(inode.contents);
        yield* walk(inode.contents, path, seen);
      }
    } else if (inode instanceof File) yield { kind: 'file', path, read: () => inode.data };
    else yield { kind: 'special_file', path };
  }
}

function failure(type: string, message: string): ChildOutcome {
  return { status: 'error', exitCode: 1, error: { type, message }, files: [], runtime: 'wasi' };
}

// Compiled and instantiated synchronously: the child has no V8 worker threads for the async APIs.
export const wasiRuntime: SandboxRuntime = { runtime: 'wasi', run: runWasi };

async function runWasi(context: RunContext): Promise<ChildOutcome> {
  const { order, output } = context;
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(Buffer.from(order.module ?? '', 'base64'));
  } catch (error) {
    return failure('CompileError', `the module is not valid WebAssembly: ${(error as Error).message}`);
  }
  const unsupported = WebAssembly.Module.imports(module).filter((entry) => entry.module !== 'wasi_snapshot_preview1');
  if (unsupported.length > 0) {
    const names = unsupported.slice(0, 5).map((entry) => `${entry.module}.${entry.name}`);
    return failure('LinkError', `the module imports ${names.join(', ')}; only wasi_snapshot_preview1 is provided`);
  }
  const exports = WebAssembly.Module.exports(module).map((entry) => entry.name);
  if (!exports.includes('_start') || !exports.includes('memory')) {
    return failure('LinkError', 'the module is not a WASI command: it must export "_start" and "memory"');
  }
  const workdir = new PreopenDirectory('/work', buildTree(order.files));
  const env = Object.entries(order.env ?? {}).map(([name, value]) => `${name}=${value}`);
  const wasi = new WASI(['main.wasm', ...(order.args ?? [])], env, [
    new OpenFile(new File(Buffer.from(order.stdin ?? '', 'utf8'), { readonly: true })),
    new ConsoleStdout((bytes) => output.write('stdout', bytes)),
    new ConsoleStdout((bytes) => output.write('stderr', bytes)),
    workdir,
  ]);
  let exitCode: number;
  try {
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi.wasiImport as WebAssembly.ModuleImports });
    exitCode = wasi.start(instance as unknown as Parameters<WASI['start']>[0]);
  } catch (error) {
    output.flush();
    if (error instanceof WebAssembly.RuntimeError) return failure('RuntimeError', `the module trapped: ${error.message}`);
    if (error instanceof RangeError && /memory/i.test(error.message)) {
      return { status: 'memory_limit', exitCode: null, error: { type: 'RangeError', message: error.message }, files: [], runtime: 'wasi' };
    }
    return failure(error instanceof Error ? error.name : 'Error', error instanceof Error ? error.message : String(error));
  }
  output.flush();
  return {
    status: exitCode === 0 ? 'ok' : 'error',
    exitCode,
    ...collectOutputFiles(walk(workdir.dir.contents), order.files),
    runtime: 'wasi',
  };
}
