/**
 * @module span-row
 * Spans as both stores keep them: one row per span, keyed by trace and span id, ordered by start
 * time (nanoseconds, so a zero-padded text column sorts like the number), the span itself as JSON.
 */
import type { TraceSpan } from '@umca/contracts';

/** The same table in SQLite and PostgreSQL: plain text columns. */
export const SPANS_TABLE = `CREATE TABLE spans (
     trace_id TEXT NOT NULL,
     span_id TEXT NOT NULL,
     start_ns TEXT NOT NULL,
     body TEXT NOT NULL,
     PRIMARY KEY (trace_id, span_id)
   );
   CREATE INDEX spans_trace_start ON spans (trace_id, start_ns);`;

export interface SpanRow {
  body: string;
}

/** Row values for a batch of spans. */
export function toSpanRows(spans: readonly TraceSpan[]) {
  return spans.map((span) => ({
    traceId: span.traceId,
    spanId: span.spanId,
    startNs: span.startTimeUnixNano.padStart(20, '0'),
    body: JSON.stringify(span),
  }));
}

export function toTraceSpan(row: SpanRow): TraceSpan {
  return JSON.parse(row.body) as TraceSpan;
}
