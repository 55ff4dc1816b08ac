/**
 * The shared bus over one event log, as two replicas use it, without a broker (polling only: how
 * a replica carries on while RocketMQ is down). The real broker's signal is tested in the real tier
 * (test/scale-out.real.test.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventLogV1, StoredEvent, StoreV1 } from '@umca/contracts';
import { openSqliteStore } from '@umca/store';
import { afterEach, describe, expect, it } from 'vitest';
import { openSharedBus, POLLING_ONLY, type SharedBus } from '../src/index.js';

const opened: Array<StoreV1 | SharedBus> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

/** The store's log answering a little later, as a database across a network does: other writes and reads land meanwhile. */
function slowLog(log: EventLogV1): EventLogV1 {
  const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 2));
  return {
    specificationVersion: 'v1',
    append: async (event) => later(await log.append(event)),
    lastOffset: async () => later(await log.lastOffset()),
    read: async (query) => later(await log.read(query)),
  };
}

/** Two replicas: each its own connection to one store file, and its own bus. */
async function twoReplicas(windowSize = 4096) {
  const dataDir = mkdtempSync(join(tmpdir(), 'umca-shared-bus-'));
  const open = async () => {
    const store = openSqliteStore({ dataDir });
    const bus = await openSharedBus({ log: slowLog(store.events), signal: POLLING_ONLY, pollIntervalMs: 1, windowSize });
    opened.push(store, bus);
    return bus;
  };
  return [await open(), await open()] as const;
}

const ended = (runId: string) => ({ runId, status: 'ok' as const, durationMs: 1 });

async function collect(bus: SharedBus, count: number, options: { after: number; subject?: string }): Promise<StoredEvent[]> {
  const controller = new AbortController();
  const seen: StoredEvent[] = [];
  for await (const stored of bus.subscribe({ ...options, signal: controller.signal })) {
    seen.push(stored);
    if (seen.length === count) controller.abort();
  }
  return seen;
}

describe('the shared bus, without a broker', () => {
  it('delivers what one replica publishes to subscribers of the other, in order, with the same offsets', async () => {
    const [a, b] = await twoReplicas();
    const following = collect(b, 30, { after: 0 });
    const published: number[] = [];
    for (let index = 0; index < 30; index++)
      published.push((await a.publish('dev.umca.run.ended.v1', `run-${index % 3}`, ended(`run-${index % 3}`))).offset);
    const seen = await following;
    expect(seen.map((stored) => stored.offset)).toEqual(published);
    expect(published).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
  });

  it('resumes on one replica from an offset a client had on the other: nothing missed, nothing repeated', async () => {
    const [a, b] = await twoReplicas();
    for (let index = 0; index < 20; index++) await a.publish('dev.umca.run.ended.v1', 'r', ended('r'));
    const onA = await collect(a, 12, { after: 0 });
    const lastSeen = onA.at(-1)?.offset ?? 0;
    const rest = collect(b, 18, { after: lastSeen });
    for (let index = 0; index < 10; index++) await b.publish('dev.umca.run.ended.v1', 'r', ended('r'));
    const onB = await rest;
    expect([...onA, ...onB].map((stored) => stored.offset)).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
    expect(onB.map((stored) => stored.event.id)).toEqual((await a.read({ after: lastSeen, limit: 100 })).map((stored) => stored.event.id));
  });

  it('keeps every subscriber exact while this replica publishes and reads the others’ events at once', async () => {
    const [a, b] = await twoReplicas(64);
    const onA = collect(a, 400, { after: 0 });
    const onB = collect(b, 400, { after: 0 });
    await Promise.all(
      [a, b].map(async (bus, index) => {
        for (let event = 0; event < 200; event++) await bus.publish('dev.umca.run.ended.v1', `run-${index}-${event % 7}`, ended('x'));
      }),
    );
    const everyOffset = Array.from({ length: 400 }, (_, index) => index + 1);
    expect((await onA).map((stored) => stored.offset)).toEqual(everyOffset);
    expect((await onB).map((stored) => stored.offset)).toEqual(everyOffset);
  });

  it('replays a run from the log when it is older than the window kept in memory', async () => {
    const [a, b] = await twoReplicas(8);
    for (let index = 0; index < 60; index++) await a.publish('dev.umca.run.ended.v1', index % 2 ? 'odd' : 'even', ended('x'));
    // b has read past the window's size of what a published
    await collect(b, 60, { after: 0 });
    const odd = await collect(b, 30, { after: 0, subject: 'odd' });
    expect(odd.map((stored) => stored.offset)).toEqual(Array.from({ length: 30 }, (_, index) => 2 * index + 2));
    const live = collect(b, 2, { after: 60, subject: 'odd' });
    await a.publish('dev.umca.run.ended.v1', 'even', ended('x'));
    await a.publish('dev.umca.run.ended.v1', 'odd', ended('x'));
    await a.publish('dev.umca.run.ended.v1', 'odd', ended('x'));
    expect((await live).map((stored) => stored.offset)).toEqual([62, 63]);
  });
});
