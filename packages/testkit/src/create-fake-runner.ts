/**
 * @module create-fake-runner
 * A TEST DOUBLE of `RunnerV1` for the fast tier: it runs nothing. Each accepted execution is
 * answered by a script: what to print, which outbound attempts to report, how it ends. It calls
 * the same hooks in the same order as the real runner (start, output, egress, result) and honours
 * cancellation, so the run service and the edges above it can be tested in process, in
 * milliseconds. The real runner is tested against real sandboxes in the real tier.
 */
import type { AcceptedExecutionV1, EgressAttempt, ExecuteOptionsV1, ExecutionResult, RunnerStatsV1, RunnerV1 } from '@umca/contracts';

export interface FakeRun {
  readonly output?: ReadonlyArray<readonly ['stdout' | 'stderr', string]>;
  readonly egress?: readonly EgressAttempt[];
  /** How the run ends; default `ok`. */
  readonly status?: ExecutionResult['status'];
  readonly reason?: string;
  /** Wait for this before ending (a run the test holds open, to cancel or to observe). */
  readonly until?: Promise<void>;
  /** Throw instead of returning: a defect in the runner. */
  readonly throws?: Error;
}

export interface FakeRunner extends RunnerV1 {
  /** Every execution it was given, in order. */
  readonly executions: AcceptedExecutionV1[];
}

/** A runner that answers each execution with `script(execution)` (default: an empty `ok` run). */
export function createFakeRunner(script: (execution: AcceptedExecutionV1) => FakeRun = () => ({})): FakeRunner {
  const executions: AcceptedExecutionV1[] = [];
  let completed = 0;
  let active = 0;
  const stats = (): RunnerStatsV1 => ({
    isolation: 'os',
    active,
    queued: 0,
    idleSandboxes: 1,
    completed,
    sandboxStartupMs: 1,
    lanes: [{ lane: 'wasm', isolation: 'os', idleSandboxes: 1, sandboxStartupMs: 1 }],
  });
  return {
    specificationVersion: 'v1',
    isolation: 'os',
    executions,
    async execute(execution, options: ExecuteOptionsV1 = {}) {
      executions.push(execution);
      const run = script(execution);
      if (run.throws) throw run.throws;
      active++;
      try {
        const runtime =
          execution.request.language === 'python' ? 'pyodide' : execution.request.language === 'javascript' ? 'quickjs' : 'wasi';
        options.onStart?.({ queuedMs: 0, lane: 'wasm', runtime, isolation: 'os' });
        const text = { stdout: '', stderr: '' };
        for (const [stream, chunk] of run.output ?? []) {
          text[stream] += chunk;
          options.onOutput?.(stream, chunk);
        }
        for (const attempt of run.egress ?? []) options.onEgress?.(attempt);
        const cancelled = await Promise.race([
          (run.until ?? Promise.resolve()).then(() => false),
          new Promise<boolean>((resolve) => {
            if (options.signal?.aborted) resolve(true);
            options.signal?.addEventListener('abort', () => resolve(true), { once: true });
          }),
        ]);
        const status = cancelled ? 'cancelled' : (run.status ?? 'ok');
        const reason = cancelled ? 'the run was cancelled' : run.reason;
        return {
          status,
          exitCode: status === 'ok' ? 0 : status === 'error' ? 1 : null,
          ...(reason ? { reason } : {}),
          stdout: text.stdout,
          stderr: text.stderr,
          stdoutTruncated: false,
          stderrTruncated: false,
          files: [],
          egress: [...(run.egress ?? [])],
          lane: 'wasm',
          runtime,
          isolation: 'os',
          durationMs: 1,
          timings: { queuedMs: 0, executeMs: 1 },
        };
      } finally {
        active--;
        completed++;
      }
    },
    stats,
    async close() {},
  };
}
