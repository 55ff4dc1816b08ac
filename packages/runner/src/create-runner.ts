/**
 * @module create-runner
 * The runner's front door: validates a request, applies limits and the egress policy, waits for a
 * slot (bounded queue), hands the code to a fresh sandbox child and turns whatever happened into
 * an `umca.execution.result.v1`. A run never throws for a bad request or a misbehaving program;
 * both become a result with a status and a reason.
 */
import { cpus } from 'node:os';
import {
  type EgressAttempt,
  type ExecutionResult,
  type ExecutionStatus,
  executionRequestSchema,
  type Isolation,
  MAX_LIMITS,
  type ParsedExecutionRequest,
  type Runtime,
  resolveLimits,
} from '@umca/contracts';
import { z } from 'zod';
import { createEgressGateway, type EgressGatewayOptions } from './egress/egress-gateway.js';
import { createEgressPolicy, type EgressPolicy } from './egress/egress-policy.js';
import { RunnerError } from './errors.js';
import { checkOutputFiles } from './host/check-output-files.js';
import { describeExitStatus } from './host/describe-exit.js';
import { type Logger, stderrLogger } from './host/logger.js';
import { defaultCacheDir, ensurePyodideSnapshot } from './host/pyodide-snapshot.js';
import type { ChildEnd } from './host/sandbox-child.js';
import { buildSandboxCommand, probeBubblewrap, type SandboxIds } from './host/sandbox-command.js';
import { SandboxPool } from './host/sandbox-pool.js';
import { checkSandboxUids, DEFAULT_SANDBOX_UIDS, parseSandboxUids, splitSandboxUids } from './host/sandbox-uids.js';
import { Semaphore } from './internal/semaphore.js';
import type { HttpReplyMessage, RunOrder } from './sandbox/protocol.js';
import { runtimeOf } from './sandbox/runtime-of.js';
import type { LaneName } from './sandbox/zygote-main.js';
import { unstartedResult } from './unstarted-result.js';

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
  /** Where the Pyodide snapshot is cached. Default: `UMCA_CACHE_DIR`, else ~/.cache/umca. */
  cacheDir?: string;
  /** Folder of pure-Python wheels (`*-none-any.whl`) importable by Python code. Default: `UMCA_WHEELHOUSE`. */
  wheelhouseDir?: string;
  /** Options for the host side of outbound HTTP (resolver, size and time caps, extra CAs). */
  egress?: EgressGatewayOptions;
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

export interface ExecuteOptions {
  /** Aborting ends the run with status `cancelled` (its sandbox is killed). */
  signal?: AbortSignal;
  /** Receives the program's output as it is written. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Told when the run leaves the queue and its sandbox starts. */
  onStart?: (start: { queuedMs: number; lane: 'wasm'; runtime: Runtime; isolation: Isolation }) => void;
  /** Receives each outbound request attempt, allowed or denied, as it happens. */
  onEgress?: (attempt: EgressAttempt) => void;
}

export interface RunnerStats {
  readonly isolation: Isolation;
  readonly active: number;
  readonly queued: number;
  readonly idleSandboxes: number;
  readonly completed: number;
  readonly sandboxStartupMs: number | undefined;
}

export interface Runner {
  readonly isolation: Isolation;
  /** Runs one program. Never rejects for bad input: a bad request comes back `rejected`. */
  execute(request: unknown, options?: ExecuteOptions): Promise<ExecutionResult>;
  stats(): RunnerStats;
  close(): Promise<void>;
}

const MAX_EGRESS_REQUESTS = 100;

function positiveInteger(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : undefined;
}

interface ResolvedOptions {
  allowReducedIsolation: boolean;
  concurrency: number;
  queueLimit: number;
  queueTimeoutMs: number;
  warmChildren: number;
  cacheDir: string;
  wheelhouseDir: string | undefined;
  logger: Logger;
  bubblewrapPath: string | undefined;
  /** Present exactly when UMCA runs as root. */
  sandboxUids: SandboxIds | undefined;
  now: () => number;
}

