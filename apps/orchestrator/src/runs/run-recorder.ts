/**
 * @module run-recorder
 * Publishes one run's facts in the order they happen, each after the one before: output
 * (coalesced), outbound requests, executions. Hooks call it synchronously; `settle` waits until
 * everything handed to it is on the bus.
 */
import type { EgressAttempt, ExecutionResult } from '@umca/contracts';
import type { EventBus } from '@umca/events';
import { createOutputCoalescer } from './output-coalescer.js';

export interface RunRecorder {
  /** Queues a step after every step queued before it. Failures are dropped (the bus logs them). */
  record(step: () => Promise<unknown>): void;
  output(stream: 'stdout' | 'stderr', text: string): void;
  /** Sends gathered output now (before an event that should follow it). */
  flushOutput(): void;
  egress(attempt: EgressAttempt): void;
  /** Publishes code.executed, after any output still gathered. */
  executed(result: ExecutionResult): void;
  /** Flushes output and waits for every queued step. */
  settle(): Promise<void>;
}

export function createRunRecorder(bus: EventBus, runId: string): RunRecorder {
  let chain = Promise.resolve();
  const record = (step: () => Promise<unknown>) => {
    chain = chain.then(step).then(
      () => undefined,
      () => undefined,
    );
  };
  let sequence = 0;
  const coalescer = createOutputCoalescer({
    emit: (stream, text) => record(() => bus.publish('dev.umca.output.appended.v1', runId, { runId, stream, text, sequence: sequence++ })),
  });
  return {
    record,
    output: (stream, text) => coalescer.write(stream, text),
    flushOutput: () => coalescer.flush(),
    egress: (attempt) =>
      record(() =>
        bus.publish(attempt.verdict === 'allowed' ? 'dev.umca.egress.allowed.v1' : 'dev.umca.egress.denied.v1', runId, { runId, attempt }),
      ),
    executed: (result) => {
      coalescer.flush(); // the program's output comes before the fact that it ended
      record(() =>
        bus.publish('dev.umca.code.executed.v1', runId, {
          runId,
          status: result.status,
          exitCode: result.exitCode,
          lane: result.lane,
          ...(result.runtime ? { runtime: result.runtime } : {}),
          isolation: result.isolation,
          durationMs: result.durationMs,
          timings: result.timings,
          ...(result.error ? { error: result.error } : {}),
        }),
      );
    },
    async settle() {
      coalescer.flush();
      await chain;
    },
  };
}
