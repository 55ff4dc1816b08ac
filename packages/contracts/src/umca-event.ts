/**
 * @module umca-event
 * `umca-events` v1: every fact about a run is a CloudEvents 1.0 event in JSON, its `type` named
 * `dev.umca.<noun>.<verb>.v1` and its `data` typed by that name.
 *
 * Compatibility rule, within v1: fields may be added (to the envelope's data, as optional or as
 * always-present new fields) and new event types may appear; nothing is removed, renamed, retyped
 * or given a new meaning. Consumers must ignore fields and types they do not know. Anything else
 * is a new version: `dev.umca.run.started.v2`, published beside v1 for as long as v1 is supported.
 */
import { z } from 'zod';
import { egressAttemptSchema } from './egress-attempt.js';
import { thresholdResultSchema } from './evaluation.js';
import { languageSchema } from './execution-request.js';
import {
  executionErrorSchema,
  executionStatusSchema,
  executionTimingsSchema,
  isolationSchema,
  laneSchema,
  laneSelectionSchema,
  runtimeSchema,
} from './execution-result.js';
import { checkResultSchema, taskLanguageSchema, verdictSchema } from './task.js';

export const UMCA_EVENT_SOURCE = 'urn:umca:orchestrator';

/** The subject of every `gate.evaluated` event. */
export const GATE_VERDICTS_SUBJECT = 'umca:gates';

const stepSchema = z.enum(['plan', 'code', 'execute', 'test']);

export const runStatusSchema = z
  .enum(['queued', 'running', ...executionStatusSchema.options])
  .describe('Where a run is: queued, running, or how it ended.');

export type RunStatus = z.infer<typeof runStatusSchema>;

const runId = z.string().describe("The run this event is about (also the envelope's `subject`).");

