/**
 * @module follow-run
 * Waiting for a submitted run while its events are handed on as they happen (to an MCP client,
 * to a terminal), and cancelling it when the waiter gives up.
 */
import type { EventBusV1, UmcaEvent } from '@umca/contracts';
import type { RunService } from './create-run-service.js';

/**
 * Relays the run's events to `onEvent` until `run.ended` and returns its result once the relay
 * has caught up (or a second after the result, so a slow receiver never holds it back). An abort
 * of `signal` cancels the run.
 */
export async function followRun<Result>(
  deps: { runs: Pick<RunService, 'cancel'>; bus: EventBusV1 },
  submitted: { runId: string; done: Promise<Result> },
  signal: AbortSignal | undefined,
  onEvent: (event: UmcaEvent) => unknown,
): Promise<Result> {
  const { runId } = submitted;
  // The run may have ended meanwhile (already_ended): then there is nothing to cancel.
  const onCancel = () => void deps.runs.cancel(runId).catch(() => {});
  signal?.addEventListener('abort', onCancel, { once: true });
  const streaming = new AbortController();
  const relay = (async () => {
    for await (const { event } of deps.bus.subscribe({ after: 0, subject: runId, signal: streaming.signal })) {
      await onEvent(event);
      if (event.type === 'dev.umca.run.ended.v1') break;
    }
  })().catch(() => {}); // the receiver went away (a closed MCP session): the run goes on and is recorded
  try {
    const result = await submitted.done;
    await Promise.race([relay, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    return result;
  } finally {
    streaming.abort();
    signal?.removeEventListener('abort', onCancel);
  }
}
