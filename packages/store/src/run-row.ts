/**
 * @module run-row
 * A run as both stores keep it, one row per run with its JSON parts as text (kept exactly as
 * written), and the record callers see. Shared so that SQLite and PostgreSQL answer alike.
 */
import type { Language, RunPatch, RunRecord, RunStatus } from '@umca/contracts';

export interface RunRow {
  id: string;
  kind: 'execution' | 'task';
  status: RunStatus;
  language: Language;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  request: string;
  result: string | null;
  warnings: string | null;
  principal: string | null;
  trace_id: string | null;
}

export function toRunRecord(row: RunRow): RunRecord {
  return <RunRecord>{
    id: row.id,
    kind: row.kind,
    status: row.status,
    language: row.language,
    createdAt: row.created_at,
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.ended_at ? { endedAt: row.ended_at } : {}),
    ...(row.duration_ms === null ? {} : { durationMs: Number(row.duration_ms) }),
    request: JSON.parse(row.request) as unknown,
    ...(row.result ? { result: JSON.parse(row.result) as unknown } : {}),
    ...(row.warnings ? { warnings: JSON.parse(row.warnings) as unknown } : {}),
    ...(row.principal ? { principal: JSON.parse(row.principal) as unknown } : {}),
    ...(row.trace_id ? { traceId: row.trace_id } : {}),
  };
}

/** The column each patch field is written to; the JSON ones are written as text. */
export const PATCH_COLUMNS: Readonly<Record<keyof RunPatch, string>> = {
  status: 'status',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  durationMs: 'duration_ms',
  result: 'result',
  warnings: 'warnings',
};

/** A patch as column/value pairs, in a fixed order, leaving out what it does not change. */
export function patchColumns(patch: RunPatch): Array<[column: string, value: unknown]> {
  const pairs: Array<[string, unknown]> = [];
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as Array<[keyof RunPatch, string]>) {
    if (patch[key] === undefined) continue;
    pairs.push([column, key === 'result' || key === 'warnings' ? JSON.stringify(patch[key]) : patch[key]]);
  }
  return pairs;
}
