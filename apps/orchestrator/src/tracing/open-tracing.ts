/**
 * @module open-tracing
 * The OpenTelemetry SDK behind UMCA's spans: a tracer provider of our own (not registered as the
 * process's global one), with the service and Phoenix project on its resource, and two counted
 * batch processors: the embedded store (the web UI's waterfall) and, when configured, OTLP/HTTP
 * protobuf to a collector. A slow or dead collector drops spans (counted), never a run.
 */
import { SEMRESATTRS_PROJECT_NAME } from '@arizeai/openinference-semantic-conventions';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { Logger, SpanStoreV1 } from '@umca/contracts';
import { NO_TRACING, type RunTracing } from '@umca/tracing';
import { type CountedSpanProcessor, createCountedSpanProcessor, type SpanCounts } from './counted-span-processor.js';
import { createStoreSpanExporter } from './store-span-exporter.js';
import type { ResolvedTracing } from './trace-settings.js';

export interface OpenTracing {
  readonly tracing: RunTracing;
  readonly settings: ResolvedTracing;
  /** Spans exported and dropped, by destination (`store`, `otlp`). */
  counts(): Readonly<Record<string, Readonly<SpanCounts>>>;
  /** Sends what is waiting (at most `timeoutMs`). */
  flush(timeoutMs?: number): Promise<void>;
  /** Sends what is waiting and stops. */
  shutdown(): Promise<void>;
}

export interface OpenTracingOptions {
  readonly settings: ResolvedTracing;
  /** Where the embedded trace view's spans go. */
  readonly spans: SpanStoreV1;
  readonly logger: Logger;
  /** `service.name` unless OTEL_SERVICE_NAME says otherwise. */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** How often batches go out (default 1 s; tests use less). */
  readonly scheduledDelayMillis?: number;
  /** How long one OTLP export may take, retries included (default: the exporter's 10 s, or OTEL_EXPORTER_OTLP_TIMEOUT). */
  readonly otlpTimeoutMs?: number;
}

/** Failed exports are logged at most once a minute per destination, with how many spans were lost since. */
function exportFailureLog(logger: Logger, destination: string) {
  let last = 0;
  let lost = 0;
  return (error: Error | undefined, spans: number) => {
    lost += spans;
    const now = Date.now();
    if (now - last < 60_000) return;
    logger.warn({ err: error }, `traces: ${lost} span(s) could not be sent to ${destination} and were dropped; runs go on without them`);
    last = now;
    lost = 0;
  };
}

export function openTracing(options: OpenTracingOptions): OpenTracing {
  const { settings, logger } = options;
  if (!settings.enabled) {
    return { tracing: NO_TRACING, settings, counts: () => ({}), flush: async () => {}, shutdown: async () => {} };
  }
  const processors: Record<string, CountedSpanProcessor> = {
    store: createCountedSpanProcessor({
      exporter: createStoreSpanExporter(options.spans),
      ...(options.scheduledDelayMillis ? { scheduledDelayMillis: options.scheduledDelayMillis } : {}),
      onExportFailed: exportFailureLog(logger, 'the store'),
    }),
  };
  if (settings.otlp) {
    const where = 'url' in settings.otlp ? settings.otlp.url : settings.otlp.fromEnvironment;
    processors.otlp = createCountedSpanProcessor({
      // Without a url the exporter reads OTEL_EXPORTER_OTLP_* itself (endpoint, headers, timeout, compression).
      exporter: new OTLPTraceExporter({
        ...('url' in settings.otlp ? { url: settings.otlp.url } : {}),
        ...(options.otlpTimeoutMs ? { timeoutMillis: options.otlpTimeoutMs } : {}),
      }),
      ...(options.scheduledDelayMillis ? { scheduledDelayMillis: options.scheduledDelayMillis } : {}),
      onExportFailed: exportFailureLog(logger, `the OTLP collector at ${where}`),
    });
  }
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over our defaults, as users of OpenTelemetry expect.
  const resource = resourceFromAttributes({
    'service.name': options.serviceName,
    ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    [SEMRESATTRS_PROJECT_NAME]: settings.project,
  }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    spanProcessors: Object.values(processors),
    // Long content is cut by the span helpers already; this bounds anything else.
    spanLimits: { attributeValueLengthLimit: 32_768, attributeCountLimit: 512 },
  });
  return {
    tracing: { tracer: provider.getTracer('umca', options.serviceVersion), recordContent: settings.recordContent },
    settings,
    counts: () => Object.fromEntries(Object.entries(processors).map(([name, processor]) => [name, processor.counts()])),
    async flush(timeoutMs = 5_000) {
      // A failed export rejects the flush; it is counted (and logged) already, and is no one's error here.
      const flushed = provider.forceFlush().catch(() => {});
      await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
    async shutdown() {
      await Promise.race([provider.shutdown(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]).catch((error: unknown) =>
        logger.warn({ err: error }, 'traces: shutting the tracer down failed; spans still waiting are lost'),
      );
    },
  };
}
