/**
 * @module create-runner
 * The runner: a bounded queue in front of the lanes. It takes an accepted request (parsed and its
 * egress policy built where it came in), waits for a slot, hands it to the lane that runs its
 * runtime (today the `wasm` lane), and adds the time it waited to the result. A run never throws
 * for a misbehaving program, a full queue or a cancellation: each is a result with a status and
 * a reason. `run` accepts a raw request first, for library and CLI use.
 */
import type { ExecuteOptionsV1, ExecutionResult, LaneV1, RunnerV1 } from '@umca/contracts';
import { acceptExecutionRequest, PolicyError } from '@umca/policy';
import { createWasmLane } from './create-wasm-lane.js';
import { Semaphore } from './internal/semaphore.js';
import { chooseIsolation, type RunnerOptions, resolveRunnerOptions } from './resolve-runner-options.js';
import { unstartedResult } from './unstarted-result.js';

export interface Runner extends RunnerV1 {
  /**
   * Accepts and runs a raw request in one call (library and CLI use). Never rejects: a request that
   * cannot be accepted comes back `rejected`, with the reason in the caller's field names.
   *
   * @example
   * const result = await runner.run({ language: 'python', code: 'print(6 * 7)' });
   * result.stdout; // "42\n"
   */
  run(request: unknown, options?: ExecuteOptionsV1): Promise<ExecutionResult>;
}

/**
 * Creates a runner: checks the OS sandbox, then starts the wasm lane (its snapshot, zygotes and
 * first ready children).
 *
 * @example
 * const runner = await createRunner();
 * const result = await runner.run({ language: 'python', code: 'print(6 * 7)' });
 */
export async function createRunner(options: RunnerOptions = {}): Promise<Runner> {
  const settings = resolveRunnerOptions(options);
  const { isolation, bwrapPath } = chooseIsolation(settings);
  const now = settings.now;
  const wasm = await createWasmLane({ settings, isolation, bwrapPath, ...(options.egress ? { egress: options.egress } : {}) });
  const lanes: readonly LaneV1[] = [wasm];
  const slots = new Semaphore(settings.concurrency, settings.queueLimit);
  let completed = 0;
  let closed = false;

  const runner: Runner = {
    specificationVersion: 'v1',
    isolation,
    async execute(accepted, execute = {}) {
      const started = now();
      if (closed) return unstartedResult({ status: 'rejected', reason: 'the runner is closed', isolation });
      const slot = await slots.acquire({ timeoutMs: settings.queueTimeoutMs, ...(execute.signal ? { signal: execute.signal } : {}) });
      if (!slot.acquired) {
        const waited = now() - started;
        if (slot.reason === 'aborted') {
          return unstartedResult({ status: 'cancelled', reason: 'the run was cancelled before it started', isolation, durationMs: waited });
        }
        const reason =
          slot.reason === 'busy'
            ? `the runner is busy: ${settings.concurrency} runs are executing and ${settings.queueLimit} are waiting; try again later or raise UMCA_RUNNER_QUEUE`
            : `the runner is busy: no slot freed up within ${settings.queueTimeoutMs} ms; try again later or raise UMCA_RUNNER_CONCURRENCY`;
        return unstartedResult({ status: 'busy', reason, isolation, durationMs: waited });
      }
      const queuedMs = now() - started;
      if (execute.signal?.aborted) {
        slot.release();
        return unstartedResult({ status: 'cancelled', reason: 'the run was cancelled before it started', isolation, durationMs: queuedMs });
      }
      try {
        const result = await wasm.execute(accepted, {
          ...execute,
          ...(execute.onStart ? { onStart: (start) => execute.onStart?.({ ...start, queuedMs }) } : {}),
        });
        return { ...result, durationMs: result.durationMs + queuedMs, timings: { ...result.timings, queuedMs } };
      } finally {
        slot.release();
        completed++;
      }
    },
    async run(request, execute) {
      let accepted: ReturnType<typeof acceptExecutionRequest>;
      try {
        accepted = acceptExecutionRequest(request);
      } catch (error) {
        if (error instanceof PolicyError) return unstartedResult({ status: 'rejected', reason: error.message, isolation });
        throw error;
      }
      return runner.execute(accepted, execute);
    },
    stats() {
      const laneStats = lanes.map((lane) => lane.stats());
      return {
        isolation,
        active: slots.active,
        queued: slots.queued,
        idleSandboxes: laneStats.reduce((sum, lane) => sum + lane.idleSandboxes, 0),
        completed,
        sandboxStartupMs: Math.max(...laneStats.map((lane) => lane.sandboxStartupMs ?? 0)) || undefined,
        lanes: laneStats,
      };
    },
    async close() {
      closed = true;
      await Promise.all(lanes.map((lane) => lane.close()));
    },
  };
  return runner;
}
