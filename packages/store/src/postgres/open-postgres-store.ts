/**
 * @module open-postgres-store
 * The store for many replicas (`StoreV1` on PostgreSQL, with `pg`'s connection pool): the same
 * tables as the embedded SQLite store, migrated at open (postgres-migrations.ts). Event offsets
 * are handed out in commit order, so a reader after offset N misses nothing committed later. A
 * database that stops answering fails each call with StoreError('unavailable') at once (a 503 at
 * the edge) and the pool reconnects when it is back; nothing is retried behind the caller's back.
 */
import type { RunRecord, StoredEvent, StoreV1, UmcaEvent } from '@umca/contracts';
import pg from 'pg';
import { patchColumns, type RunRow, toRunRecord } from '../run-row.js';
import { type SpanRow, toSpanRows, toTraceSpan } from '../span-row.js';
import { StoreError } from '../store-error.js';
import { type MigrationReport, migratePostgres } from './postgres-migrations.js';
import { describePostgresUrl } from './postgres-url.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (libpq's URL; `?sslmode=...` and the rest as pg takes them). */
  url: string;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** How long a call waits for a connection before it fails as unavailable (default 5 s). */
  connectTimeoutMs?: number;
  /** Told about errors of idle connections (the database went away); the pool replaces them. */
  onIdleError?: (error: Error) => void;
}

export interface PostgresStore extends StoreV1 {
  /** The schema versions this open migrated from and to (equal when there was nothing to do). */
  readonly migration: MigrationReport;
  /**
   * Holds the first free one of `count` numbered slots of `kind` for as long as this process keeps
   * its connection (a session advisory lock): how replicas each pick a RocketMQ consumer group of
   * their own from a pool made in advance. Undefined when every slot is held.
   */
  holdSlot(kind: string, count: number): Promise<SlotHold | undefined>;
}

export interface SlotHold {
  readonly slot: number;
  release(): Promise<void>;
}

