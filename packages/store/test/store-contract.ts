/**
 * @module store-contract
 * What every `StoreV1` must do, written once and run against each store: the embedded SQLite one
 * (fast tier) and PostgreSQL (real tier, a real server).
 */
import type { StoreV1, UmcaEvent } from '@umca/contracts';
import { createUmcaEvent } from '@umca/contracts';
import { afterEach, describe, expect, it } from 'vitest';

const request = { language: 'python' as const, code: 'print(1)' };
const base = {
  kind: 'execution' as const,
  status: 'queued' as const,
  language: 'python' as const,
  createdAt: '2026-01-01T00:00:00Z',
  request,
};

let eventCount = 0;
function event(subject: string): UmcaEvent {
  return createUmcaEvent({
    type: 'dev.umca.run.ended.v1',
    subject,
    data: { runId: subject, status: 'ok', durationMs: 1 },
    id: `event-${++eventCount}-${Math.random()}`,
    time: new Date('2026-01-01T00:00:00Z'),
  });
}

export function describeStoreContract(name: string, open: () => Promise<StoreV1>): void {
  describe(`${name}: the store contract`, () => {
    const opened: StoreV1[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    it('creates, updates, lists and pages runs, newest first, and returns what it was given', async () => {
      const store = await fresh();
      for (const id of ['r1', 'r2', 'r3']) expect(await store.runs.create({ id, ...base })).toEqual({ id, ...base });
      expect(await store.runs.update('r2', { status: 'ok', endedAt: '2026-01-01T00:00:01Z', durationMs: 12.5 })).toBe(true);
      expect(await store.runs.get('r2')).toMatchObject({
        id: 'r2',
        status: 'ok',
        durationMs: 12.5,
        endedAt: '2026-01-01T00:00:01Z',
        request,
      });
      expect((await store.runs.list({ limit: 10 })).map((run) => run.id)).toEqual(['r3', 'r2', 'r1']);
      expect((await store.runs.list({ limit: 2 })).map((run) => run.id)).toEqual(['r3', 'r2']);
      expect((await store.runs.list({ limit: 10, before: 'r3' })).map((run) => run.id)).toEqual(['r2', 'r1']);
      expect((await store.runs.list({ limit: 10, status: 'ok' })).map((run) => run.id)).toEqual(['r2']);
      expect((await store.runs.unfinished()).map((run) => run.id)).toEqual(['r1', 'r3']);
      expect(await store.runs.get('missing')).toBeUndefined();
      expect(await store.runs.update('missing', { status: 'ok' })).toBe(false);
    });

    it('keeps results, warnings and who started a run, and lists one principal’s runs', async () => {
      const store = await fresh();
      const ada = { sub: 'ada', name: 'Ada', roles: ['developer'], issuer: 'https://idp', via: 'oidc' as const };
      await store.runs.create({ id: 'mine', ...base, principal: ada });
      await store.runs.create({ id: 'theirs', ...base, principal: { ...ada, sub: 'bob', name: 'Bob' } });
      await store.runs.create({ id: 'nobodys', ...base });
      const result = { status: 'ok', exitCode: 0, stdout: 'é\n', stderr: '', durationMs: 3 };
      await store.runs.update('mine', { result: result as never, warnings: ['publishing x failed'] });
      expect(await store.runs.get('mine')).toMatchObject({ principal: ada, result, warnings: ['publishing x failed'] });
      expect(await store.runs.get('nobodys')).not.toHaveProperty('principal');
      expect((await store.runs.list({ limit: 10, owner: 'ada' })).map((run) => run.id)).toEqual(['mine']);
      expect((await store.runs.list({ limit: 10 })).map((run) => run.id)).toEqual(['nobodys', 'theirs', 'mine']);
    });

    it('applies a guarded update once: of two endings of one run, one wins', async () => {
      const store = await fresh();
      await store.runs.create({ id: 'r', ...base });
      expect(await store.runs.update('r', { status: 'running' }, { status: ['queued'] })).toBe(true);
      expect(await store.runs.update('r', { status: 'running' }, { status: ['queued'] })).toBe(false);
      const endings = await Promise.all(
        (['ok', 'error'] as const).map((status) => store.runs.update('r', { status, durationMs: 1 }, { status: ['running'] })),
      );
      expect(endings.filter(Boolean)).toHaveLength(1);
      expect(['ok', 'error']).toContain((await store.runs.get('r'))?.status);
      expect(await store.runs.update('r', { status: 'cancelled' }, { status: [] })).toBe(false);
    });

    it('lets one worker claim a queued run, and another take it over only once the lease ran out', async () => {
      const store = await fresh();
      await store.runs.create({ id: 'r', ...base });
      await store.runs.create({ id: 'other', ...base });
      expect(await store.runs.count({ status: 'queued' })).toBe(2);
      const claims = await Promise.all([store.runs.claim('r', 60_000), store.runs.claim('r', 60_000)]);
      expect(claims.filter(Boolean)).toEqual([{ attempt: 1 }]);
      expect(await store.runs.get('r')).toMatchObject({ status: 'running' });
      expect(await store.runs.count({ status: 'queued' })).toBe(1);
      expect(await store.runs.renew('r', { attempt: 1 }, 60_000)).toBe(true);
      // The first worker's lease runs out (a negative lease: already over, whatever the clock).
      expect(await store.runs.renew('r', { attempt: 1 }, -1_000)).toBe(true);
      expect(await store.runs.claim('r', 60_000)).toEqual({ attempt: 2 });
      // The first worker comes back: it can neither renew nor end the run.
      expect(await store.runs.renew('r', { attempt: 1 }, 60_000)).toBe(false);
      expect(await store.runs.update('r', { status: 'ok' }, { status: ['running'], attempt: 1 })).toBe(false);
      expect(await store.runs.update('r', { status: 'ok' }, { status: ['running'], attempt: 2 })).toBe(true);
      expect(await store.runs.claim('r', 60_000)).toBeUndefined();
      expect(await store.runs.renew('r', { attempt: 2 }, 60_000)).toBe(false);
      expect(await store.runs.claim('missing', 60_000)).toBeUndefined();
    });

    it('gives events offsets 1, 2, 3... in the order appends complete, even when they race', async () => {
      const store = await fresh();
      expect(await store.events.lastOffset()).toBe(0);
      const appended = await Promise.all(Array.from({ length: 60 }, (_, index) => store.events.append(event(`run-${index % 3}`))));
      expect(appended.map((stored) => stored.offset).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
      expect(await store.events.lastOffset()).toBe(60);
      const all = await store.events.read({ after: 0, limit: 1000 });
      expect(all.map((stored) => stored.offset)).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
      for (const stored of appended) expect(all[stored.offset - 1]?.event).toEqual(stored.event);
      const run1 = await store.events.read({ after: 10, limit: 5, subject: 'run-1' });
      expect(run1.every((stored) => stored.event.subject === 'run-1' && stored.offset > 10)).toBe(true);
      expect(run1).toHaveLength(5);
    });

    it('keeps an event exactly as it was written', async () => {
      const store = await fresh();
      const written = event('exact');
      await store.events.append(written);
      const [read] = await store.events.read({ after: 0, limit: 1 });
      expect(JSON.stringify(read?.event)).toBe(JSON.stringify(written));
    });

    it('keeps MCP stream events per stream and replays after an event id', async () => {
      const store = await fresh();
      const first = await store.streams.append('stream-a', { jsonrpc: '2.0', method: 'one' });
      await store.streams.append('stream-b', { jsonrpc: '2.0', method: 'other' });
      const third = await store.streams.append('stream-a', { jsonrpc: '2.0', method: 'two' });
      expect(await store.streams.streamOf(first)).toBe('stream-a');
      expect(await store.streams.after(first)).toEqual([{ eventId: third, message: { jsonrpc: '2.0', method: 'two' } }]);
      expect(await store.streams.after('999')).toEqual([]);
      expect(await store.streams.after('not-a-number')).toEqual([]);
    });

    it('keeps a run’s trace id and the spans of a trace, by start time, each once', async () => {
      const store = await fresh();
      const traceId = 'a'.repeat(32);
      await store.runs.create({ id: 'traced', ...base, traceId });
      expect(await store.runs.get('traced')).toMatchObject({ traceId });
      const span = (spanId: string, start: string, parentSpanId?: string) => ({
        traceId,
        spanId,
        ...(parentSpanId ? { parentSpanId } : {}),
        name: `span ${spanId}`,
        kind: 'internal' as const,
        startTimeUnixNano: start,
        endTimeUnixNano: String(BigInt(start) + 1_000_000n),
        durationMs: 1,
        status: { code: 'ok' as const },
        attributes: { 'openinference.span.kind': 'CHAIN', 'llm.token_count.total': 12, 'gen_ai.response.finish_reasons': ['stop'] },
      });
      // A later start with fewer digits must not sort first; a span sent twice is kept once.
      const root = span('1'.repeat(16), '1790000000000000000');
      const child = span('2'.repeat(16), '1790000000500000000', root.spanId);
      const early = span('3'.repeat(16), '999999999', root.spanId);
      await store.spans.record([child, root]);
      await store.spans.record([early, child]);
      await store.spans.record([]);
      expect(await store.spans.trace(traceId, { limit: 10 })).toEqual([early, root, child]);
      expect(await store.spans.trace(traceId, { limit: 2 })).toEqual([early, root]);
      expect(await store.spans.trace('b'.repeat(32), { limit: 10 })).toEqual([]);
    });

    it('answers a readiness check', async () => {
      const store = await fresh();
      await expect(store.check()).resolves.toBeUndefined();
    });
  });
}
