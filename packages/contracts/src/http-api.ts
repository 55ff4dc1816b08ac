/**
 * @module http-api
 * Shapes of the HTTP API v1 beyond the execution contracts: runs as stored, listings, and
 * problem details. The orchestrator's OpenAPI document is generated from these.
 */
import { z } from 'zod';
import { executionRequestSchema, languageSchema } from './execution-request.js';
import { executionResultSchema, executionStatusSchema, laneSchema, runtimeSchema } from './execution-result.js';
import { taskRequestSchema, taskResultSchema, verdictSchema } from './task.js';
import { runStatusSchema } from './umca-event.js';

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
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
  })
  .catchall(z.unknown())
  .describe('RFC 9457 problem details');

export const runListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().optional(),
  status: z.union([runStatusSchema, executionStatusSchema]).optional(),
});

export type RunResult = z.infer<typeof runResultSchema>;
export type RunSummary = z.infer<typeof runSummarySchema>;
export type Run = z.infer<typeof runSchema>;