/** The `data` of each event type, by type name. */
export const umcaEventDataSchemas = {
  'dev.umca.run.created.v1': z.object({
    runId,
    kind: z.enum(['execution']),
    language: languageSchema,
    codeBytes: z.int().min(0),
    limits: z.object({ timeoutMs: z.int(), memoryMb: z.int(), outputBytes: z.int() }),
    allowedOutboundHosts: z.array(z.string()),
    sessionId: z.string().optional().describe('The session the run ran in, when it ran in one (its state kept across runs).'),
  }),
  'dev.umca.lane.selected.v1': laneSelectionSchema.extend({ runId }),
  'dev.umca.run.started.v1': z.object({ runId, lane: laneSchema, runtime: runtimeSchema.optional(), queuedMs: z.number().min(0) }),
  'dev.umca.output.appended.v1': z.object({
    runId,
    stream: z.enum(['stdout', 'stderr']),
    text: z.string(),
    sequence: z.int().min(0).describe("Position of this chunk among the run's output chunks, from 0."),
  }),
  'dev.umca.egress.allowed.v1': z.object({ runId, attempt: egressAttemptSchema }),
  'dev.umca.egress.denied.v1': z.object({ runId, attempt: egressAttemptSchema }),
  'dev.umca.code.executed.v1': z.object({
    runId,
    status: executionStatusSchema,
    exitCode: z.int().nullable(),
    lane: laneSchema,
    runtime: runtimeSchema.optional(),
    isolation: isolationSchema,
    durationMs: z.number().min(0),
    timings: executionTimingsSchema,
    error: executionErrorSchema.optional(),
  }),
  'dev.umca.run.ended.v1': z.object({ runId, status: executionStatusSchema, reason: z.string().optional(), durationMs: z.number().min(0) }),
  'dev.umca.run.cancel.requested.v1': z
    .object({ runId })
    .describe(
      'Someone asked to cancel a run that a worker is running (remote workers); `run.ended` follows once the worker has stopped it.',
    ),
  'dev.umca.run.restarted.v1': z
    .object({
      runId,
      attempt: z.int().min(2).describe('The attempt starting now: 2 for the first restart.'),
      reason: z.string().describe('Why, in words: the worker running it stopped renewing its claim.'),
    })
    .describe(
      "A worker took over a run whose worker stopped answering; the run starts again from the beginning, and the earlier attempt's output stays in the log before this event.",
    ),
  'dev.umca.task.created.v1': z.object({
    runId,
    task: z.string(),
    language: taskLanguageSchema,
    models: z.array(z.string()).describe('The model and its fallbacks, in order.'),
    maxIterations: z.int(),
  }),
  'dev.umca.step.started.v1': z.object({ runId, step: stepSchema, iteration: z.int().min(0) }),
  'dev.umca.step.ended.v1': z.object({
    runId,
    step: stepSchema,
    iteration: z.int().min(0),
    outcome: z.enum(['ok', 'failed', 'cancelled']),
    durationMs: z.number().min(0),
    summary: z.string().optional().describe('What the step produced, in a line (the plan, the verdict, ...).'),
  }),
  'dev.umca.model.called.v1': z.object({
    runId,
    step: stepSchema,
    iteration: z.int().min(0),
    model: z.string().describe('provider:model that answered (or failed last).'),
    promptTokens: z.int().min(0),
    completionTokens: z.int().min(0),
    latencyMs: z.number().min(0),
    attempts: z.int().min(1).describe('Models tried, fallbacks included.'),
    error: z.string().optional(),
  }),
  'dev.umca.tool.called.v1': z
    .object({
      runId,
      name: z.string().describe("The tool's name in UMCA (`ragflow_retrieval`)."),
      server: z.string().describe('The upstream MCP server it belongs to.'),
      tool: z.string().describe('Its own name on that server.'),
      caller: z.enum(['program', 'agent']).describe("Who called it: the run's sandboxed program, or an agent step through the model."),
      step: stepSchema.optional().describe('The agent step that called it (caller `agent`).'),
      outcome: z
        .enum(['ok', 'tool_error', 'unknown_tool', 'server_down', 'timeout', 'call_failed', 'cancelled'])
        .describe('`ok`: it answered; `tool_error`: it ran and said it failed; the others: it gave no answer, and why.'),
      durationMs: z.number().min(0),
      message: z.string().optional().describe('Why it failed or gave no answer, in words (never a credential).'),
      arguments: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('What it was called with: only when content is recorded (`--trace-content`).'),
      result: z
        .string()
        .optional()
        .describe('Its answer (text, or structured content as JSON), cut to 16,000 characters: only when content is recorded.'),
    })
    .describe(
      "A call of an upstream MCP tool (docs/mcp-client.md) the run's policy allowed. A call it refused is a `policy.denied` event instead.",
    ),
  'dev.umca.checks.evaluated.v1': z.object({
    runId,
    iteration: z.int().min(1),
    checks: z.array(checkResultSchema),
    verdict: verdictSchema,
  }),
  'dev.umca.auth.denied.v1': z.object({
    requestId: z.string().describe("The request refused (its X-Request-Id; also the envelope's `subject`)."),
    method: z.string(),
    path: z.string(),
    code: z
      .string()
      .describe(
        'What failed: token_missing, token_malformed, token_expired, token_not_yet_valid, wrong_issuer, wrong_audience, bad_signature, unknown_key, algorithm_not_allowed, claim_missing, token_revoked, ...',
      ),
    claim: z.string().optional().describe('The claim that failed (exp, nbf, iss, aud, sub), when one did.'),
    message: z.string().describe('What failed and how to sign in, in words; never the token.'),
  }),
  'dev.umca.policy.denied.v1': z.object({
    requestId: z
      .string()
      .describe(
        "The request refused (its X-Request-Id; also the envelope's `subject`), or, for a call refused inside a run (an upstream tool its program or agent called), the run's id.",
      ),
    runId: runId.optional().describe('The run in which a call was refused; its subject then, so the refusal is among its events.'),
    sub: z.string().describe('Who asked.'),
    roles: z.array(z.string()),
    tool: z
      .string()
      .describe(
        'What was asked for: run_code, run_task, get_run, list_runs, cancel_run, read_metrics, or an upstream tool by its name in UMCA.',
      ),
    rule: z
      .string()
      .describe(
        'The rule that refused it, e.g. `tools`, `languages`, `models`, `allowedOutboundHosts`, `limits.timeoutMs`, `upstreamTools`, `toolCallsPerRun`.',
      ),
    message: z.string().describe('What the policy allows instead, in words.'),
  }),
  'dev.umca.gate.evaluated.v1': z
    .object({
      evaluationId: z.string().describe('eval_...: the evaluation (its report has the same id).'),
      gate: z.object({ name: z.string(), revision: z.int() }),
      suite: z.object({ name: z.string(), revision: z.int() }),
      model: z.string().describe('The model the suite ran on, provider:model.'),
      verdict: z.enum(['pass', 'fail']),
      thresholds: z.array(thresholdResultSchema),
      runs: z.int().min(0).describe('Task runs the evaluation made.'),
    })
    .describe("A gate's verdict on an evaluation (`umca gate check`); its subject is `umca:gates`, so the verdicts are read together."),
  'dev.umca.error.raised.v1': z.object({
    runId: runId.optional(),
    code: z.string().describe('A stable error code, e.g. sandbox_unavailable.'),
    message: z.string(),
  }),
} as const;

