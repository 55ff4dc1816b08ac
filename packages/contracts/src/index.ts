/**
 * @module @umca/contracts
 * UMCA's wire contracts (zod schemas, also as JSON Schema) and its ports: the versioned interfaces
 * (`RunnerV1`, `LaneV1`, `ChatModelV1`, `EventBusV1`, `StoreV1`, ...) that implementations
 * provide and the core calls, and `UmcaError`, the base of every error with a stable code. Depends
 * on zod alone. Any new export added here becomes public API.
 */
export {
  type AccessPolicy,
  type AccessPolicyInput,
  accessPolicySchema,
  type RolePolicy,
  rolePolicySchema,
  TOOLS,
  type Tool,
  toolSchema,
} from './access-policy.js';
export { ALLOWED_HOST_PATTERN, allowedOutboundHostSchema, allowedOutboundHostsSchema } from './allowed-outbound-hosts.js';
export {
  type ChatCompletion,
  type ChatCompletionMessage,
  type ChatCompletionRequest,
  chatCompletionMessageSchema,
  chatCompletionRequestSchema,
  chatCompletionSchema,
  chatCompletionToolSchema,
} from './chat-completions.js';
export { type EgressAttempt, type EgressVerdict, egressAttemptSchema, egressVerdictSchema } from './egress-attempt.js';
export {
  type EvalMetrics,
  type EvalReport,
  type EvalSuite,
  type EvalTask,
  type EvalTaskResult,
  evalReportSchema,
  evalSuiteSchema,
  evalTaskResultSchema,
  evalTaskSchema,
  type Gate,
  type GateThreshold,
  type GateVerdict,
  gateSchema,
  gateThresholdSchema,
  gateVerdictSchema,
  METRICS,
  type MetricName,
  metricNameSchema,
  type ThresholdResult,
  thresholdResultSchema,
} from './evaluation.js';
export {
  type DrillResult,
  drillResultSchema,
  EVIDENCE_RETENTION_VERSION,
  type EvidenceRetention,
  evidenceRetentionSchema,
} from './evidence.js';
export {
  type ExecutionRequest,
  executionRequestSchema,
  javascriptRequestSchema,
  type Language,
  languageSchema,
  MAX_CODE_BYTES,
  MAX_MODULE_BYTES,
  type ParsedExecutionRequest,
  type PythonRuntime,
  pythonRequestSchema,
  pythonRuntimeSchema,
  wasiRequestSchema,
} from './execution-request.js';
export {
  type ExecutionError,
  type ExecutionResult,
  type ExecutionStatus,
  type ExecutionTimings,
  executionErrorSchema,
  executionResultSchema,
  executionStatusSchema,
  executionTimingsSchema,
  type Isolation,
  isolationSchema,
  type Lane,
  type LaneSelection,
  laneSchema,
  laneSelectionSchema,
  type Runtime,
  runtimeSchema,
} from './execution-result.js';
export {
  cancelAcceptedSchema,
  eventOffsetSchema,
  type GateVerdictList,
  gateVerdictListSchema,
  gateVerdictQuerySchema,
  healthSchema,
  MAX_EVENT_OFFSET,
  problemSchema,
  type Readiness,
  type Run,
  type RunResult,
  type RunSummary,
  readinessSchema,
  runAcceptedSchema,
  runIdSchema,
  runListQuerySchema,
  runListSchema,
  runResultSchema,
  runSchema,
  runSummarySchema,
  schemaIndexSchema,
} from './http-api.js';
export { type IssueLike, issueSentence } from './issue-sentence.js';
export { type ContractName, toJsonSchemas } from './json-schemas.js';
export { DEFAULT_LIMITS, type ExecutionLimits, executionLimitsSchema, MAX_LIMITS, MIN_LIMITS, resolveLimits } from './limits.js';
export {
  type McpServersConfig,
  mcpServersConfigSchema,
  type UpstreamAuth,
  type UpstreamServer,
  type UpstreamServerState,
  type UpstreamTool,
  type UpstreamToolList,
  upstreamAuthSchema,
  upstreamNameSchema,
  upstreamServerSchema,
  upstreamServerStateSchema,
  upstreamToolListSchema,
  upstreamToolSchema,
} from './mcp-servers.js';
export type { AuthenticatedPrincipal, AuthenticatorV1 } from './ports/authenticator.js';
export type {
  ChatMessage,
  ChatModelV1,
  ChatOptions,
  ChatRequest,
  ChatResponse,
  ChatRole,
  GatewayResponse,
  ModelAttempt,
  ModelGatewayFactoryV1,
  ModelGatewayV1,
  ToolCall,
  ToolDefinition,
  Usage,
} from './ports/chat-model.js';
export type { EgressAddressVerdictV1, EgressPolicyV1, EgressTargetV1, EgressUrlVerdictV1 } from './ports/egress-policy.js';
export type { EventBusV1, EventLogV1, EventQuery, SubscribeOptions } from './ports/event-bus.js';
export type { LogFunction, Logger } from './ports/logger.js';
export type {
  NewRun,
  RunClaim,
  RunCondition,
  RunPatch,
  RunQuery,
  RunRecord,
  RunStoreV1,
  StoreV1,
  StreamEventLogV1,
} from './ports/run-store.js';
export type { AcceptedExecutionV1, ExecuteOptionsV1, LaneStatsV1, LaneV1, RunnerStatsV1, RunnerV1 } from './ports/runner.js';
export {
  DEFAULT_SESSION_LIMITS,
  MAX_SESSION_LIMITS,
  MIN_SESSION_LIMITS,
  type RunnerSessionV1,
  type SessionOptionsV1,
  type SessionRunResultV1,
} from './ports/runner-session.js';
export {
  SANDBOX_TOOL_ERROR_CODES,
  type SandboxToolErrorCodeV1,
  type SandboxToolReplyV1,
  type SandboxToolsV1,
  type SandboxToolV1,
} from './ports/sandbox-tools.js';
export { type PausedSessionV1, type SessionSnapshotStoreV1, SnapshotRefusedError } from './ports/session-snapshots.js';
export type { SpanStoreV1 } from './ports/span-store.js';
export { UmcaError, type UmcaErrorOptions } from './ports/umca-error.js';
export type { UpstreamCallResult, UpstreamToolsV1 } from './ports/upstream-tools.js';
export type { WorkDeliveryV1, WorkItemV1, WorkQueueV1, WorkSourceV1 } from './ports/work-queue.js';
export { ANONYMOUS_PRINCIPAL, type Principal, principalSchema } from './principal.js';
export {
  escapePath,
  findPathProblem,
  MAX_PATH_LENGTH,
  MAX_SHOWN_PATH_LENGTH,
  RELATIVE_PATH_PATTERN,
  RELATIVE_PATH_RULE,
  relativePathSchema,
} from './relative-path.js';
export {
  type AcceptedSessionV1,
  type ParsedSessionRequest,
  SESSION_IDLE_TTL_SECONDS,
  SESSION_MAX_AGE_SECONDS,
  SESSION_RUNTIMES,
  type SessionExecutionRequest,
  type SessionList,
  type SessionRequest,
  type SessionRunResult,
  type SessionView,
  sessionExecutionRequestSchema,
  sessionIdSchema,
  sessionLimitsSchema,
  sessionListSchema,
  sessionRequestSchema,
  sessionRunLimitsSchema,
  sessionRunResultSchema,
  sessionViewSchema,
} from './session.js';
export {
  type CheckResult,
  checkResultSchema,
  iterationSchema,
  type ParsedTaskRequest,
  type TaskIteration,
  type TaskRequest,
  type TaskResult,
  taskLanguageSchema,
  taskRequestSchema,
  taskResultSchema,
  usageSchema,
  type Verdict,
  verdictSchema,
} from './task.js';
export { type RunTrace, runTraceSchema, type TraceSpan, traceIdSchema, traceSpanSchema } from './trace-span.js';
export {
  createUmcaEvent,
  dataSchemaUrl,
  GATE_VERDICTS_SUBJECT,
  type RunStatus,
  runStatusSchema,
  type StoredEvent,
  UMCA_EVENT_SOURCE,
  UMCA_EVENT_TYPES,
  type UmcaEvent,
  type UmcaEventData,
  type UmcaEventType,
  umcaEventDataSchemas,
  umcaEventSchema,
} from './umca-event.js';
export { unstartedResult } from './unstarted-result.js';
export {
  type DroppedFile,
  type DroppedFileReason,
  type DroppedFiles,
  droppedFileReasonSchema,
  droppedFileSchema,
  droppedFilesSchema,
  type InputFile,
  inputFileSchema,
  MAX_FILE_BYTES,
  MAX_LISTED_DROPPED_FILES,
  MAX_OUTPUT_FILES,
  MAX_OUTPUT_FILES_BYTES,
  type OutputFile,
  outputFileSchema,
} from './workspace-file.js';
