/**
 * @module end-run
 * The last steps of every run, execution or task: wait until its facts are published, store how it
 * ended (with its warnings, if any fact could not be published), then publish `run.ended`, and
 * store that warning too if even that publish failed.
 */
import type { ExecutionResult, ExecutionStatus, StoreV1, TaskResult } from '@umca/contracts';
import type { RunRecorder } from './run-recorder.js';

export interface RunEnding {
  readonly status: ExecutionStatus;
  readonly reason?: string;
  readonly durationMs: number;
  readonly result: ExecutionResult | TaskResult;
}

export async function endRun(store: StoreV1, now: () => Date, recorder: RunRecorder, runId: string, ending: RunEnding): Promise<void> {
  await recorder.settle();
  const warnings = recorder.warnings();
  await store.runs.update(runId, {
    status: ending.status,
    endedAt: now().toISOString(),
    durationMs: ending.durationMs,
    result: ending.result,
    ...(warnings.length ? { warnings } : {}),
  });
  recorder.publish('dev.umca.run.ended.v1', {
    runId,
    status: ending.status,
    ...(ending.reason ? { reason: ending.reason } : {}),
    durationMs: ending.durationMs,
  });
  await recorder.settle();
  if (recorder.warnings().length > warnings.length) await store.runs.update(runId, { warnings: recorder.warnings() });
}
