/**
 * @module sqlite-backup
 * A consistent copy of the embedded store while a server keeps writing to it: SQLite's online
 * backup API, through a connection of its own (the store is in WAL mode, so readers and the
 * server's writes do not wait for each other). What the copy holds is read back from the copy
 * itself, so a backup reports what it actually kept: its schema, runs, events and last offset.
 * A restored store hands out its next offsets past a gap (skipOffsetsAfterRestore), so that no
 * client that saw offsets the restore lost can take new events for ones it already has.
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

/**
 * How far a restore moves the next event and MCP stream offsets past the backup's last ones: more
 * than a server could hand out between a backup and its loss, and small enough that 2^53 allows
 * millions of restores.
 */
export const RESTORE_OFFSET_GAP = 1_000_000_000;

/**
 * Moves a restored store's next offsets `gap` past its last ones. Offsets are the resume points
 * of SSE clients (`Last-Event-ID`) and MCP streams: a client that saw offsets after the backup
 * would otherwise skip the new events that reuse them. Returns the next event offset.
 */
export function skipOffsetsAfterRestore(path: string, gap = RESTORE_OFFSET_GAP): number {
  const db = new Database(path, { fileMustExist: true });
  try {
    return db.transaction(() => {
      for (const table of ['events', 'stream_events']) {
        const moved = db.prepare('UPDATE sqlite_sequence SET seq = seq + ? WHERE name = ?').run(gap, table);
        if (moved.changes === 0) db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, gap);
      }
      return (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number }).seq + 1;
    })();
  } finally {
    db.close();
  }
}
