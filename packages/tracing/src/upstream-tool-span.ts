/**
 * @module upstream-tool-span
 * A span per call of an upstream MCP tool (a Dify app, RAGFlow's retrieval): `execute_tool
 * <name>`, a TOOL span under the execution whose program called it (or the agent step), with
 * the server, who called, and how it ended; with content allowed, the arguments and the answer.
 * A call that got no answer, or whose tool said it failed, is an error.
 */
import { OpenInferenceSpanKind, SemanticConventions, TOOL_NAME } from '@arizeai/openinference-semantic-conventions';
import { type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { recordContent } from './content.js';
import { ERROR_TYPE, GEN_AI_OPERATION, GEN_AI_OPERATION_NAME, GEN_AI_TOOL_NAME } from './gen-ai-attributes.js';
import { type OpenSpan, openSpan, type RunTracing } from './run-tracing.js';

export interface UpstreamToolCallStart {
  /** UMCA's name of the tool. */
  readonly name: string;
  readonly server: string;
  readonly caller: 'program' | 'agent';
  /** The arguments as JSON (content: recorded only when allowed). */
  readonly arguments: string;
}

export interface UpstreamToolCallEnd {
  /** `ok`, `tool_error`, or why it gave no answer (`server_down`, `timeout`, ...). */
  readonly outcome: string;
  readonly message?: string;
  /** Its answer (content: recorded only when allowed). */
  readonly result?: string;
}

export function startUpstreamToolSpan(tracing: RunTracing, parent: Context, start: UpstreamToolCallStart): OpenSpan {
  const opened = openSpan(tracing, `${GEN_AI_OPERATION.executeTool} ${start.name}`, parent, {
    kind: SpanKind.CLIENT,
    attributes: {
      [SemanticConventions.OPENINFERENCE_SPAN_KIND]: OpenInferenceSpanKind.TOOL,
      [GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.executeTool,
      [GEN_AI_TOOL_NAME]: start.name,
      [TOOL_NAME]: start.name,
      'umca.tool.server': start.server,
      'umca.tool.caller': start.caller,
    },
  });
  recordContent(tracing, opened.span, { input: start.arguments, json: true });
  return opened;
}

export function endUpstreamToolSpan(tracing: RunTracing, opened: OpenSpan, end: UpstreamToolCallEnd): void {
  const { span } = opened;
  span.setAttribute('umca.tool.outcome', end.outcome);
  if (end.result !== undefined) recordContent(tracing, span, { output: end.result });
  if (end.outcome === 'ok') span.setStatus({ code: SpanStatusCode.OK });
  else {
    span.setAttribute(ERROR_TYPE, end.outcome);
    span.setStatus({ code: SpanStatusCode.ERROR, message: end.message ?? end.outcome });
  }
  span.end();
}
