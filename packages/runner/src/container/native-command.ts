/**
 * @module native-command
 * The command line of one container-lane run: rlimits (prlimit), an unprivileged uid of its own
 * when UMCA runs as root (setpriv), and bubblewrap with every namespace new (no network but
 * loopback, no user namespaces inside), the system's programs read-only, tmpfs for the working
 * folder, /tmp and a home, the run's folder (inputs, program, the egress proxy's socket)
 * read-only at /umca/io, then the launcher, which runs the program.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemMounts } from '../host/sandbox-command.js';

const MIB = 1_048_576;
/** The launcher, copied next to the compiled module by the build (scripts/copy-assets.mjs). */
export const LAUNCHER_PATH = fileURLToPath(new URL('./launcher.py', import.meta.url));
/** Room for the interpreter itself on top of the run's memory limit. */
const INTERPRETER_BYTES = 192 * MIB;

export const CONTAINER_TMPFS = { work: 512 * MIB, tmp: 256 * MIB, home: 512 * MIB } as const;

export interface NativeCommandOptions {
  bwrapPath: string;
  language: 'python' | 'javascript';
  /** The program's file name in /umca/io/program (main.py, main.mjs or main.cjs). */
  programFile: string;
  /** The run's folder on the host: input/, program/, stdin, proxy.sock. */
  runDir: string;
  memoryMb: number;
  cpuSeconds: number;
  /** As root: the unprivileged host uid (and gid) the run holds. */
  uid?: number;
}

const INTERPRETERS = { python: ['/usr/bin/python3', '-u'], javascript: ['/usr/bin/node'] } as const;

/**
 * The file a program is written to: JavaScript that uses `require` and neither imports nor
 * exports is CommonJS (main.cjs); other JavaScript is an ES module (main.mjs, top-level await).
 */
export function programFile(language: 'python' | 'javascript', code: string): string {
  if (language === 'python') return 'main.py';
  return /\brequire\s*\(/.test(code) && !/^\s*(import|export)\s/m.test(code) ? 'main.cjs' : 'main.mjs';
}

const PROXY = 'http://127.0.0.1:3128';

export function nativeCommand(options: NativeCommandOptions): { file: string; args: string[] } {
  const limits = [
    `--cpu=${options.cpuSeconds}`,
    `--data=${options.memoryMb * MIB + INTERPRETER_BYTES}`,
    `--fsize=${CONTAINER_TMPFS.work}`,
    '--nofile=512',
    '--core=0',
    ...(options.uid !== undefined ? ['--nproc=256'] : []),
  ];
  const asUser =
    options.uid !== undefined
      ? [
          '/usr/bin/setpriv',
          `--reuid=${options.uid}`,
          `--regid=${options.uid}`,
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          '--no-new-privs',
        ]
      : [];
  const certificates = ['/etc/ssl', '/etc/ca-certificates'].filter((path) => existsSync(path)).flatMap((path) => ['--ro-bind', path, path]);
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: '/home/run',
    LANG: 'C.UTF-8',
    TMPDIR: '/tmp',
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUSERBASE: '/home/run/.local',
    PIP_USER: '1',
    PIP_BREAK_SYSTEM_PACKAGES: '1',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    HTTP_PROXY: PROXY,
    HTTPS_PROXY: PROXY,
    http_proxy: PROXY,
    https_proxy: PROXY,
  };
  const bwrap = [
    options.bwrapPath,
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--cap-drop',
    'ALL',
    '--hostname',
    'sandbox',
    ...systemMounts(),
    ...certificates,
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(CONTAINER_TMPFS.work),
    '--tmpfs',
    '/work',
    '--size',
    String(CONTAINER_TMPFS.tmp),
    '--tmpfs',
    '/tmp',
    '--size',
    String(CONTAINER_TMPFS.home),
    '--tmpfs',
    '/home/run',
    '--ro-bind',
    options.runDir,
    '/umca/io',
    '--ro-bind',
    LAUNCHER_PATH,
    '/umca/launcher.py',
    '--chdir',
    '/work',
    ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
    '--',
    '/usr/bin/python3',
    '-I',
    '/umca/launcher.py',
    ...INTERPRETERS[options.language],
    `/umca/io/program/${options.programFile}`,
  ];
  return { file: '/usr/bin/prlimit', args: [...limits, '--', ...asUser, ...bwrap] };
}
