/**
 * @module sandbox-command
 * The command line that starts the zygote. With OS isolation it runs under bubblewrap: new user,
 * PID, network, IPC, UTS and cgroup namespaces (so no network at all), an empty environment, no
 * capabilities, and a read-only file system holding only the system libraries, Node, the runner's
 * compiled sandbox code, the packages it loads and the Pyodide snapshot. Nothing else of the
 * host's files (not the repository, not the data directory, not /etc or /home) is visible.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Isolation } from '@umca/contracts';
import { v8StackSizeFlags } from '../internal/v8-stack-size.js';
import type { LaneName, ZygoteConfig } from '../sandbox/zygote-main.js';

export interface SandboxCommand {
  readonly file: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface SandboxCommandOptions {
  isolation: Isolation;
  bwrapPath: string;
  /** The lanes the zygote serves; only their packages are mounted. */
  lanes: LaneName[];
  /** Required when `lanes` includes python. */
  snapshotPath?: string;
  wheelhouseDir?: string;
  nodePath?: string;
}

/** Packages each lane loads at run time: [name, the package that depends on it]. */
const LANE_PACKAGES: Readonly<Record<LaneName, ReadonlyArray<[name: string, from?: string]>>> = {
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
// No V8 background work in the zygote, so no zygote thread holds a lock at the instant of a fork:
// single-threaded V8, and WebAssembly kept on its baseline compiler (tier-up compiles in the
// background). native/umca_forkfix.c covers what remains.
const NODE_FLAGS = [
  '--single-threaded',
  '--no-wasm-tier-up',
  '--no-wasm-dynamic-tiering',
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
function systemMounts(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const folder of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(folder)) continue;
    if (lstatSync(folder).isSymbolicLink()) args.push('--symlink', readlinkSync(folder), folder);
    else args.push('--ro-bind', folder, folder);
  }
  return args;
}

/** Builds the zygote's command line for the chosen isolation. */
export function buildSandboxCommand(options: SandboxCommandOptions): SandboxCommand {
  const nodePath = options.nodePath ?? process.execPath;
  const usesPython = options.lanes.includes('python');
  if (usesPython && !options.snapshotPath) throw new Error('the python lane needs a Pyodide snapshot');
  if (options.isolation === 'reduced') {
    const config: ZygoteConfig = {
      controlFd: 3,
      lanes: options.lanes,
      ...(usesPython ? { snapshotPath: options.snapshotPath } : {}),
      ...(usesPython && options.wheelhouseDir ? { wheelhouse: options.wheelhouseDir } : {}),
    };
    return {
      file: nodePath,
      args: [...NODE_FLAGS, join(RUNNER_ROOT, 'dist', 'sandbox', 'zygote-main.js'), JSON.stringify(config)],
      env: { LD_PRELOAD: join(RUNNER_ROOT, 'build', FORKFIX_LIBRARY) },
    };
  }
  const binds: string[] = [];
  for (const [name, from] of options.lanes.flatMap((lane) => LANE_PACKAGES[lane])) {
    const dir = packageDir(name, from);
    if (dir) binds.push('--ro-bind', dir, `${SANDBOX_ROOT}/node_modules/${name}`);
  }
  if (!nodePath.startsWith('/usr/')) binds.push('--ro-bind', nodePath, nodePath);
  binds.push('--ro-bind', join(RUNNER_ROOT, 'dist'), `${SANDBOX_ROOT}/runner/dist`);
  binds.push('--ro-bind', join(RUNNER_ROOT, 'build'), `${SANDBOX_ROOT}/runner/build`);
  const config: ZygoteConfig = { controlFd: 3, lanes: options.lanes };
  if (usesPython && options.snapshotPath) {
    binds.push('--ro-bind', options.snapshotPath, `${SANDBOX_ROOT}/cache/pyodide.snapshot`);
    config.snapshotPath = `${SANDBOX_ROOT}/cache/pyodide.snapshot`;
  }
  if (usesPython && options.wheelhouseDir) {
    binds.push('--ro-bind', options.wheelhouseDir, `${SANDBOX_ROOT}/wheelhouse`);
    config.wheelhouse = `${SANDBOX_ROOT}/wheelhouse`;
  }
  return {
    file: options.bwrapPath,
    args: [
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      '--cap-drop',
      'ALL',
      '--hostname',
      'sandbox',
      ...systemMounts(),
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      ...binds,
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
      nodePath,
      ...NODE_FLAGS,
      `${SANDBOX_ROOT}/runner/dist/sandbox/zygote-main.js`,
      JSON.stringify(config),
    ],
    env: {},
  };
}

/** Finds bubblewrap and checks that it can create the namespaces we ask for on this machine. */
export function probeBubblewrap(candidates: readonly string[] = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']): {
  path?: string;
  problem?: string;
} {
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) return { problem: 'bubblewrap (bwrap) is not installed' };
  try {
    execFileSync(path, ['--unshare-all', '--die-with-parent', '--cap-drop', 'ALL', ...systemMounts(), '--', '/usr/bin/true'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
    });
    return { path };
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    return { path, problem: `bubblewrap is installed at ${path} but cannot create a sandbox here${stderr ? ` (${stderr})` : ''}` };
  }
}
