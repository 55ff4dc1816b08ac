/**
 * @module run-worker
 * A runner worker (`umca worker`): takes executions from the work queue, one per free slot, and
 * runs each under a claim in the store, so that a run delivered twice is executed to its end and
 * recorded once. The claim's lease is renewed while the run goes on (and the message kept from
 * other workers); a worker that dies stops renewing, and the next worker to get the message takes
 * the run over from the beginning (`run.restarted`). A message is acknowledged only once the run's
 * end is recorded, or when it turns out to need nothing (the run already ended).
 */
import type {
  EventBusV1,
  Logger,
  RunClaim,
  RunnerV1,
  RunRecord,
  StoreV1,
  UmcaEventType,
  WorkDeliveryV1,
  WorkSourceV1,
} from '@umca/contracts';
import { unstartedResult } from '@umca/contracts';
import { acceptExecutionRequest } from '@umca/policy';
import { contextFromTraceparent, type RunTracing } from '@umca/tracing';
import { endRun } from './end-run.js';
import { executeRun } from './execute-run.js';
import { createRunRecorder, type RunRecorder } from './run-recorder.js';

export interface RunWorkerOptions {
  runner: RunnerV1;
  store: StoreV1;
  bus: EventBusV1;
  source: WorkSourceV1;
  logger: Logger;
  /** Runs at once: one message taken per free slot. */
  concurrency: number;
  /** How long a claim holds without renewal (default 30 s); renewed every third of it. */
  leaseMs?: number;
  now?: () => Date;
  onRunEnded?: (run: { status: string; durationMs: number }, language: string) => void;
  onPublishFailed?: (type: UmcaEventType) => void;
  /** Spans of each execution, in the trace of the server that sent the run. Default: none. */
  tracing?: RunTracing;
}

export interface RunWorkerStats {
  readonly active: number;
  /** Runs this worker ran to a recorded end. */
  readonly completed: number;
  /** Deliveries of runs that had already ended (acknowledged, nothing run). */
  readonly duplicates: number;
  /** Runs this worker took over from a worker that stopped renewing. */
  readonly takenOver: number;
}

export interface RunWorker {
  stats(): RunWorkerStats;
  /** Stops taking work and waits for the runs in progress to end and be recorded. */
  close(): Promise<void>;
}

const ENDED = new Set(['ok', 'error', 'timeout', 'memory_limit', 'output_limit', 'rejected', 'busy', 'cancelled', 'crashed']);

