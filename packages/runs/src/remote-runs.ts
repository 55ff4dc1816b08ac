/**
 * @module remote-runs
 * A server whose runs execute on remote workers (`umca serve --workers remote`): a run is stored
 * and announced (`run.created`), then its work is sent to the queue; the worker that claims it
 * records everything after. Back-pressure is the queue's depth in the store: past `maxQueued`
 * runs waiting, a new one is refused (429 with Retry-After) and nothing is created. The caller
 * does not wait for the broker: work that cannot be sent (the broker is down) is sent again every
 * few seconds until it goes, and the run simply waits longer. (If this server stops before then,
 * the run stays queued: docs/scale-out.md says how to find and resubmit such runs.) Cancelling a queued run ends it here; a running one is asked of its worker.
 */
import type { AcceptedExecutionV1, EventBusV1, Logger, Principal, RunResult, StoreV1, WorkItemV1, WorkQueueV1 } from '@umca/contracts';
import { unstartedResult } from '@umca/contracts';
import { watchRunEnds } from './run-end-watcher.js';
import { RunError } from './run-error.js';
import type { RunRecorder } from './run-recorder.js';

export interface RemoteWorkSettings {
  readonly queue: WorkQueueV1;
  /** Runs that may wait for a worker before new ones are refused (default 1000). */
  readonly maxQueued?: number;
  /** What Retry-After says when refused (default 2 s). */
  readonly retryAfterSeconds?: number;
  /** How often work that could not be sent is tried again (default 2000 ms). */
  readonly resendIntervalMs?: number;
}

export interface RemoteRuns {
  /** Stores, announces and sends the run; `done` settles with its result once a worker has ended it. */
  submit(
    runId: string,
    execution: AcceptedExecutionV1,
    principal: Principal | undefined,
    recorder: RunRecorder,
    announce: () => void,
    /** The run's trace: its id on the record, its context on the work item. */
    trace?: { readonly traceId?: string | undefined; readonly traceparent?: string | undefined },
  ): Promise<{ done: Promise<RunResult> }>;
  cancel(runId: string): Promise<'cancelling'>;
  /** Work not yet sent (the broker is down). */
  unsent(): number;
  /** Stops resending and following; waits for sends in flight. */
  close(): Promise<void>;
}

export async function openRemoteRuns(
  deps: { store: StoreV1; bus: EventBusV1; logger: Logger; now: () => Date },
  settings: RemoteWorkSettings,
): Promise<RemoteRuns> {
  const { store, bus, logger, now } = deps;
  const maxQueued = settings.maxQueued ?? 1000;
  const retryAfterSeconds = settings.retryAfterSeconds ?? 2;
  const watcher = await watchRunEnds(bus, (error) => logger.warn({ err: error }, 'following run ends failed; following again'));
  const unsent = new Map<string, WorkItemV1>();

  const send = async (item: WorkItemV1) => {
    try {
      await settings.queue.enqueue(item);
      unsent.delete(item.runId);
    } catch (error) {
      if (!unsent.has(item.runId))
        logger.warn({ err: error, runId: item.runId }, `run ${item.runId}: the work queue did not take it; sending it again shortly`);
      unsent.set(item.runId, item);
    }
  };
  const sending = new Set<Promise<void>>();
  const track = (promise: Promise<void>) => {
    sending.add(promise);
    void promise.finally(() => sending.delete(promise));
  };
  let resending = false;
  const resend = setInterval(async () => {
    if (resending || unsent.size === 0) return;
    resending = true;
    try {
      for (const item of [...unsent.values()]) {
        const run = await store.runs.get(item.runId).catch(() => undefined);
        if (run && run.status !== 'queued')
          unsent.delete(item.runId); // cancelled meanwhile
        else await send(item);
        if (unsent.has(item.runId)) break; // still down: try again at the next tick
      }
    } finally {
      resending = false;
    }
  }, settings.resendIntervalMs ?? 2_000);
  resend.unref();

  const resultOf = async (runId: string): Promise<RunResult> => {
    const run = await store.runs.get(runId);
    if (run?.kind === 'execution' && run.result) return { ...run.result, runId };
    return { ...unstartedResult({ status: 'cancelled', reason: 'the run ended without a result', isolation: 'os' }), runId };
  };

  return {
    async submit(runId, execution, principal, recorder, announce, trace = {}) {
      const queued = await store.runs.count({ status: 'queued' });
      if (queued >= maxQueued) {
        throw new RunError(
          'busy',
          `every worker is busy and ${queued} runs are waiting (the most this server lets wait is ${maxQueued}); try again in ${retryAfterSeconds} s`,
          {
            details: { retryAfterSeconds },
          },
        );
      }
      await store.runs.create({
        id: runId,
        kind: 'execution',
        status: 'queued',
        language: execution.request.language,
        createdAt: now().toISOString(),
        request: execution.request,
        ...(principal ? { principal } : {}),
        ...(trace.traceId ? { traceId: trace.traceId } : {}),
      });
      announce();
      await recorder.settle(); // run.created comes before anything a worker publishes
      const ended = watcher.ended(runId);
      // Not awaited: with the broker down a send takes its retries' time, and the run is stored
      // already; the caller gets its run id at once and the run starts once the work is sent.
      track(
        send({
          runId,
          request: execution.request,
          ...(execution.lanes ? { lanes: execution.lanes } : {}),
          ...(principal ? { principal: principal.sub } : {}),
          ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
        }),
      );
      return { done: ended.then(() => resultOf(runId)) };
    },
    async cancel(runId) {
      const run = await store.runs.get(runId);
      if (!run) throw new RunError('not_found', `there is no run ${runId}`);
      const reason = 'cancelled before a worker started it';
      const durationMs = Math.max(0, now().getTime() - Date.parse(run.createdAt));
      const result = unstartedResult({ status: 'cancelled', reason, isolation: 'os', durationMs });
      if (
        await store.runs.update(runId, { status: 'cancelled', endedAt: now().toISOString(), durationMs, result }, { status: ['queued'] })
      ) {
        unsent.delete(runId);
        await bus.publish('dev.umca.run.ended.v1', runId, { runId, status: 'cancelled', reason, durationMs }, principalOf(run.principal));
        return 'cancelling';
      }
      const now_ = await store.runs.get(runId);
      if (now_?.status !== 'running')
        throw new RunError('already_ended', `run ${runId} already ended (${now_?.status}); there is nothing to cancel`);
      await bus.publish('dev.umca.run.cancel.requested.v1', runId, { runId }, principalOf(run.principal));
      return 'cancelling';
    },
    unsent: () => unsent.size,
    async close() {
      clearInterval(resend);
      watcher.close();
      await Promise.allSettled([...sending]);
    },
  };
}

function principalOf(principal: Principal | undefined): { principal?: string } {
  return principal ? { principal: principal.sub } : {};
}
