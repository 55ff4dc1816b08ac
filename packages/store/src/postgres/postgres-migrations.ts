/**
 * @module postgres-migrations
 * The PostgreSQL schema, as numbered migrations applied in order, each in its own transaction with
 * its version. Replicas starting together take turns (a transaction-level advisory lock), and a
 * database written by a newer UMCA is refused rather than touched. Append here; never edit one
 * that has shipped.
 */
import type pg from 'pg';
import { SPANS_TABLE } from '../span-row.js';
import { StoreError } from '../store-error.js';

export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: runs (with workers' claims), the event log with offsets handed out in commit order, MCP stream events.
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     seq BIGSERIAL NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     status TEXT NOT NULL,
     language TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT,
     ended_at TEXT,
     duration_ms DOUBLE PRECISION,
     request TEXT NOT NULL,
     result TEXT,
     warnings TEXT,
     principal TEXT,
     owner TEXT,
     -- A worker's claim: its attempt, and until when it holds the run unless it renews.
     attempt INTEGER NOT NULL DEFAULT 0,
     lease_until TIMESTAMPTZ
   );
   CREATE INDEX runs_status ON runs (status);
   CREATE INDEX runs_owner ON runs (owner, seq);
   CREATE TABLE events (
     position BIGINT PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     type TEXT NOT NULL,
     subject TEXT NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX events_subject ON events (subject, position);
   -- One row: the last offset given out. An append takes it with a row lock held to its commit, so
   -- offsets become visible in order and a reader after offset N never skips one committed later.
   CREATE TABLE event_offset (
     singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
     last BIGINT NOT NULL
   );
   INSERT INTO event_offset (last) VALUES (0);
   CREATE TABLE stream_events (
     id BIGSERIAL PRIMARY KEY,
     stream_id TEXT NOT NULL,
     message TEXT NOT NULL
   );
   CREATE INDEX stream_events_stream ON stream_events (stream_id, id);`,
  // 2: traces: each run's trace id, and the spans the embedded trace view shows.
  `ALTER TABLE runs ADD COLUMN trace_id TEXT;
   ${SPANS_TABLE}`,
];

/** Any fixed number: the advisory lock replicas take turns on while migrating. */
const MIGRATION_LOCK = 0x756d6361;

/** What opening a store did to its schema: from one version to another (equal when nothing). */
export interface MigrationReport {
  readonly from: number;
  readonly to: number;
}

/** Applies the migrations the database has not had; refuses one written by a newer UMCA. */
export async function migratePostgres(client: pg.ClientBase, where: string): Promise<MigrationReport> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS umca_schema (singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton), version INTEGER NOT NULL)',
    );
    const found = await client.query<{ version: number }>('SELECT version FROM umca_schema');
    const from = found.rows[0]?.version ?? 0;
    if (from > POSTGRES_MIGRATIONS.length) {
      throw new StoreError(
        'newer_schema',
        `the database ${where} was written by a newer UMCA (schema ${from}, this one knows ${POSTGRES_MIGRATIONS.length}); upgrade UMCA, or point --store at another database`,
      );
    }
    for (let index = from; index < POSTGRES_MIGRATIONS.length; index++) await client.query(POSTGRES_MIGRATIONS[index] as string);
    if (found.rows.length === 0) await client.query('INSERT INTO umca_schema (version) VALUES ($1)', [POSTGRES_MIGRATIONS.length]);
    else await client.query('UPDATE umca_schema SET version = $1', [Math.max(from, POSTGRES_MIGRATIONS.length)]);
    await client.query('COMMIT');
    return { from, to: POSTGRES_MIGRATIONS.length };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
