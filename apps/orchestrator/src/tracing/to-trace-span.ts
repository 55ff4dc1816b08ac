/**
 * @module to-trace-span
 * An ended OpenTelemetry span as UMCA's store keeps it (`umca.trace.span.v1`): ids as hex,
 * times in nanoseconds as text (they pass 2^53), attributes as they are minus empty values.
 */
import { type Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { TraceSpan } from '@umca/contracts';

const KINDS: Record<SpanKind, TraceSpan['kind']> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

const STATUSES: Record<SpanStatusCode, TraceSpan['status']['code']> = {
  [SpanStatusCode.UNSET]: 'unset',
  [SpanStatusCode.OK]: 'ok',
  [SpanStatusCode.ERROR]: 'error',
};

function nanos([seconds, nanoseconds]: readonly [number, number]): string {
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)).toString();
}

function plain(attributes: Attributes): TraceSpan['attributes'] {
  const kept: TraceSpan['attributes'] = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) kept[key] = value.filter((item) => item !== null && item !== undefined) as string[];
    else kept[key] = value as string | number | boolean;
  }
  return kept;
}

export function toTraceSpan(span: ReadableSpan): TraceSpan {
  const context = span.spanContext();
  const [durationSeconds, durationNanos] = span.duration;
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
    name: span.name,
    kind: KINDS[span.kind] ?? 'internal',
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    durationMs: durationSeconds * 1_000 + durationNanos / 1_000_000,
    status: { code: STATUSES[span.status.code] ?? 'unset', ...(span.status.message ? { message: span.status.message } : {}) },
    attributes: plain(span.attributes),
    ...(span.events.length
      ? {
          events: span.events.map((event) => ({
            name: event.name,
            timeUnixNano: nanos(event.time),
            attributes: plain(event.attributes ?? {}),
          })),
        }
      : {}),
  };
}
