import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore, StoreError } from '../src/index.js';
import { describeStoreContract } from './store-contract.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'umca-store-'));
describeStoreContract('SQLite in a file', async () => openSqliteStore({ dataDir: fresh() }));
describeStoreContract('SQLite in memory', async () => openSqliteStore({ memory: true }));

describe('the embedded SQLite store', () => {
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