/** Every environment fallback in one place. */
function resolveOptions(options: RunnerOptions, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const concurrency = options.concurrency ?? positiveInteger(env.UMCA_RUNNER_CONCURRENCY) ?? Math.max(2, cpus().length);
  return {
    allowReducedIsolation: options.allowReducedIsolation ?? env.UMCA_ALLOW_REDUCED_ISOLATION === '1',
    concurrency,
    queueLimit: options.queueLimit ?? positiveInteger(env.UMCA_RUNNER_QUEUE) ?? 64,
    queueTimeoutMs: options.queueTimeoutMs ?? 30_000,
    warmChildren: options.warmChildren ?? concurrency,
    cacheDir: options.cacheDir ?? defaultCacheDir(env),
    wheelhouseDir: options.wheelhouseDir ?? env.UMCA_WHEELHOUSE,
    logger: options.logger ?? stderrLogger,
    bubblewrapPath: options.bubblewrapPath ?? env.UMCA_BWRAP,
    sandboxUids:
      process.getuid?.() === 0
        ? checkSandboxUids(options.sandboxUids ?? (env.UMCA_SANDBOX_UIDS ? parseSandboxUids(env.UMCA_SANDBOX_UIDS) : DEFAULT_SANDBOX_UIDS))
        : undefined,
    now: options.now ?? (() => performance.now()),
  };
}