export type UmcaEventType = keyof typeof umcaEventDataSchemas;
export type UmcaEventData<Type extends UmcaEventType> = z.infer<(typeof umcaEventDataSchemas)[Type]>;

export const UMCA_EVENT_TYPES = Object.keys(umcaEventDataSchemas) as UmcaEventType[];

/** The CloudEvents 1.0 envelope, common to every type. */
const envelope = {
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  time: z.string().describe('RFC 3339 timestamp of the fact.'),
  subject: z.string().describe('The run id.'),
  datacontenttype: z.literal('application/json'),
  dataschema: z.string().describe('URL of the JSON Schema of `data`.'),
  principal: z
    .string()
    .optional()
    .describe('CloudEvents extension: the `sub` of who started the run (or was refused). Absent on servers without authentication.'),
  traceparent: z
    .string()
    .regex(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/)
    .optional()
    .describe(
      "CloudEvents distributed tracing extension: the W3C trace context of the run's span, so an event leads to its trace. Absent when tracing is off.",
    ),
};

function envelopeFor<Type extends UmcaEventType>(type: Type) {
  return z.object({ ...envelope, type: z.literal(type), data: umcaEventDataSchemas[type] });
}

export const umcaEventSchema = z.discriminatedUnion(
  'type',
  UMCA_EVENT_TYPES.map((type) => envelopeFor(type)) as unknown as [ReturnType<typeof envelopeFor<'dev.umca.run.created.v1'>>],
);

export type UmcaEvent = { [Type in UmcaEventType]: z.infer<ReturnType<typeof envelopeFor<Type>>> }[UmcaEventType];

/** A published event and its position in the log. */
export interface StoredEvent {
  /** Monotonic position in the event log; SSE sends it as the event `id`. */
  readonly offset: number;
  readonly event: UmcaEvent;
}

/** URL of the JSON Schema of an event type's data (served by the orchestrator at /schemas). */
export function dataSchemaUrl(type: UmcaEventType): string {
  return `https://umca.dev/schemas/${type}.json`;
}

/**
 * Builds an event. `id` and `time` are injected so callers decide clocks and id generators.
 */
export function createUmcaEvent<Type extends UmcaEventType>(options: {
  type: Type;
  subject: string;
  data: UmcaEventData<Type>;
  id: string;
  time: Date;
  source?: string;
  /** The `sub` of who started the run. */
  principal?: string;
  /** The W3C trace context of the run's span. */
  traceparent?: string;
}): UmcaEvent {
  return {
    specversion: '1.0',
    id: options.id,
    source: options.source ?? UMCA_EVENT_SOURCE,
    type: options.type,
    time: options.time.toISOString(),
    subject: options.subject,
    datacontenttype: 'application/json',
    dataschema: dataSchemaUrl(options.type),
    ...(options.principal === undefined ? {} : { principal: options.principal }),
    ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
    data: options.data,
  } as UmcaEvent;
}
