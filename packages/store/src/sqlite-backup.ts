/**
 * @module sqlite-backup
 * A consistent copy of the embedded store while a server keeps writing to it: SQLite's online
 * backup API, through a connection of its own (the store is in WAL mode, so readers and the
 * server's writes do not wait for each other). What the copy holds is read back from the copy
 * itself, so a backup reports what it actually kept: its schema, runs, events and last offset.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError } from './store-error.js';

export interface StoreSnapshotFacts {
  /** The schema version (SQLite `user_version`). */
  readonly schema: number;
  readonly runs: number;
  readonly events: number;
  /** The last event's offset: a client that resumes from it after a restore misses nothing it had. */
  readonly lastOffset: number;
}

/** What a store file holds, read without writing to it. */
export function readStoreFacts(path: string): StoreSnapshotFacts {
  // Not `readonly`: a WAL store opened read-only needs its -shm file already there. Nothing is written.
  const db = new Database(path, { fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const last = db.prepare('SELECT MAX(position) AS last FROM events').get() as { last: number | null };
    return {
      schema: db.pragma('user_version', { simple: true }) as number,
      runs: count('runs'),
      events: count('events'),
      lastOffset: last.last ?? 0,
    };
  } finally {
    db.close();
  }
}

/** Copies the store at `source` to `target` (which must not exist) while it may be in use. */
export async function backupSqliteStore(source: string, target: string): Promise<StoreSnapshotFacts> {
  if (!existsSync(source)) throw new StoreError('open_failed', `there is no store at ${source}: nothing to back up (is --data-dir right?)`);
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(target);
  } catch (error) {
    throw new StoreError('open_failed', `backing up the store at ${source} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    db.close();
  }
  return readStoreFacts(target);
}
