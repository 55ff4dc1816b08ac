/**
 * @module step-span
 * A span per agent step (plan, code, execute, test): a CHAIN under the task's AGENT span, with
 * the round it belongs to and what it produced in a line.
 */
import { OpenInferenceSpanKind, SemanticConventions } from '@arizeai/openinference-semantic-conventions';
import { type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type OpenSpan, openSpan, type RunTracing } from './run-tracing.js';

export function startStepSpan(tracing: RunTracing, parent: Context, step: string, iteration: number): OpenSpan {
  return openSpan(tracing, step, parent, {
    kind: SpanKind.INTERNAL,
    attributes: {
      [SemanticConventions.OPENINFERENCE_SPAN_KIND]: OpenInferenceSpanKind.CHAIN,
      'umca.step': step,
      'umca.iteration': iteration,
    },
  });
}

export function endStepSpan(opened: OpenSpan, outcome: 'ok' | 'failed' | 'cancelled', summary?: string): void {
  const { span } = opened;
  span.setAttribute('umca.step.outcome', outcome);
  if (summary) span.setAttribute('umca.step.summary', summary);
  span.setStatus(outcome === 'ok' ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: summary ?? outcome });
  span.end();
}
