/**
 * @module recover-interrupted-runs
 * Runs a previous process left queued or running (it stopped without ending them) are ended now,
 * as cancelled, with `run.ended` published, so no run stays unfinished forever.
 */
import type { EventBusV1, StoreV1 } from '@umca/contracts';

/** Ends the interrupted runs; returns how many there were. */
export async function recoverInterruptedRuns(store: StoreV1, bus: EventBusV1, now: () => Date = () => new Date()): Promise<number> {
  const unfinished = await store.runs.unfinished();
  for (const run of unfinished) {
    const reason = 'the server stopped before the run ended';
    const durationMs = Math.max(0, now().getTime() - Date.parse(run.createdAt));
    await store.runs.update(run.id, { status: 'cancelled', endedAt: now().toISOString(), durationMs });
    await bus.publish('dev.umca.run.ended.v1', run.id, { runId: run.id, status: 'cancelled', reason, durationMs });
  }
  return unfinished.length;
}