/** Connects, migrates (refusing a newer schema) and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const where = describePostgresUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    application_name: 'umca',
  });
  // Without a listener, an idle connection's error (a restarted database) would end the process.
  pool.on('error', (error) => options.onIdleError?.(error));

  let migration: MigrationReport;
  try {
    const client = await pool.connect();
    try {
      migration = await migratePostgres(client, where);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      'open_failed',
      `cannot open the PostgreSQL store ${where}: ${(error as Error).message}. Check that it runs and that the URL's user, password and database are right`,
      {
        cause: error,
      },
    );
  }

  /** Connections that hold slots (holdSlot): ended with the store. */
  const slotClients = new Set<pg.Client>();
  const query = async <Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<pg.QueryResult<Row>> => {
    try {
      return await pool.query<Row>(sql, values);
    } catch (error) {
      throw unavailable(error, where);
    }
  };

  return {
    specificationVersion: 'v1',
    location: where,
    migration,
    runs: {
      specificationVersion: 'v1',
      async create(run) {
        await query(
          `INSERT INTO runs (id, kind, status, language, created_at, request, principal, owner, trace_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            run.id,
            run.kind,
            run.status,
            run.language,
            run.createdAt,
            JSON.stringify(run.request),
            run.principal ? JSON.stringify(run.principal) : null,
            run.principal?.sub ?? null,
            run.traceId ?? null,
          ],
        );
        return run as RunRecord;
      },
      async update(id, patch, onlyIf) {
        const pairs = patchColumns(patch);
        const values: unknown[] = [id, ...pairs.map(([, value]) => value)];
        const sets = pairs.length ? pairs.map(([column], index) => `${column} = $${index + 2}`).join(', ') : 'id = id';
        let guard = '';
        if (onlyIf) {
          values.push([...onlyIf.status]);
          guard = ` AND status = ANY($${values.length}::text[])`;
          if (onlyIf.attempt !== undefined) {
            values.push(onlyIf.attempt);
            guard += ` AND attempt = $${values.length}`;
          }
        }
        const result = await query(`UPDATE runs SET ${sets} WHERE id = $1${guard}`, values);
        return (result.rowCount ?? 0) > 0;
      },
      async get(id) {
        const result = await query<RunRow>('SELECT * FROM runs WHERE id = $1', [id]);
        const row = result.rows[0];
        return row ? toRunRecord(row) : undefined;
      },
      async list(runQuery) {
        const where: string[] = [];
        const values: unknown[] = [];
        if (runQuery.before) {
          values.push(runQuery.before);
          where.push(`seq < (SELECT seq FROM runs WHERE id = $${values.length})`);
        }
        if (runQuery.status) {
          values.push(runQuery.status);
          where.push(`status = $${values.length}`);
        }
        if (runQuery.owner !== undefined) {
          values.push(runQuery.owner);
          where.push(`owner = $${values.length}`);
        }
        values.push(runQuery.limit);
        const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${values.length}`;
        return (await query<RunRow>(sql, values)).rows.map(toRunRecord);
      },
      async unfinished() {
        return (await query<RunRow>("SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY seq")).rows.map(toRunRecord);
      },
      async count({ status }) {
        const result = await query<{ count: string }>('SELECT count(*) AS count FROM runs WHERE status = $1', [status]);
        return Number(result.rows[0]?.count ?? 0);
      },
      async claim(id, leaseMs) {
        const result = await query<{ attempt: number }>(
          `UPDATE runs SET status = 'running', attempt = attempt + 1, lease_until = clock_timestamp() + $2 * interval '1 millisecond'
           WHERE id = $1 AND (status = 'queued' OR (status = 'running' AND lease_until < clock_timestamp()))
           RETURNING attempt`,
          [id, leaseMs],
        );
        const row = result.rows[0];
        return row ? { attempt: row.attempt } : undefined;
      },
      async renew(id, claim, leaseMs) {
        const result = await query(
          `UPDATE runs SET lease_until = clock_timestamp() + $3 * interval '1 millisecond'
           WHERE id = $1 AND attempt = $2 AND status = 'running'`,
          [id, claim.attempt, leaseMs],
        );
        return (result.rowCount ?? 0) > 0;
      },
    },
    events: {
      specificationVersion: 'v1',
      async append(event: UmcaEvent): Promise<StoredEvent> {
        const result = await query<{ position: string }>(
          `WITH next AS (UPDATE event_offset SET last = last + 1 RETURNING last)
           INSERT INTO events (position, id, type, subject, body) SELECT last, $1, $2, $3, $4 FROM next RETURNING position`,
          [event.id, event.type, event.subject, JSON.stringify(event)],
        );
        return { offset: Number(result.rows[0]?.position), event };
      },
      async read(eventQuery) {
        const result = eventQuery.subject
          ? await query<{ position: string; body: string }>(
              'SELECT position, body FROM events WHERE subject = $1 AND position > $2 ORDER BY position LIMIT $3',
              [eventQuery.subject, eventQuery.after, eventQuery.limit],
            )
          : await query<{ position: string; body: string }>(
              'SELECT position, body FROM events WHERE position > $1 ORDER BY position LIMIT $2',
              [eventQuery.after, eventQuery.limit],
            );
        return result.rows.map((row) => ({ offset: Number(row.position), event: JSON.parse(row.body) as UmcaEvent }));
      },
      async lastOffset() {
        const result = await query<{ last: string }>('SELECT last FROM event_offset');
        return Number(result.rows[0]?.last ?? 0);
      },
    },
    streams: {
      specificationVersion: 'v1',
      async append(streamId, message) {
        const result = await query<{ id: string }>('INSERT INTO stream_events (stream_id, message) VALUES ($1, $2) RETURNING id', [
          streamId,
          JSON.stringify(message),
        ]);
        return String(result.rows[0]?.id);
      },
      async streamOf(eventId) {
        if (!/^\d{1,18}$/.test(eventId)) return undefined;
        const result = await query<{ stream_id: string }>('SELECT stream_id FROM stream_events WHERE id = $1', [eventId]);
        return result.rows[0]?.stream_id;
      },
      async after(eventId) {
        if (!/^\d{1,18}$/.test(eventId)) return [];
        const result = await query<{ id: string; message: string }>(
          `SELECT id, message FROM stream_events
           WHERE stream_id = (SELECT stream_id FROM stream_events WHERE id = $1) AND id > $1 ORDER BY id`,
          [eventId],
        );
        return result.rows.map((row) => ({ eventId: String(row.id), message: JSON.parse(row.message) as unknown }));
      },
    },
    spans: {
      specificationVersion: 'v1',
      async record(spans) {
        const rows = toSpanRows(spans);
        if (rows.length === 0) return;
        // One statement, so a batch is kept whole or not at all.
        await query(
          `INSERT INTO spans (trace_id, span_id, start_ns, body)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
           ON CONFLICT (trace_id, span_id) DO NOTHING`,
          [rows.map((row) => row.traceId), rows.map((row) => row.spanId), rows.map((row) => row.startNs), rows.map((row) => row.body)],
        );
      },
      async trace(traceId, { limit }) {
        const result = await query<SpanRow>('SELECT body FROM spans WHERE trace_id = $1 ORDER BY start_ns, span_id LIMIT $2', [
          traceId,
          limit,
        ]);
        return result.rows.map(toTraceSpan);
      },
    },
    async check() {
      await query('SELECT 1');
    },
    async holdSlot(kind, count) {
      const client = new pg.Client({ connectionString: options.url, application_name: `umca ${kind} slot` });
      client.on('error', (error) => options.onIdleError?.(error));
      try {
        await client.connect();
        for (let slot = 0; slot < count; slot++) {
          const held = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), $2) AS held', [kind, slot]);
          if (held.rows[0]?.held) {
            slotClients.add(client);
            return {
              slot,
              release: async () => {
                slotClients.delete(client);
                await client.end();
              },
            };
          }
        }
      } catch (error) {
        await client.end().catch(() => {});
        throw unavailable(error, where);
      }
      await client.end();
      return undefined;
    },
    async close() {
      await Promise.allSettled([...slotClients].map((client) => client.end()));
      slotClients.clear();
      await pool.end();
    },
  };
}

/** A failed call as the caller should see it: the database is unavailable, and where. */
function unavailable(error: unknown, where: string): StoreError {
  const message = (error as Error).message ?? String(error);
  return new StoreError('unavailable', `the PostgreSQL store ${where} did not answer: ${message}`, { cause: error });
}
