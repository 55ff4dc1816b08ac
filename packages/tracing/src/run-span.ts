/**
 * @module run-span
 * The root span of a run, from its acceptance to its recorded end. An execution run is a CHAIN
 * whose child is the code execution; an agent task is an AGENT (`invoke_agent`) whose children
 * are its steps. Its trace id goes on the run's record, and its `traceparent` on every event.
 */
import { AGENT_NAME, OpenInferenceSpanKind, SemanticConventions, USER_ID } from '@arizeai/openinference-semantic-conventions';
import { type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ExecutionStatus, Verdict } from '@umca/contracts';
import { recordContent } from './content.js';
import { GEN_AI_AGENT_NAME, GEN_AI_OPERATION, GEN_AI_OPERATION_NAME } from './gen-ai-attributes.js';
import { type OpenSpan, openSpan, type RunTracing, traceIdOf, traceparentOf } from './run-tracing.js';

/** The agent flow's name on spans (`gen_ai.agent.name`). */
export const TASK_FLOW_AGENT = 'umca-task-flow';

export interface RunSpanStart {
  readonly runId: string;
  readonly kind: 'execution' | 'task';
  readonly language: string;
  /** The `sub` of who asked. */
  readonly principal?: string;
  /** The task, in the user's words (content: recorded only when allowed). */
  readonly task?: string;
  /** A parent from elsewhere (a worker continuing a server's trace). Default: a new trace. */
  readonly parent?: Context;
}

export interface RunSpan extends OpenSpan {
  /** Undefined when tracing is off. */
  readonly traceId: string | undefined;
  readonly traceparent: string | undefined;
}

export function startRunSpan(tracing: RunTracing, start: RunSpanStart): RunSpan {
  const task = start.kind === 'task';
  const opened = openSpan(
    tracing,
    task ? `${GEN_AI_OPERATION.invokeAgent} ${TASK_FLOW_AGENT}` : `run ${start.language}`,
    start.parent ?? ROOT_CONTEXT,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [SemanticConventions.OPENINFERENCE_SPAN_KIND]: task ? OpenInferenceSpanKind.AGENT : OpenInferenceSpanKind.CHAIN,
        'umca.run.id': start.runId,
        'umca.run.kind': start.kind,
        'umca.language': start.language,
        ...(task
          ? { [GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.invokeAgent, [GEN_AI_AGENT_NAME]: TASK_FLOW_AGENT, [AGENT_NAME]: TASK_FLOW_AGENT }
          : {}),
        ...(start.principal ? { [USER_ID]: start.principal } : {}),
      },
    },
  );
  if (start.task !== undefined) recordContent(tracing, opened.span, { input: start.task });
  return { ...opened, traceId: traceIdOf(opened.span), traceparent: traceparentOf(opened.span) };
}

export interface RunSpanEnd {
  readonly status: ExecutionStatus;
  readonly reason?: string;
  /** For tasks: whether the checks passed. */
  readonly verdict?: Verdict;
  /** What the run produced (content: its final program's output). */
  readonly output?: string;
}

/** Ends a run's span with how the run ended: an error status unless it ended `ok` (and, for a task, did not fail its checks). */
export function endRunSpan(tracing: RunTracing, opened: OpenSpan, end: RunSpanEnd): void {
  const { span } = opened;
  span.setAttribute('umca.run.status', end.status);
  if (end.verdict) span.setAttribute('umca.task.verdict', end.verdict);
  if (end.output !== undefined) recordContent(tracing, span, { output: end.output });
  if (end.status === 'ok' && end.verdict !== 'fail') span.setStatus({ code: SpanStatusCode.OK });
  else span.setStatus({ code: SpanStatusCode.ERROR, message: end.reason ?? `the run ended ${end.status}` });
  span.end();
}
