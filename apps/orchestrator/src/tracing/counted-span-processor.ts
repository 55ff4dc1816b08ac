/**
 * @module counted-span-processor
 * A batch span processor that keeps count: spans exported, and spans dropped because the
 * destination failed (a dead collector) or because too many waited for it. It never blocks the
 * code that ends a span: past `maxQueueSize` waiting, a span is dropped and counted, so a slow or
 * dead destination costs memory up to a bound and nothing else.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface SpanCounts {
  exported: number;
  /** By reason: `export_failed` (the destination refused or did not answer), `queue_full`. */
  dropped: { export_failed: number; queue_full: number };
}

export interface CountedSpanProcessor extends SpanProcessor {
  counts(): Readonly<SpanCounts>;
}

export interface CountedSpanProcessorOptions {
  exporter: SpanExporter;
  /** Spans waiting (queued or being exported) before new ones are dropped. Default 2048. */
  maxQueueSize?: number;
  /** How often a batch goes out. Default 1 s. */
  scheduledDelayMillis?: number;
  /** Told about each failed export (for a rate-limited log line). */
  onExportFailed?: (error: Error | undefined, spans: number) => void;
}

export function createCountedSpanProcessor(options: CountedSpanProcessorOptions): CountedSpanProcessor {
  const maxQueueSize = options.maxQueueSize ?? 2_048;
  const counts: SpanCounts = { exported: 0, dropped: { export_failed: 0, queue_full: 0 } };
  let waiting = 0;
  const counted: SpanExporter = {
    export(spans, resultCallback) {
      options.exporter.export(spans, (result) => {
        waiting -= spans.length;
        if (result.code === ExportResultCode.SUCCESS) counts.exported += spans.length;
        else {
          counts.dropped.export_failed += spans.length;
          options.onExportFailed?.(result.error, spans.length);
        }
        resultCallback(result);
      });
    },
    shutdown: () => options.exporter.shutdown(),
    ...(options.exporter.forceFlush ? { forceFlush: () => options.exporter.forceFlush?.() ?? Promise.resolve() } : {}),
  };
  // Its own queue bound is ours plus one batch, so it never drops a span we did not count.
  const batch = new BatchSpanProcessor({
    exporter: counted,
    maxQueueSize: maxQueueSize + 512,
    maxExportBatchSize: 512,
    scheduledDelayMillis: options.scheduledDelayMillis ?? 1_000,
  });
  return {
    onStart: (span, parentContext) => batch.onStart(span, parentContext),
    onEnd(span: ReadableSpan) {
      if (waiting >= maxQueueSize) {
        counts.dropped.queue_full++;
        return;
      }
      waiting++;
      batch.onEnd(span);
    },
    forceFlush: () => batch.forceFlush(),
    shutdown: () => batch.shutdown(),
    counts: () => counts,
  };
}
