/**
 * @module execution-span
 * A span per code execution: `execute_tool run_code`, a TOOL span with where and how the code
 * ran (lane, runtime, isolation), how it ended, its timings, and what its outbound requests met;
 * with content allowed, the code and its output. An execution that did not end `ok` is an error:
 * a limit stop, a crash or an exception are what an operator looks for.
 */
import { OpenInferenceSpanKind, SemanticConventions, TOOL_NAME } from '@arizeai/openinference-semantic-conventions';
import { type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ExecutionResult } from '@umca/contracts';
import { recordContent } from './content.js';
import { ERROR_TYPE, GEN_AI_OPERATION, GEN_AI_OPERATION_NAME, GEN_AI_TOOL_NAME } from './gen-ai-attributes.js';
import { type OpenSpan, openSpan, type RunTracing } from './run-tracing.js';

/** The tool's name on spans: the same as the MCP tool. */
export const RUN_CODE_TOOL = 'run_code';

export interface ExecutionStart {
  readonly language: string;
  /** The program (content: recorded only when allowed). */
  readonly code: string;
}

export function startExecutionSpan(tracing: RunTracing, parent: Context, start: ExecutionStart): OpenSpan {
  const opened = openSpan(tracing, `${GEN_AI_OPERATION.executeTool} ${RUN_CODE_TOOL}`, parent, {
    kind: SpanKind.INTERNAL,
    attributes: {
      [SemanticConventions.OPENINFERENCE_SPAN_KIND]: OpenInferenceSpanKind.TOOL,
      [GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.executeTool,
      [GEN_AI_TOOL_NAME]: RUN_CODE_TOOL,
      [TOOL_NAME]: RUN_CODE_TOOL,
      'umca.language': start.language,
      'umca.code.bytes': Buffer.byteLength(start.code),
    },
  });
  recordContent(tracing, opened.span, { input: start.code });
  return opened;
}

export function endExecutionSpan(tracing: RunTracing, opened: OpenSpan, result: ExecutionResult): void {
  const { span } = opened;
  const denied = result.egress.filter((attempt) => attempt.verdict === 'denied').length;
  span.setAttributes({
    'umca.execution.status': result.status,
    'umca.lane': result.lane,
    'umca.isolation': result.isolation,
    'umca.queued_ms': result.timings.queuedMs,
    'umca.execute_ms': result.timings.executeMs,
    'umca.egress.allowed': result.egress.length - denied,
    'umca.egress.denied': denied,
    ...(result.runtime ? { 'umca.runtime': result.runtime } : {}),
    ...(result.exitCode === null ? {} : { 'umca.exit_code': result.exitCode }),
  });
  recordContent(tracing, span, { output: result.stdout });
  if (result.status === 'ok') span.setStatus({ code: SpanStatusCode.OK });
  else {
    span.setAttribute(ERROR_TYPE, result.error?.type ?? result.status);
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason ?? `the program ended ${result.status}` });
  }
  span.end();
}
