/**
 * @module end-run
 * The last steps of every run, execution or task: wait until its facts are published, store how it
 * ended (with its warnings, if any fact could not be published), then publish `run.ended`, and
 * store that warning too if even that publish failed. With `onlyIf` (a worker's claim), a run
 * another worker has ended or taken over is left alone: no second ending, no second `run.ended`.
 */
import type { ExecutionResult, ExecutionStatus, RunCondition, StoreV1, TaskResult } from '@umca/contracts';
import type { RunRecorder } from './run-recorder.js';

export interface RunEnding {
  readonly status: ExecutionStatus;
  readonly reason?: string;
  readonly durationMs: number;
  readonly result: ExecutionResult | TaskResult;
}

/** Records the end; false when `onlyIf` no longer held (nothing was written or published). */
export async function endRun(
  store: StoreV1,
  now: () => Date,
  recorder: RunRecorder,
  runId: string,
  ending: RunEnding,
  onlyIf?: RunCondition,
): Promise<boolean> {
  await recorder.settle();
  const warnings = recorder.warnings();
  const ended = await store.runs.update(
    runId,
    {
      status: ending.status,
      endedAt: now().toISOString(),
      durationMs: ending.durationMs,
      result: ending.result,
      ...(warnings.length ? { warnings } : {}),
    },
    onlyIf,
  );
  if (onlyIf && !ended) return false;
  recorder.publish('dev.umca.run.ended.v1', {
    runId,
    status: ending.status,
    ...(ending.reason ? { reason: ending.reason } : {}),
    durationMs: ending.durationMs,
  });
  await recorder.settle();
  if (recorder.warnings().length > warnings.length) await store.runs.update(runId, { warnings: recorder.warnings() });
  return true;
}
