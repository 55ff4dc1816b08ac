/**
 * @module trace-span
 * `umca.trace.span.v1`: one OpenTelemetry span as UMCA keeps it in its own store and serves it
 * (`GET /v1/runs/{id}/trace`), so that a user with no tracing backend still sees a run's span
 * tree. Times are OTLP's (nanoseconds since the epoch, as decimal text); attribute names follow
 * the OpenTelemetry GenAI conventions (`gen_ai.*`) and OpenInference's (`openinference.*`,
 * `llm.*`, `input.value` ...), the same spans an OTLP collector such as Arize Phoenix receives.
 */
import { z } from 'zod';

const nanos = z.string().regex(/^\d{1,20}$/, 'nanoseconds since the epoch, in decimal digits');

export const traceIdSchema = z
  .string()
  .regex(/^[0-9a-f]{32}$/, 'a W3C trace id: 32 lowercase hex digits')
  .describe('The OpenTelemetry trace id (32 hex digits) of a run: every span of the run is in this trace.');

const spanIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'a W3C span id: 16 lowercase hex digits');

const attributeValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.array(z.number()), z.array(z.boolean())]);

export const traceSpanSchema = z.object({
  traceId: traceIdSchema,
  spanId: spanIdSchema,
  parentSpanId: spanIdSchema.optional().describe('Absent on the root span.'),
  name: z.string(),
  kind: z.enum(['internal', 'server', 'client', 'producer', 'consumer']),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  durationMs: z.number().min(0),
  status: z.object({
    code: z.enum(['unset', 'ok', 'error']),
    message: z.string().optional(),
  }),
  attributes: z.record(z.string(), attributeValueSchema),
  events: z.array(z.object({ name: z.string(), timeUnixNano: nanos, attributes: z.record(z.string(), attributeValueSchema) })).optional(),
});

export const runTraceSchema = z.object({
  runId: z.string(),
  traceId: traceIdSchema,
  spans: z
    .array(traceSpanSchema)
    .describe('The spans kept so far, by start time. Spans are written a moment after they end, so a running run shows fewer.'),
});

export type TraceSpan = z.infer<typeof traceSpanSchema>;
export type RunTrace = z.infer<typeof runTraceSchema>;
