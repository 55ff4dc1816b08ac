import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPostgres, startPostgres } from '../../../test/support/postgres.js';
import { openPostgresStore, POSTGRES_MIGRATIONS, StoreError } from '../src/index.js';
import { describeStoreContract } from './store-contract.js';

let server: RunningPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.close();
});

describeStoreContract('PostgreSQL', async () => openPostgresStore({ url: await server.createDatabase() }));

describe('the PostgreSQL store', () => {
  it('migrates a new database once, even when replicas open it together, and says what it did', async () => {
    const url = await server.createDatabase();
    const stores = await Promise.all([openPostgresStore({ url }), openPostgresStore({ url }), openPostgresStore({ url })]);
    const reports = stores.map((store) => store.migration);
    expect(reports.filter((report) => report.from === 0)).toHaveLength(1);
    expect(reports.every((report) => report.to === POSTGRES_MIGRATIONS.length)).toBe(true);
    for (const store of stores) await store.close();
    const again = await openPostgresStore({ url });
    expect(again.migration).toEqual({ from: POSTGRES_MIGRATIONS.length, to: POSTGRES_MIGRATIONS.length });
    await again.close();
  });

  it('refuses a database written by a newer UMCA, touching nothing', async () => {
    const url = await server.createDatabase();
    (await openPostgresStore({ url })).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE umca_schema SET version = 99');
    await client.end();
    const opening = openPostgresStore({ url });
    await expect(opening).rejects.toThrow(StoreError);
    await expect(openPostgresStore({ url })).rejects.toThrow(
      /newer UMCA \(schema 99, this one knows \d+\); upgrade UMCA, or point --store at another database/,
    );
  });

  it('says which database it could not open, without its password', async () => {
    const url = (await server.createDatabase()).replace(/:[^:@/]+@/, ':wrong-password@');
    const failure = await openPostgresStore({ url }).catch((error: unknown) => error as StoreError);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).code).toBe('open_failed');
    expect((failure as StoreError).message).toMatch(/cannot open the PostgreSQL store postgres:\/\/umca@127\.0\.0\.1:\d+\/umca_/);
    expect((failure as StoreError).message).not.toContain('wrong-password');
  });

  it('hands each process a slot of its own, and the slot back when it lets go', async () => {
    const url = await server.createDatabase();
    const [one, two] = [await openPostgresStore({ url }), await openPostgresStore({ url })];
    try {
      const first = await one.holdSlot('replica', 2);
      const second = await two.holdSlot('replica', 2);
      expect([first?.slot, second?.slot]).toEqual([0, 1]);
      expect(await one.holdSlot('replica', 2)).toBeUndefined();
      expect((await one.holdSlot('worker', 2))?.slot).toBe(0);
      await first?.release();
      expect((await two.holdSlot('replica', 2))?.slot).toBe(0);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('fails calls as unavailable while the database is down, then recovers without reopening', async () => {
    const store = await openPostgresStore({ url: await server.createDatabase(), connectTimeoutMs: 2_000 });
    try {
      await store.runs.create({
        id: 'before',
        kind: 'execution',
        status: 'queued',
        language: 'python',
        createdAt: 'x',
        request: { language: 'python', code: '' },
      });
      await server.stop();
      const failure = await store.runs.get('before').catch((error: unknown) => error as StoreError);
      expect(failure).toBeInstanceOf(StoreError);
      expect((failure as StoreError).code).toBe('unavailable');
      expect((failure as StoreError).message).toMatch(/the PostgreSQL store postgres:\/\/umca@127\.0\.0\.1:\d+\/umca_\w+ did not answer/);
      await expect(store.check()).rejects.toThrow(StoreError);
      await server.start();
      expect(await store.runs.get('before')).toMatchObject({ id: 'before' });
      await expect(store.check()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
