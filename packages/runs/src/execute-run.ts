/**
 * @module execute-run
 * One execution run from the runner's start to its recorded end: the start, the lane's choice,
 * output and egress as they happen, the result, `run.ended`. Shared by a server running its own
 * runs and by a worker running a claimed one; a worker's writes hold only while its claim is the
 * run's newest, so of two workers that both ran a run, one ends it.
 */
import { type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { AcceptedExecutionV1, ExecutionResult, Logger, RunClaim, RunnerV1, RunResult, StoreV1 } from '@umca/contracts';
import { endExecutionSpan, failSpan, NO_TRACING, type RunTracing, startExecutionSpan } from '@umca/tracing';
import { endRun } from './end-run.js';
import type { RunRecorder } from './run-recorder.js';
import type { RunTools } from './run-tools.js';

export interface ExecuteRunDeps {
  readonly runner: Pick<RunnerV1, 'execute'>;
  readonly store: StoreV1;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly recorder: RunRecorder;
  readonly tracing?: RunTracing;
  /** Where the execution's span starts: under the run's span. */
  readonly traceContext?: Context;
  /** The upstream tools the run's program may call. */
  readonly tools?: RunTools;
}

export interface ExecutedRun {
  readonly result: RunResult;
  /** False when a claimed run's end was not recorded because another worker's claim replaced this one. */
  readonly recorded: boolean;
}

export async function executeRun(
  deps: ExecuteRunDeps,
  runId: string,
  execution: AcceptedExecutionV1,
  signal: AbortSignal,
  claim?: RunClaim,
): Promise<ExecutedRun> {
  const { runner, store, logger, now, recorder } = deps;
  const onlyIf = claim ? { status: ['running' as const], attempt: claim.attempt } : undefined;
  const tracing = deps.tracing ?? NO_TRACING;
  const { request } = execution;
  const span = startExecutionSpan(tracing, deps.traceContext ?? ROOT_CONTEXT, {
    language: request.language,
    code: request.language === 'wasi' ? `(a wasm32-wasi module, ${request.module.length} base64 characters)` : request.code,
  });
  const result: ExecutionResult = await runner
    .execute(execution, {
      signal,
      onStart: ({ queuedMs, lane, runtime, selection }) => {
        recorder.record(
          () => store.runs.update(runId, { status: 'running', startedAt: now().toISOString() }, onlyIf),
          'recording the start',
        );
        if (selection) recorder.publish('dev.umca.lane.selected.v1', { runId, ...selection });
        recorder.publish('dev.umca.run.started.v1', { runId, lane, runtime, queuedMs });
      },
      onOutput: recorder.output,
      onEgress: recorder.egress,
      ...(deps.tools ? { tools: deps.tools.forExecution(span.context) } : {}),
    })
    .catch((error: unknown) => {
      failSpan(span, error);
      throw error;
    });
  endExecutionSpan(tracing, span, result);
  recorder.executed(result);
  if (result.status === 'crashed') {
    // Not the program's doing: the sandbox failed. Operators watch for this event.
    logger.warn({ runId, reason: result.reason }, `run ${runId}: the sandbox crashed`);
    recorder.publish('dev.umca.error.raised.v1', { runId, code: 'sandbox_crashed', message: result.reason ?? 'the sandbox process died' });
  }
  const recorded = await endRun(
    store,
    now,
    recorder,
    runId,
    { status: result.status, ...(result.reason ? { reason: result.reason } : {}), durationMs: result.durationMs, result },
    onlyIf,
  );
  return { result: { ...result, runId }, recorded };
}