export function startRunWorker(options: RunWorkerOptions): RunWorker {
  const { runner, store, bus, source, logger } = options;
  const now = options.now ?? (() => new Date());
  const leaseMs = options.leaseMs ?? 30_000;
  let stopping = false;
  const counts = { active: 0, completed: 0, duplicates: 0, takenOver: 0 };

  async function handle(delivery: WorkDeliveryV1): Promise<void> {
    const { runId } = delivery.item;
    const claim = await store.runs.claim(runId, leaseMs);
    if (!claim) {
      const run = await store.runs.get(runId);
      if (!run || ENDED.has(run.status)) {
        if (run) await announceMissingEnd(run);
        counts.duplicates++;
        await delivery.ack();
      }
      // Otherwise a live worker holds it: the message comes back after its time and is looked at again.
      return;
    }
    counts.active++;
    logger.info({ runId, attempt: claim.attempt }, `run ${runId}: running it (attempt ${claim.attempt})`);
    const controller = new AbortController();
    const renewal = setInterval(() => void renew(runId, claim, delivery, controller), Math.max(1, Math.floor(leaseMs / 3)));
    const stopWatching = watchForCancel(runId, controller);
    try {
      const recorder = createRunRecorder({
        bus,
        runId,
        logger,
        ...(options.onPublishFailed ? { onPublishFailed: options.onPublishFailed } : {}),
        ...(delivery.item.principal ? { principal: delivery.item.principal } : {}),
        ...(delivery.item.traceparent ? { traceparent: delivery.item.traceparent } : {}),
      });
      if (claim.attempt > 1) {
        counts.takenOver++;
        recorder.publish('dev.umca.run.restarted.v1', {
          runId,
          attempt: claim.attempt,
          reason: 'the worker running it stopped renewing its claim',
        });
      }
      const recorded = await run(delivery, claim, recorder, controller.signal);
      if (recorded) counts.completed++;
      await delivery.ack().catch((error: unknown) => {
        // The message comes back; the run has ended, so the next worker only acknowledges it.
        logger.warn({ err: error, runId }, `run ${runId}: acknowledging its work failed; it will be delivered again and found ended`);
      });
    } finally {
      clearInterval(renewal);
      stopWatching();
      counts.active--;
    }
  }

  /**
   * A worker that died after recording a run's end and before publishing `run.ended` left the run
   * ended without its last event; its message comes back, and the worker that gets it publishes it.
   */
  async function announceMissingEnd(record: RunRecord): Promise<void> {
    const events = await bus.read({ after: 0, limit: 1_000_000, subject: record.id });
    if (events.some((stored) => stored.event.type === 'dev.umca.run.ended.v1')) return;
    const reason = record.result && 'reason' in record.result ? record.result.reason : undefined;
    await bus.publish(
      'dev.umca.run.ended.v1',
      record.id,
      {
        runId: record.id,
        status: record.status as Exclude<RunRecord['status'], 'queued' | 'running'>,
        ...(typeof reason === 'string' ? { reason } : {}),
        durationMs: record.durationMs ?? 0,
      },
      record.principal ? { principal: record.principal.sub } : {},
    );
    logger.warn(
      { runId: record.id },
      `run ${record.id}: its worker stopped after recording its end and before announcing it; run.ended is published now`,
    );
  }

  async function run(delivery: WorkDeliveryV1, claim: RunClaim, recorder: RunRecorder, signal: AbortSignal): Promise<boolean> {
    const { runId, request, lanes } = delivery.item;
    let accepted: ReturnType<typeof acceptExecutionRequest>;
    try {
      accepted = { ...acceptExecutionRequest(request), ...(lanes ? { lanes } : {}) };
    } catch (error) {
      // Sent by a server of another version, say: refused, and recorded as such.
      const reason = `the worker could not accept the run's request: ${(error as Error).message}`;
      const result = unstartedResult({ status: 'rejected', reason, isolation: runner.isolation });
      return endRun(
        store,
        now,
        recorder,
        runId,
        { status: 'rejected', reason, durationMs: 0, result },
        { status: ['running'], attempt: claim.attempt },
      );
    }
    const { result, recorded } = await executeRun(
      {
        runner,
        store,
        logger,
        now,
        recorder,
        ...(options.tracing ? { tracing: options.tracing } : {}),
        traceContext: contextFromTraceparent(delivery.item.traceparent),
      },
      runId,
      accepted,
      signal,
      claim,
    );
    if (recorded) options.onRunEnded?.(result, request.language);
    else logger.warn({ runId }, `run ${runId}: another worker took it over; this attempt's end was not recorded`);
    return recorded;
  }

  async function renew(runId: string, claim: RunClaim, delivery: WorkDeliveryV1, controller: AbortController): Promise<void> {
    try {
      if (!(await store.runs.renew(runId, claim, leaseMs))) {
        logger.warn({ runId }, `run ${runId}: its claim was taken over by another worker; stopping this attempt`);
        controller.abort();
        return;
      }
    } catch (error) {
      logger.warn({ err: error, runId }, `run ${runId}: renewing its claim failed; the run goes on`);
    }
    await delivery
      .extend(leaseMs)
      .catch((error: unknown) => logger.debug?.({ err: error, runId }, `run ${runId}: keeping its work message failed`));
  }

  /** Aborts the run when someone asks to cancel it (`run.cancel.requested`, published by any server). */
  function watchForCancel(runId: string, controller: AbortController): () => void {
    const watching = new AbortController();
    void (async () => {
      try {
        for await (const { event } of bus.subscribe({ after: 0, subject: runId, signal: watching.signal })) {
          if (event.type === 'dev.umca.run.cancel.requested.v1') controller.abort();
        }
      } catch (error) {
        if (!watching.signal.aborted) logger.warn({ err: error, runId }, `run ${runId}: following its cancel requests failed`);
      }
    })();
    return () => watching.abort();
  }

  const slots = Array.from({ length: options.concurrency }, async () => {
    while (!stopping) {
      let delivery: WorkDeliveryV1 | undefined;
      try {
        delivery = await source.take({ invisibleMs: leaseMs });
      } catch (error) {
        if (stopping) break;
        logger.warn({ err: error }, 'taking work from the queue failed; trying again in a second');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (!delivery) continue;
      try {
        await handle(delivery);
      } catch (error) {
        // The store is down, say: the message comes back and the run is looked at again then.
        logger.error(
          { err: error, runId: delivery.item.runId },
          `run ${delivery.item.runId}: the worker could not handle it; it will be delivered again`,
        );
      }
    }
  });

  return {
    stats: () => ({ ...counts }),
    async close() {
      stopping = true;
      await Promise.all(slots);
    },
  };
}
