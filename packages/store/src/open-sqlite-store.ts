/**
 * @module open-sqlite-store
 * The embedded store: one SQLite file (WAL mode) under the data directory. Every write is a
 * single statement or one transaction, so a crash leaves either the whole change or none of it.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunRecord, StoredEvent, StoreV1, UmcaEvent } from '@umca/contracts';
import Database from 'better-sqlite3';
import type { MigrationReport } from './postgres/postgres-migrations.js';
import { patchColumns, type RunRow, toRunRecord } from './run-row.js';
import { SPANS_TABLE, type SpanRow, toSpanRows, toTraceSpan } from './span-row.js';
import { StoreError } from './store-error.js';

const MIGRATIONS: string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     status TEXT NOT NULL,
     language TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT,
     ended_at TEXT,
     duration_ms REAL,
     request TEXT NOT NULL,
     result TEXT
   );
   CREATE INDEX runs_status ON runs (status);
   CREATE TABLE events (
     position INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     type TEXT NOT NULL,
     subject TEXT NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX events_subject ON events (subject, position);
   CREATE TABLE stream_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     stream_id TEXT NOT NULL,
     message TEXT NOT NULL
   );
   CREATE INDEX stream_events_stream ON stream_events (stream_id, id);`,
  'ALTER TABLE runs ADD COLUMN warnings TEXT;',
  // Who started each run; `owner` (its sub) so that a caller's own runs are listed by index.
  `ALTER TABLE runs ADD COLUMN principal TEXT;
   ALTER TABLE runs ADD COLUMN owner TEXT;
   CREATE INDEX runs_owner ON runs (owner, seq);`,
  // A worker's claim: its attempt, and until when (ms since the epoch) it holds the run unless it renews.
  `ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE runs ADD COLUMN lease_until INTEGER;`,
  // Traces: each run's trace id, and the spans the embedded trace view shows.
  `ALTER TABLE runs ADD COLUMN trace_id TEXT;
   ${SPANS_TABLE}`,
];

function migrate(db: Database.Database): MigrationReport {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StoreError(
      'newer_schema',
      `the data directory was written by a newer UMCA (schema ${version}, this one knows ${MIGRATIONS.length}); upgrade UMCA or use another --data-dir`,
    );
  }
  for (let index = version; index < MIGRATIONS.length; index++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[index] as string);
      db.pragma(`user_version = ${index + 1}`);
    })();
  }
  return { from: version, to: Math.max(version, MIGRATIONS.length) };
}

/** Bounds the update statements kept prepared (there are a handful in practice). */
const MAX_CACHED_STATEMENTS = 64;

export type SqliteStoreOptions =
  | { dataDir: string; fileName?: string }
  /** A store that lives in memory and is gone when closed (tests, throwaway runs). */
  | { memory: true };

