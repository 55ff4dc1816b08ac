/**
 * @module span-store
 * `SpanStoreV1`: where the embedded default keeps spans, so a run's trace is there to see with no
 * tracing backend. Spans arrive in batches after they end (a span processor's export), and are
 * read back by trace.
 */
import type { TraceSpan } from '../trace-span.js';

export interface SpanStoreV1 {
  readonly specificationVersion: 'v1';
  /** Keeps a batch of ended spans, all or none; a span already kept (same trace and span id) is kept once. */
  record(spans: readonly TraceSpan[]): Promise<void>;
  /** The spans of one trace, by start time, at most `limit`. */
  trace(traceId: string, options: { readonly limit: number }): Promise<TraceSpan[]>;
}
