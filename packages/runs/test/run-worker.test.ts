/**
 * The run worker in process, over the real store (SQLite in memory) and the embedded bus, with a
 * scripted runner (@umca/testkit) and work handed over in memory in place of RocketMQ (the real
 * broker's deliveries are tested in test/scale-out.real.test.ts). What is checked here is the
 * worker's own bookkeeping: claims, duplicates, and a run whose end was recorded without its event.
 */
import type { WorkDeliveryV1, WorkItemV1, WorkSourceV1 } from '@umca/contracts';
import { createEmbeddedBus } from '@umca/events';
import { openSqliteStore } from '@umca/store';
import { createFakeRunner, createRecordingLogger } from '@umca/testkit';
import { describe, expect, it } from 'vitest';
import { startRunWorker } from '../src/index.js';

/** Deliveries in memory: each item once, then nothing; acknowledgements counted. */
function deliveries(items: WorkItemV1[]) {
  const acked: string[] = [];
  const source: WorkSourceV1 = {
    specificationVersion: 'v1',
    async take(): Promise<WorkDeliveryV1 | undefined> {
      const item = items.shift();
      if (!item) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return undefined;
      }
      return { item, deliveryAttempt: 1, ack: async () => void acked.push(item.runId), extend: async () => {} };
    },
    close: async () => {},
  };
  return { source, acked };
}

async function until(condition: () => boolean, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
}

const request = { language: 'python' as const, code: 'print(1)', allowedOutboundHosts: [] };
const queued = (id: string) => ({
  id,
  kind: 'execution' as const,
  status: 'queued' as const,
  language: 'python' as const,
  createdAt: new Date().toISOString(),
  request,
});

describe('the run worker', () => {
  it('runs a queued run once, and only acknowledges a second delivery of it', async () => {
    const store = openSqliteStore({ memory: true });
    const bus = createEmbeddedBus({ log: store.events });
    await store.runs.create(queued('r1'));
    const { source, acked } = deliveries([
      { runId: 'r1', request: request as never },
      { runId: 'r1', request: request as never },
    ]);
    const worker = startRunWorker({ runner: createFakeRunner(), store, bus, source, logger: createRecordingLogger(), concurrency: 1 });
    await until(() => acked.length === 2);
    await worker.close();
    expect(acked).toEqual(['r1', 'r1']);
    expect(worker.stats()).toMatchObject({ completed: 1, duplicates: 1, takenOver: 0 });
    const types = (await bus.read({ after: 0, limit: 100, subject: 'r1' })).map((stored) => stored.event.type);
    expect(types.filter((type) => type === 'dev.umca.run.ended.v1')).toHaveLength(1);
    expect((await store.runs.get('r1'))?.status).toBe('ok');
    await store.close();
  });

  it('publishes run.ended for a run whose worker died after recording its end and before announcing it', async () => {
    const store = openSqliteStore({ memory: true });
    const bus = createEmbeddedBus({ log: store.events });
    await store.runs.create(queued('r2'));
    await store.runs.update('r2', { status: 'ok', endedAt: new Date().toISOString(), durationMs: 12 });
    const entries: Array<{ level: string; message: string }> = [];
    const { source, acked } = deliveries([{ runId: 'r2', request: request as never }]);
    const worker = startRunWorker({
      runner: createFakeRunner(),
      store,
      bus,
      source,
      logger: createRecordingLogger(entries as never),
      concurrency: 1,
    });
    await until(() => acked.length === 1);
    await worker.close();
    const ends = (await bus.read({ after: 0, limit: 100, subject: 'r2' })).filter(
      (stored) => stored.event.type === 'dev.umca.run.ended.v1',
    );
    expect(ends.map((stored) => stored.event.data)).toEqual([{ runId: 'r2', status: 'ok', durationMs: 12 }]);
    expect(worker.stats()).toMatchObject({ completed: 0, duplicates: 1 });
    await store.close();
  });
});