function chooseIsolation(options: ResolvedOptions): { isolation: Isolation; bwrapPath: string } {
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

function toOrder(request: ParsedExecutionRequest): RunOrder {
  const limits = resolveLimits(request.limits);
  const files = (request.files ?? []).map((file) => ({ path: file.path, content: file.content, encoding: file.encoding }));
  const base = { files, limits, budgetMs: limits.timeoutMs, ...(request.stdin === undefined ? {} : { stdin: request.stdin }) };
  if (request.language === 'wasi') {
    return { ...base, language: 'wasi', module: request.module, args: request.args ?? [], env: request.env ?? {} };
  }
  return { ...base, language: request.language, code: request.code };
}

/** Maps how a child ended to a status and a one-line reason. */
function interpretEnd(end: ChildEnd, order: RunOrder): { status: ExecutionStatus; reason?: string } {
  const { limits } = order;
  if (end.kind === 'result') {
    const { status } = end.outcome;
    if (status === 'timeout')
      return {
        status,
        reason: `the run passed its time limit of ${limits.timeoutMs} ms; raise limits.timeoutMs (up to ${MAX_LIMITS.timeoutMs})`,
      };
    if (status === 'memory_limit')
      return {
        status,
        reason: `the run ran out of memory at its limit of ${limits.memoryMb} MiB; raise limits.memoryMb (up to ${MAX_LIMITS.memoryMb})`,
      };
    if (status === 'output_limit')
      return {
        status,
        reason: `the output passed its limit of ${limits.outputBytes} bytes; raise limits.outputBytes (up to ${MAX_LIMITS.outputBytes}) or print less`,
      };
    if (status === 'error') {
      const error = end.outcome.error;
      return {
        status,
        reason: error ? `${error.type}: ${error.message.split('\n')[0]}` : `the program exited with code ${end.outcome.exitCode}`,
      };
    }
    return { status };
  }
  if (end.kind === 'killed') {
    switch (end.reason) {
      case 'timeout':
        return {
          status: 'timeout',
          reason: `the run passed its time limit of ${limits.timeoutMs} ms and was killed; raise limits.timeoutMs (up to ${MAX_LIMITS.timeoutMs})`,
        };
      case 'output_limit':
        return {
          status: 'output_limit',
          reason: `${end.detail} and the run was killed; raise limits.outputBytes (up to ${MAX_LIMITS.outputBytes}) or print less`,
        };
      case 'cancelled':
        return { status: 'cancelled', reason: 'the run was cancelled' };
      default:
        return { status: 'crashed', reason: end.detail };
    }
  }
  const exit = describeExitStatus(end.status);
  if (exit.signal === 'SIGXCPU' || exit.signal === 'SIGKILL') {
    return { status: 'timeout', reason: `the run used up its CPU time (${limits.timeoutMs} ms) and was killed; raise limits.timeoutMs` };
  }
  return {
    status: 'crashed',
    reason: `the sandbox process ${exit.text}; if the program allocates a lot, it may have hit its memory limit of ${limits.memoryMb} MiB`,
  };
}

/**
 * Creates a runner: checks the OS sandbox, builds or finds the Pyodide snapshot, starts the
 * sandbox zygote and forks the first ready children.
 *
 * @example
 * const runner = await createRunner();
 * const result = await runner.execute({ language: 'python', code: 'print(6 * 7)' });
 * result.stdout; // "42\n"
 */
export async function createRunner(options: RunnerOptions = {}): Promise<Runner> {
  const resolved = resolveOptions(options);
  const { isolation, bwrapPath } = chooseIsolation(resolved);
  const now = resolved.now;
  let snapshotPath: string;
  try {
    snapshotPath = await ensurePyodideSnapshot(resolved.cacheDir);
  } catch (error) {
    throw new RunnerError('sandbox_start_failed', (error as Error).message, { cause: error });
  }
  // Python has its own zygote; JavaScript and WASI share a much smaller one, so their forks are
  // cheaper and neither kind waits behind the other's forks. As root, each has its own uids.
  const [pythonUids, lightUids] = resolved.sandboxUids ? splitSandboxUids(resolved.sandboxUids) : [];
  const poolOptions = (lanes: LaneName[], sandboxIds: SandboxIds | undefined) => ({
    command: buildSandboxCommand({
      isolation,
      bwrapPath,
      lanes,
      ...(sandboxIds && isolation === 'os' ? { sandboxIds } : {}),
      ...(lanes.includes('python') ? { snapshotPath } : {}),
      ...(resolved.wheelhouseDir ? { wheelhouseDir: resolved.wheelhouseDir } : {}),
    }),
    warmChildren: resolved.warmChildren,
    logger: resolved.logger,
  });
  let pools: Record<'python' | 'light', SandboxPool>;
  try {
    pools = {
      python: new SandboxPool(poolOptions(['python'], pythonUids)),
      light: new SandboxPool(poolOptions(['javascript', 'wasi'], lightUids)),
    };
  } catch (error) {
    throw new RunnerError('sandbox_start_failed', `The sandbox cannot start: ${(error as Error).message}`, { cause: error });
  }
  const poolFor = (language: RunOrder['language']) => (language === 'python' ? pools.python : pools.light);
  try {
    await Promise.all([pools.python.start(), pools.light.start()]);
  } catch (error) {
    pools.python.close();
    pools.light.close();
    throw new RunnerError('sandbox_start_failed', `The sandbox did not start: ${(error as Error).message}`, { cause: error });
  }
  const gateway = createEgressGateway({ now, ...options.egress });
  const slots = new Semaphore(resolved.concurrency, resolved.queueLimit);
  let completed = 0;
  let closed = false;

  async function runInChild(
    order: RunOrder,
    policy: EgressPolicy,
    execute: ExecuteOptions,
    output: Record<'stdout' | 'stderr', string[]>,
    egress: ExecutionResult['egress'],
  ): Promise<ChildEnd> {
    const pool = poolFor(order.language);
    for (let attempt = 0; ; attempt++) {
      const child = await pool.acquire();
      const deadline = now() + order.budgetMs;
      const timer = setTimeout(() => child.kill('timeout', 'time limit'), order.budgetMs);
      const onAbort = () => child.kill('cancelled', 'cancelled');
      execute.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const end = await child.run(order, {
          outputBytes: order.limits.outputBytes,
          onOutput(stream, text) {
            output[stream].push(text);
            execute.onOutput?.(stream, text);
          },
          async onHttp(request): Promise<HttpReplyMessage> {
            if (egress.length >= MAX_EGRESS_REQUESTS) return { error: `a run may make at most ${MAX_EGRESS_REQUESTS} outbound requests` };
            const outcome = await gateway.send(
              policy,
              { method: request.method, url: request.url, headers: request.headers, body: Buffer.from(request.body, 'base64') },
              { deadline },
            );
            egress.push(outcome.attempt);
            execute.onEgress?.(outcome.attempt);
            if (!outcome.response) return { error: outcome.error ?? 'the request failed' };
            const { status, statusText, headers, body, url } = outcome.response;
            return { status, statusText, headers, body: Buffer.from(body).toString('base64'), url };
          },
        });
        if (end.kind === 'died' && !end.status) await new Promise((resolve) => setTimeout(resolve, 50));
        if (end.kind === 'died' && end.beforeStart && attempt === 0) continue;
        if (end.kind === 'died' && child.exitStatus !== undefined) return { ...end, status: child.exitStatus };
        return end;
      } finally {
        clearTimeout(timer);
        execute.signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  return {
    isolation,
    async execute(request, execute = {}) {
      const started = now();
      if (closed) return unstartedResult({ status: 'rejected', reason: 'the runner is closed', isolation });
      const parsed = executionRequestSchema.safeParse(request);
      if (!parsed.success) {
        const reason = `the execution request is invalid: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`;
        return unstartedResult({ status: 'rejected', reason, isolation, durationMs: now() - started });
      }
      let policy: EgressPolicy;
      try {
        policy = createEgressPolicy(parsed.data.allowedOutboundHosts);
      } catch (error) {
        return unstartedResult({ status: 'rejected', reason: (error as Error).message, isolation, durationMs: now() - started });
      }
      const order = toOrder(parsed.data);
      const slot = await slots.acquire({ timeoutMs: resolved.queueTimeoutMs, ...(execute.signal ? { signal: execute.signal } : {}) });
      if (!slot.acquired) {
        const waited = now() - started;
        if (slot.reason === 'aborted') {
          return unstartedResult({ status: 'cancelled', reason: 'the run was cancelled before it started', isolation, durationMs: waited });
        }
        const reason =
          slot.reason === 'busy'
            ? `the runner is busy: ${resolved.concurrency} runs are executing and ${resolved.queueLimit} are waiting; try again later or raise UMCA_RUNNER_QUEUE`
            : `the runner is busy: no slot freed up within ${resolved.queueTimeoutMs} ms; try again later or raise UMCA_RUNNER_CONCURRENCY`;
        return unstartedResult({ status: 'busy', reason, isolation, durationMs: waited });
      }
      const queuedMs = now() - started;
      execute.onStart?.({ queuedMs, lane: 'wasm', runtime: runtimeOf(order.language), isolation });
      const output = { stdout: [] as string[], stderr: [] as string[] };
      const egress: ExecutionResult['egress'] = [];
      let end: ChildEnd;
      try {
        end = await runInChild(order, policy, execute, output, egress);
      } catch (error) {
        end = { kind: 'killed', reason: 'protocol', detail: `the sandbox is unavailable: ${(error as Error).message}` };
      } finally {
        slot.release();
        completed++;
      }
      const finished = now();
      const { status, reason } = interpretEnd(end, order);
      const outcome = end.kind === 'result' ? end.outcome : undefined;
      const stdout = output.stdout.join('');
      const stderr = output.stderr.join('');
      const truncated = status === 'output_limit';
      const checked = checkOutputFiles(outcome?.files ?? [], outcome?.droppedFiles);
      return {
        status,
        exitCode: outcome && status !== 'output_limit' ? outcome.exitCode : null,
        ...(reason ? { reason } : {}),
        stdout,
        stderr,
        stdoutTruncated: truncated && Buffer.byteLength(stdout) >= order.limits.outputBytes - 3,
        stderrTruncated: truncated && Buffer.byteLength(stderr) >= order.limits.outputBytes - 3,
        ...(outcome?.error ? { error: outcome.error } : {}),
        files: checked.files,
        ...(checked.droppedFiles ? { droppedFiles: checked.droppedFiles } : {}),
        egress,
        lane: 'wasm',
        runtime: runtimeOf(order.language),
        isolation,
        durationMs: finished - started,
        timings: {
          queuedMs,
          executeMs: finished - started - queuedMs,
          ...(outcome?.programMs === undefined ? {} : { programMs: outcome.programMs }),
        },
      };
    },
    stats() {
      return {
        isolation,
        active: slots.active,
        queued: slots.queued,
        idleSandboxes: pools.python.idleCount + pools.light.idleCount,
        completed,
        sandboxStartupMs: Math.max(pools.python.startupMs ?? 0, pools.light.startupMs ?? 0) || undefined,
      };
    },
    async close() {
      closed = true;
      pools.python.close();
      pools.light.close();
    },
  };
}
