/**
 * @module create-wasm-lane
 * The `wasm` lane: Python (Pyodide), JavaScript (QuickJS) and wasm32-wasi, each run in a fresh
 * sandbox child forked from a warm zygote. It turns an accepted request into the child's order,
 * carries the child's outbound requests through the egress gateway under the request's policy,
 * and turns whatever happened into an `umca.execution.result.v1`, checking everything the child
 * reported. Queueing is the runner's; a lane runs what it is given, now.
 */
import type {
  AcceptedExecutionV1,
  EgressPolicyV1,
  ExecuteOptionsV1,
  ExecutionResult,
  Isolation,
  LaneV1,
  Language,
  ParsedExecutionRequest,
} from '@umca/contracts';
import { resolveLimits } from '@umca/contracts';
import { createEgressGateway, type EgressGatewayOptions } from '@umca/policy';
import { RunnerError } from './errors.js';
import { checkOutputFiles } from './host/check-output-files.js';
import { interpretEnd } from './host/interpret-end.js';
import { ensurePyodideSnapshot } from './host/pyodide-snapshot.js';
import type { ChildEnd } from './host/sandbox-child.js';
import { buildSandboxCommand, type SandboxIds } from './host/sandbox-command.js';
import { SandboxPool } from './host/sandbox-pool.js';
import { splitSandboxUids } from './host/sandbox-uids.js';
import type { ResolvedRunnerOptions } from './resolve-runner-options.js';
import type { HttpReplyMessage, RunOrder } from './sandbox/protocol.js';
import { runtimeOf } from './sandbox/runtime-of.js';

const MAX_EGRESS_REQUESTS = 100;

export interface WasmLaneOptions {
  readonly settings: ResolvedRunnerOptions;
  readonly isolation: Isolation;
  readonly bwrapPath: string;
  /** Options for the host side of outbound HTTP (resolver, size and time caps, extra CAs). */
  readonly egress?: EgressGatewayOptions;
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

/**
 * Starts the lane: finds or builds the Pyodide snapshot, starts the two zygotes (Python; JavaScript
 * and WASI) and forks their first ready children.
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
  // Python has its own zygote; JavaScript and WASI share a much smaller one, so their forks are
  // cheaper and neither kind waits behind the other's forks. As root, each has its own uids.
  const [pythonUids, lightUids] = settings.sandboxUids ? splitSandboxUids(settings.sandboxUids) : [];
  const poolOptions = (languages: Language[], sandboxIds: SandboxIds | undefined) => ({
    command: buildSandboxCommand({
      isolation,
      bwrapPath,
      languages,
      ...(sandboxIds && isolation === 'os' ? { sandboxIds } : {}),
      ...(languages.includes('python') ? { snapshotPath } : {}),
      ...(settings.wheelhouseDir ? { wheelhouseDir: settings.wheelhouseDir } : {}),
    }),
    warmChildren: settings.warmChildren,
    logger: settings.logger,
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

  async function runInChild(
    order: RunOrder,
    policy: EgressPolicyV1,
    execute: ExecuteOptionsV1,
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
      // Aborted while the child was being acquired: no event will come, so act on it now.
      if (execute.signal?.aborted) onAbort();
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
    specificationVersion: 'v1',
    lane: 'wasm',
    runtimes: ['pyodide', 'quickjs', 'wasi'],
    isolation,
    async execute({ request, egress: policy }: AcceptedExecutionV1, execute: ExecuteOptionsV1 = {}): Promise<ExecutionResult> {
      const started = now();
      const order = toOrder(request);
      execute.onStart?.({ queuedMs: 0, lane: 'wasm', runtime: runtimeOf(order.language), isolation });
      const output = { stdout: [] as string[], stderr: [] as string[] };
      const egress: ExecutionResult['egress'] = [];
      let end: ChildEnd;
      try {
        end = await runInChild(order, policy, execute, output, egress);
      } catch (error) {
        end = { kind: 'killed', reason: 'protocol', detail: `the sandbox is unavailable: ${(error as Error).message}` };
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
          queuedMs: 0,
          executeMs: finished - started,
          ...(outcome?.programMs === undefined ? {} : { programMs: outcome.programMs }),
        },
      };
    },
    stats() {
      return {
        lane: 'wasm',
        isolation,
        idleSandboxes: pools.python.idleCount + pools.light.idleCount,
        sandboxStartupMs: Math.max(pools.python.startupMs ?? 0, pools.light.startupMs ?? 0) || undefined,
      };
    },
    async close() {
      pools.python.close();
      pools.light.close();
    },
  };
}
