/**
 * @module run-recorder
 * Publishes one run's facts in the order they happen, each after the one before: its creation,
 * output (coalesced), outbound requests, executions, steps, its end. Hooks call it synchronously;
 * `settle` waits until everything handed to it is on the bus. A fact that cannot be published is
 * never dropped silently: it is logged with its cause, counted, and kept as one of the run's
 * warnings, which the service stores with the run.
 */
import type { EgressAttempt, EventBusV1, ExecutionResult, Logger, UmcaEventData, UmcaEventType } from '@umca/contracts';
import { createOutputCoalescer } from './output-coalescer.js';

export interface RunRecorderOptions {
  bus: EventBusV1;
  runId: string;
  logger: Logger;
  /** Told about each event that could not be published (a metric). */
  onPublishFailed?: (type: UmcaEventType) => void;
  /** The `sub` of who started the run, carried on each of its events. */
  principal?: string;
  /** The W3C trace context of the run's span, carried on each of its events. */
  traceparent?: string;
}

export interface RunRecorder {
  /** Publishes an event after every step queued before it. */
  publish<Type extends UmcaEventType>(type: Type, data: UmcaEventData<Type>): void;
  /** Queues a step (a store update, say) after every step queued before it. */
  record(step: () => Promise<unknown>, what: string): void;
  output(stream: 'stdout' | 'stderr', text: string): void;
  /** Sends gathered output now (before an event that should follow it). */
  flushOutput(): void;
  egress(attempt: EgressAttempt): void;
  /** Publishes code.executed, after any output still gathered. */
  executed(result: ExecutionResult): void;
  /** Flushes output and waits for every queued step. */
  settle(): Promise<void>;
  /** What could not be done, in words, for the run's record; empty when all went well. */
  warnings(): readonly string[];
}

const MAX_WARNINGS = 20;

export function createRunRecorder(options: RunRecorderOptions): RunRecorder {
  const { bus, runId, logger } = options;
  const envelope = {
    ...(options.principal === undefined ? {} : { principal: options.principal }),
    ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
  };
  let chain = Promise.resolve();
  const failures = new Map<string, { count: number; message: string }>();
  const fail = (what: string, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    logger.error({ err: error, runId, what }, `run ${runId}: ${what} failed`);
    const known = failures.get(what);
    if (known) known.count++;
    else if (failures.size < MAX_WARNINGS) failures.set(what, { count: 1, message });
  };
  const record = (step: () => Promise<unknown>, what: string) => {
    chain = chain.then(step).then(
      () => undefined,
      (error: unknown) => fail(what, error),
    );
  };
  const publish = <Type extends UmcaEventType>(type: Type, data: UmcaEventData<Type>) =>
    record(async () => {
      try {
        await bus.publish(type, runId, data, envelope);
      } catch (error) {
        options.onPublishFailed?.(type);
        throw error;
      }
    }, `publishing ${type}`);
  let sequence = 0;
  const coalescer = createOutputCoalescer({
    emit: (stream, text) => publish('dev.umca.output.appended.v1', { runId, stream, text, sequence: sequence++ }),
  });
  return {
    publish,
    record,
    output: (stream, text) => coalescer.write(stream, text),
    flushOutput: () => coalescer.flush(),
    egress: (attempt) =>
      publish(attempt.verdict === 'allowed' ? 'dev.umca.egress.allowed.v1' : 'dev.umca.egress.denied.v1', { runId, attempt }),
    executed: (result) => {
      coalescer.flush(); // the program's output comes before the fact that it ended
      publish('dev.umca.code.executed.v1', {
        runId,
        status: result.status,
        exitCode: result.exitCode,
        lane: result.lane,
        ...(result.runtime ? { runtime: result.runtime } : {}),
        isolation: result.isolation,
        durationMs: result.durationMs,
        timings: result.timings,
        ...(result.error ? { error: result.error } : {}),
      });
    },
    async settle() {
      coalescer.flush();
      await chain;
    },
    warnings: () => [...failures].map(([what, { count, message }]) => `${what} failed${count > 1 ? ` (${count} times)` : ''}: ${message}`),
  };
}
