/**
 * @module @umca/tracing
 * UMCA's spans, named the OpenTelemetry GenAI way with the OpenInference attributes Arize
 * Phoenix reads: a run, each agent step, each model call, each code execution, each upstream tool call. It needs only
 * the OpenTelemetry API; the SDK (where spans go) is wired by the service. Any new export added
 * here becomes public API.
 */
export { clip, MAX_CONTENT_CHARS } from './content.js';
export { type ExecutionStart, endExecutionSpan, RUN_CODE_TOOL, startExecutionSpan } from './execution-span.js';
export { endModelSpan, type ModelCallStart, startModelSpan } from './model-span.js';
export { endRunSpan, type RunSpan, type RunSpanEnd, type RunSpanStart, startRunSpan, TASK_FLOW_AGENT } from './run-span.js';
export {
  contextFromTraceparent,
  failSpan,
  NO_TRACING,
  type OpenSpan,
  openSpan,
  type RunTracing,
  traceIdOf,
  traceparentOf,
} from './run-tracing.js';
export { endStepSpan, startStepSpan } from './step-span.js';
export {
  endUpstreamToolSpan,
  startUpstreamToolSpan,
  type UpstreamToolCallEnd,
  type UpstreamToolCallStart,
} from './upstream-tool-span.js';
