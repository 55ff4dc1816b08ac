/**
 * @module store-span-exporter
 * The embedded default's exporter: ended spans into UMCA's own store (`SpanStoreV1`), a batch per
 * export, so that the web UI shows a run's trace with no tracing backend. An export that fails
 * (the store is down) is reported as failed and counted; it never reaches a run.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { SpanStoreV1 } from '@umca/contracts';
import { toTraceSpan } from './to-trace-span.js';

export function createStoreSpanExporter(spans: SpanStoreV1): SpanExporter {
  let pending = Promise.resolve();
  return {
    export(batch: ReadableSpan[], resultCallback) {
      pending = spans.record(batch.map(toTraceSpan)).then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: unknown) => resultCallback({ code: ExportResultCode.FAILED, error: error as Error }),
      );
    },
    async forceFlush() {
      await pending;
    },
    async shutdown() {
      await pending;
    },
  };
}
