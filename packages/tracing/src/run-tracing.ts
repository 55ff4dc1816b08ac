/**
 * @module run-tracing
 * What the run service and the agent flow are given to trace with: an OpenTelemetry `Tracer`
 * (the SDK behind it is the composition root's choice) and whether content may be recorded.
 * Spans are parented explicitly, context by context, so no global context manager is needed,
 * and a run's trace context travels on its events and its work item as a W3C `traceparent`.
 */
import {
  type Context,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';

export interface RunTracing {
  readonly tracer: Tracer;
  /**
   * Prompts, completions, task text, code and program output on spans (`--trace-content`). Off
   * by default: spans then carry sizes, models, token counts, statuses and timings only.
   */
  readonly recordContent: boolean;
}

/** Tracing off: every span is a no-op and nothing is recorded. */
export const NO_TRACING: RunTracing = { tracer: new ProxyTracerProvider().getTracer('umca'), recordContent: false };

/** A started span and the context its children start in. */
export interface OpenSpan {
  readonly span: Span;
  readonly context: Context;
}

/** Starts a span under `parent` and returns it with its own context. */
export function openSpan(tracing: RunTracing, name: string, parent: Context, options: Parameters<Tracer['startSpan']>[1] = {}): OpenSpan {
  const span = tracing.tracer.startSpan(name, options, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a span whose work threw: an error status with the message, and the error's stable code as `error.type`. */
export function failSpan(opened: OpenSpan, error: unknown): void {
  const code = (error as { code?: unknown }).code;
  opened.span.setAttribute('error.type', typeof code === 'string' ? code : ((error as Error).name ?? 'Error'));
  opened.span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message ?? String(error) });
  opened.span.end();
}

/** The W3C `traceparent` of a span; undefined when it records nothing (tracing off). */
export function traceparentOf(span: Span): string | undefined {
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return undefined;
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00'}`;
}

/** The trace id of a span; undefined when it records nothing. */
export function traceIdOf(span: Span): string | undefined {
  const context = span.spanContext();
  return isSpanContextValid(context) ? context.traceId : undefined;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A context whose parent is the span a `traceparent` names (from another process); the root context for none or a malformed one. */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return ROOT_CONTEXT;
  const spanContext: SpanContext = {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16),
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}
