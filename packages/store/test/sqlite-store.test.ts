import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore, StoreError } from '../src/index.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'umca-store-'));
const request = { language: 'python' as const, code: 'print(1)' };

describe('the embedded SQLite store', () => {
  it('creates, updates, lists and pages runs, newest first', async () => {
    const store = openSqliteStore({ dataDir: fresh() });
    for (const id of ['r1', 'r2', 'r3']) {
      await store.runs.create({ id, kind: 'execution', status: 'queued', language: 'python', createdAt: '2026-01-01T00:00:00Z', request });
    }
    const updated = await store.runs.update('r2', { status: 'ok', endedAt: '2026-01-01T00:00:01Z', durationMs: 12.5 });
    expect(updated).toMatchObject({ id: 'r2', status: 'ok', durationMs: 12.5, request });
    expect((await store.runs.list({ limit: 10 })).map((run) => run.id)).toEqual(['r3', 'r2', 'r1']);
    expect((await store.runs.list({ limit: 10, before: 'r3' })).map((run) => run.id)).toEqual(['r2', 'r1']);
    expect((await store.runs.list({ limit: 10, status: 'ok' })).map((run) => run.id)).toEqual(['r2']);
    expect((await store.runs.unfinished()).map((run) => run.id)).toEqual(['r1', 'r3']);
    expect(await store.runs.get('missing')).toBeUndefined();
    expect(await store.runs.update('missing', { status: 'ok' })).toBeUndefined();
    await store.close();
  });

  it('keeps who started each run, and lists one principal’s runs', async () => {
    const store = openSqliteStore({ dataDir: fresh() });
    const ada = { sub: 'ada', name: 'Ada', roles: ['developer'], issuer: 'https://idp', via: 'oidc' as const };
    const base = {
      kind: 'execution' as const,
      status: 'queued' as const,
      language: 'python' as const,
      createdAt: '2026-01-01T00:00:00Z',
      request,
    };
    await store.runs.create({ id: 'mine', ...base, principal: ada });
    await store.runs.create({ id: 'theirs', ...base, principal: { ...ada, sub: 'bob', name: 'Bob' } });
    await store.runs.create({ id: 'nobodys', ...base });
    expect(await store.runs.get('mine')).toMatchObject({ principal: ada });
    expect(await store.runs.get('nobodys')).not.toHaveProperty('principal');
    expect((await store.runs.list({ limit: 10, owner: 'ada' })).map((run) => run.id)).toEqual(['mine']);
    expect((await store.runs.list({ limit: 10 })).map((run) => run.id)).toEqual(['nobodys', 'theirs', 'mine']);
    await store.close();
  });

  it('keeps MCP stream events per stream and replays after an event id', async () => {
    const store = openSqliteStore({ dataDir: fresh() });
    const first = await store.streams.append('stream-a', { jsonrpc: '2.0', method: 'one' });
    await store.streams.append('stream-b', { jsonrpc: '2.0', method: 'other' });
    const third = await store.streams.append('stream-a', { jsonrpc: '2.0', method: 'two' });
    expect(await store.streams.streamOf(first)).toBe('stream-a');
    expect(await store.streams.after(first)).toEqual([{ eventId: third, message: { jsonrpc: '2.0', method: 'two' } }]);
    expect(await store.streams.after('999')).toEqual([]);
    await store.close();
  });

  it('refuses a data directory written by a newer schema, and says what to do', () => {
    const dataDir = fresh();
    const db = new Database(join(dataDir, 'umca.db'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => openSqliteStore({ dataDir })).toThrow(StoreError);
    expect(() => openSqliteStore({ dataDir })).toThrow(/newer UMCA/);
  });

  it('says which path it could not open', () => {
    const file = join(fresh(), 'not-a-folder');
    writeFileSync(file, 'x');
    expect(() => openSqliteStore({ dataDir: file })).toThrow(/cannot open the data store at .*not-a-folder.*--data-dir/);
  });
});