/** Opens (creating if needed) the store in `<dataDir>/umca.db`, or one in memory. */
export function openSqliteStore(options: SqliteStoreOptions): StoreV1 & { readonly migration: MigrationReport } {
  const path = 'memory' in options ? ':memory:' : join(options.dataDir, options.fileName ?? 'umca.db');
  let db: Database.Database;
  let migration: MigrationReport;
  try {
    if (!('memory' in options)) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migration = migrate(db);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      'open_failed',
      `cannot open the data store at ${path}: ${(error as Error).message}. Check that the folder is writable, or choose another with --data-dir`,
      {
        cause: error,
      },
    );
  }

  const insertRun = db.prepare(
    `INSERT INTO runs (id, seq, kind, status, language, created_at, request, principal, owner, trace_id)
     VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM runs), @kind, @status, @language, @createdAt, @request, @principal, @owner, @traceId)`,
  );
  const selectRun = db.prepare('SELECT * FROM runs WHERE id = ?');
  const countRuns = db.prepare('SELECT count(*) AS count FROM runs WHERE status = ?');
  const claimRun = db.prepare(
    `UPDATE runs SET status = 'running', attempt = attempt + 1, lease_until = @until
     WHERE id = @id AND (status = 'queued' OR (status = 'running' AND lease_until < @now)) RETURNING attempt`,
  );
  const renewClaim = db.prepare("UPDATE runs SET lease_until = @until WHERE id = @id AND attempt = @attempt AND status = 'running'");
  const insertEvent = db.prepare('INSERT INTO events (id, type, subject, body) VALUES (?, ?, ?, ?)');
  // Every subscriber reads after every publish: these are prepared once, not per read.
  const selectEvents = db.prepare('SELECT position, body FROM events WHERE position > ? ORDER BY position LIMIT ?');
  const selectSubjectEvents = db.prepare('SELECT position, body FROM events WHERE subject = ? AND position > ? ORDER BY position LIMIT ?');
  const selectLastOffset = db.prepare('SELECT MAX(position) AS last FROM events');
  const insertStreamEvent = db.prepare('INSERT INTO stream_events (stream_id, message) VALUES (?, ?)');
  const selectStreamOf = db.prepare('SELECT stream_id FROM stream_events WHERE id = ?');
  const selectStreamAfter = db.prepare('SELECT id, message FROM stream_events WHERE stream_id = ? AND id > ? ORDER BY id');
  const insertSpan = db.prepare(
    `INSERT INTO spans (trace_id, span_id, start_ns, body) VALUES (@traceId, @spanId, @startNs, @body)
     ON CONFLICT (trace_id, span_id) DO NOTHING`,
  );
  const insertSpans = db.transaction((rows: ReturnType<typeof toSpanRows>) => {
    for (const row of rows) insertSpan.run(row);
  });
  const selectTrace = db.prepare('SELECT body FROM spans WHERE trace_id = ? ORDER BY start_ns, span_id LIMIT ?');
  // A run's updates differ only in which columns they set and what they guard: a handful of
  // statements, prepared once each (preparing one took ~6 µs measured alone, more in a busy server).
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size < MAX_CACHED_STATEMENTS) statements.set(sql, statement);
    }
    return statement;
  };

  return {
    specificationVersion: 'v1',
    location: path,
    migration,
    runs: {
      specificationVersion: 'v1',
      async create(run) {
        insertRun.run({
          id: run.id,
          kind: run.kind,
          status: run.status,
          language: run.language,
          createdAt: run.createdAt,
          request: JSON.stringify(run.request),
          principal: run.principal ? JSON.stringify(run.principal) : null,
          owner: run.principal?.sub ?? null,
          traceId: run.traceId ?? null,
        });
        return run as RunRecord;
      },
      async update(id, patch, onlyIf) {
        const pairs = patchColumns(patch);
        const values: Record<string, unknown> = { id };
        for (const [column, value] of pairs) values[column] = value;
        const guard = onlyIf ? ` AND status IN (${onlyIf.status.map((_, index) => `@status${index}`).join(', ') || 'NULL'})` : '';
        onlyIf?.status.forEach((status, index) => {
          values[`status${index}`] = status;
        });
        const claimGuard = onlyIf?.attempt === undefined ? '' : ' AND attempt = @attempt';
        if (onlyIf?.attempt !== undefined) values.attempt = onlyIf.attempt;
        const sets = pairs.length ? pairs.map(([column]) => `${column} = @${column}`).join(', ') : 'id = id';
        return prepared(`UPDATE runs SET ${sets} WHERE id = @id${guard}${claimGuard}`).run(values).changes > 0;
      },
      async get(id) {
        const row = selectRun.get(id) as RunRow | undefined;
        return row ? toRunRecord(row) : undefined;
      },
      async list(query) {
        const where: string[] = [];
        const values: Record<string, unknown> = { limit: query.limit };
        if (query.before) {
          where.push('seq < (SELECT seq FROM runs WHERE id = @before)');
          values.before = query.before;
        }
        if (query.status) {
          where.push('status = @status');
          values.status = query.status;
        }
        if (query.owner !== undefined) {
          where.push('owner = @owner');
          values.owner = query.owner;
        }
        const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
        return (db.prepare(sql).all(values) as RunRow[]).map(toRunRecord);
      },
      async unfinished() {
        return (db.prepare("SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY seq").all() as RunRow[]).map(toRunRecord);
      },
      async count({ status }) {
        return (countRuns.get(status) as { count: number }).count;
      },
      async claim(id, leaseMs) {
        const row = claimRun.get({ id, now: Date.now(), until: Date.now() + leaseMs }) as { attempt: number } | undefined;
        return row ? { attempt: row.attempt } : undefined;
      },
      async renew(id, claim, leaseMs) {
        return renewClaim.run({ id, attempt: claim.attempt, until: Date.now() + leaseMs }).changes > 0;
      },
    },
    events: {
      specificationVersion: 'v1',
      async append(event: UmcaEvent): Promise<StoredEvent> {
        const info = insertEvent.run(event.id, event.type, event.subject, JSON.stringify(event));
        return { offset: Number(info.lastInsertRowid), event };
      },
      async read(query) {
        const rows = (
          query.subject ? selectSubjectEvents.all(query.subject, query.after, query.limit) : selectEvents.all(query.after, query.limit)
        ) as Array<{ position: number; body: string }>;
        return rows.map((row) => ({ offset: row.position, event: JSON.parse(row.body) as UmcaEvent }));
      },
      async lastOffset() {
        const row = selectLastOffset.get() as { last: number | null };
        return row.last ?? 0;
      },
    },
    streams: {
      specificationVersion: 'v1',
      async append(streamId, message) {
        return String(insertStreamEvent.run(streamId, JSON.stringify(message)).lastInsertRowid);
      },
      async streamOf(eventId) {
        const row = selectStreamOf.get(Number(eventId)) as { stream_id: string } | undefined;
        return row?.stream_id;
      },
      async after(eventId) {
        const stream = selectStreamOf.get(Number(eventId)) as { stream_id: string } | undefined;
        if (!stream) return [];
        const rows = selectStreamAfter.all(stream.stream_id, Number(eventId)) as Array<{ id: number; message: string }>;
        return rows.map((row) => ({ eventId: String(row.id), message: JSON.parse(row.message) as unknown }));
      },
    },
    spans: {
      specificationVersion: 'v1',
      async record(spans) {
        insertSpans(toSpanRows(spans));
      },
      async trace(traceId, { limit }) {
        return (selectTrace.all(traceId, limit) as SpanRow[]).map(toTraceSpan);
      },
    },
    async check() {
      if (!db.open) throw new StoreError('unavailable', `the data store at ${path} is closed`);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
