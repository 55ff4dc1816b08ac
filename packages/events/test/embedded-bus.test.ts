import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreV1 } from '@umca/contracts';
import { openSqliteStore } from '@umca/store';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedBus } from '../src/index.js';

const stores: StoreV1[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function open(dataDir = mkdtempSync(join(tmpdir(), 'umca-bus-'))) {
  const store = openSqliteStore({ dataDir });
  stores.push(store);
  let n = 0;
  return {
    dataDir,
    store,
    bus: createEmbeddedBus({ log: store.events, now: () => new Date('2026-01-01T00:00:00Z'), newId: () => `event-${++n}` }),
  };
}

const ended = (runId: string) => ({ runId, status: 'ok' as const, durationMs: 1 });

/** Waits until `condition` holds, checking a bounded number of times; the caller asserts what it waited for. */
async function until(condition: () => boolean, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts && !condition(); attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the embedded bus', () => {
  it('publishes CloudEvents with monotonic offsets and typed data', async () => {
    const { bus } = open();
    const first = await bus.publish('dev.umca.run.ended.v1', 'run-1', ended('run-1'));
    const second = await bus.publish('dev.umca.run.ended.v1', 'run-2', ended('run-2'));
    expect(second.offset).toBeGreaterThan(first.offset);
    expect(first.event).toEqual({
      specversion: '1.0',
      id: 'event-1',
      source: 'urn:umca:orchestrator',
      type: 'dev.umca.run.ended.v1',
      time: '2026-01-01T00:00:00.000Z',
      subject: 'run-1',
      datacontenttype: 'application/json',
      dataschema: 'https://umca.dev/schemas/dev.umca.run.ended.v1.json',
      data: { runId: 'run-1', status: 'ok', durationMs: 1 },
    });
  });

  it('replays from an offset, then follows live, filtered by run when asked', async () => {
    const { bus } = open();
    await bus.publish('dev.umca.run.ended.v1', 'a', ended('a'));
    const second = await bus.publish('dev.umca.run.ended.v1', 'b', ended('b'));
    const controller = new AbortController();
    const seen: string[] = [];
    const all = (async () => {
      for await (const stored of bus.subscribe({ after: 0, signal: controller.signal })) seen.push(stored.event.subject);
    })();
    const onlyB: number[] = [];
    const filtered = (async () => {
      for await (const stored of bus.subscribe({ after: 0, subject: 'b', signal: controller.signal })) onlyB.push(stored.offset);
    })();
    // Both have replayed the log before anything new is published, so what follows arrives live.
    await until(() => seen.length === 2 && onlyB.length === 1);
    expect([seen, onlyB]).toEqual([['a', 'b'], [second.offset]]);
    const third = await bus.publish('dev.umca.run.ended.v1', 'b', ended('b'));
    await bus.publish('dev.umca.run.ended.v1', 'c', ended('c'));
    await until(() => seen.length === 4 && onlyB.length === 2);
    controller.abort();
    await Promise.all([all, filtered]);
    expect(seen).toEqual(['a', 'b', 'b', 'c']);
    expect(onlyB).toEqual([second.offset, third.offset]);
  });

  it('never lets a slow subscriber hold up publishers or other subscribers', async () => {
    const { bus } = open();
    const controller = new AbortController();
    let fastCount = 0;
    const fast = (async () => {
      for await (const _ of bus.subscribe({ after: 0, signal: controller.signal })) fastCount++;
    })();
    // The slow subscriber is stuck on its first event until the test lets it go, however fast or
    // slow the machine: ordering, not a stopwatch.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowSeen: number[] = [];
    const slow = (async () => {
      for await (const stored of bus.subscribe({ after: 0, signal: controller.signal })) {
        slowSeen.push(stored.offset);
        await released;
      }
    })();
    for (let index = 0; index < 500; index++) await bus.publish('dev.umca.run.ended.v1', `run-${index}`, ended(`run-${index}`));
    // all 500 are published and delivered to the fast subscriber while the slow one is still stuck
    await until(() => fastCount === 500 && slowSeen.length > 0);
    expect(fastCount).toBe(500);
    expect(slowSeen).toEqual([1]);
    // the slow one catches up from the log, in order, without gaps
    release();
    await until(() => slowSeen.length === 500);
    controller.abort();
    await Promise.all([fast, slow]);
    expect(slowSeen).toEqual(Array.from({ length: 500 }, (_, index) => index + 1));
  });

  it('keeps events across a restart of the store', async () => {
    const first = open();
    await first.bus.publish('dev.umca.run.ended.v1', 'kept', ended('kept'));
    await first.store.close();
    const second = open(first.dataDir);
    expect((await second.bus.read({ after: 0, limit: 10 })).map((stored) => stored.event.subject)).toEqual(['kept']);
    expect(await second.bus.lastOffset()).toBe(1);
  });
});
