/**
 * @module evaluation
 * G1/G2 as files and facts: `umca.eval.suite.v1` (a versioned set of tasks with the checks that
 * decide success), `umca.gate.v1` (thresholds per metric that a release must meet),
 * `umca.eval.report.v1` (what an evaluation measured, task by task, and its metrics) and the
 * gate's verdict. Suites and gates live in the repository beside the code they judge.
 */
import { z } from 'zod';
import { checkResultSchema, taskLanguageSchema, verdictSchema } from './task.js';
import { traceIdSchema } from './trace-span.js';

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,79}$/, 'lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 80');

export const evalTaskSchema = z
  .object({
    id: name.describe('Stable id of the task within the suite (its row in the report and in Phoenix).'),
    task: z.string().min(1).max(20_000).describe('What the program should do, as a user would ask.'),
    language: taskLanguageSchema.optional().describe("Default: the suite's."),
    checks: z
      .array(z.string().min(1).max(2_000))
      .min(1)
      .max(32)
      .describe(
        "Statements run after the final program, in the sandbox, each on its own (Python: `assert add(2, 3) == 5`; JavaScript: an expression that must not be false). All pass: the task succeeded. They are the suite's, not the model's: the planner never sees them.",
      ),
    reference: z.string().max(20_000).optional().describe('A good answer (code), shown to the judge; optional.'),
  })
  .strict();

export const evalSuiteSchema = z
  .object({
    $schema: z.string().optional(),
    name,
    revision: z.int().min(1).describe('Raise it when the tasks or checks change: reports and Phoenix datasets carry it.'),
    description: z.string().max(2_000).optional(),
    language: taskLanguageSchema.default('python'),
    maxIterations: z.int().min(1).max(10).default(2).describe('Coder/tester rounds per task.'),
    maxTokens: z.int().min(16).max(32_768).default(1_024).describe('Most tokens per model call.'),
    tasks: z
      .array(evalTaskSchema)
      .min(1)
      .max(500)
      .refine((tasks) => new Set(tasks.map((task) => task.id)).size === tasks.length, { message: 'task ids must be unique' }),
  })
  .strict();

/** What an evaluation measures, each a number (or null when nothing measured it). */
export const METRICS = {
  task_success: "Share of tasks whose final program passed every one of the suite's checks (0 to 1).",
  code_executed: 'Share of tasks whose final program ran to its end without an error (0 to 1).',
  judge_quality: "Mean of the judge model's scores of the answers (0 to 1); null without a judge or with no answer it could grade.",
  rag_relevance: 'Mean relevance of retrieved context to the task (0 to 1); null when no task retrieved context.',
  latency_p50_s: 'Median time of a task from its start to its end, in seconds.',
  latency_p95_s: '95th percentile of the same, in seconds.',
  tokens_per_task: 'Mean model tokens (prompt and completion) per task.',
  g3_egress_denied: 'Outbound requests the sandbox policy denied, in all tasks.',
  g3_limit_stops: 'Executions stopped by a limit (time, memory, output), in all tasks.',
  g3_sandbox_failures: 'Executions whose sandbox crashed or was not available, in all tasks.',
  g3_violations: 'G3 runtime safety: the three above together.',
} as const;

export type MetricName = keyof typeof METRICS;
export const metricNameSchema = z.enum(Object.keys(METRICS) as [MetricName, ...MetricName[]]);

export const gateThresholdSchema = z
  .object({
    metric: metricNameSchema,
    min: z.number().optional().describe('The metric must be at least this.'),
    max: z.number().optional().describe('The metric must be at most this.'),
    ifMissing: z
      .enum(['fail', 'skip'])
      .default('fail')
      .describe('When nothing measured the metric (null): fail the gate (default), or skip this threshold.'),
  })
  .strict()
  .refine((threshold) => threshold.min !== undefined || threshold.max !== undefined, { message: 'give min or max (or both)' });

export const gateSchema = z
  .object({
    $schema: z.string().optional(),
    name,
    revision: z.int().min(1),
    description: z.string().max(2_000).optional(),
    thresholds: z.array(gateThresholdSchema).min(1).max(50),
  })
  .strict();

export const thresholdResultSchema = z.object({
  metric: metricNameSchema,
  min: z.number().optional(),
  max: z.number().optional(),
  value: z.number().nullable().describe('The measured value; null when nothing measured it.'),
  passed: z.boolean(),
  skipped: z.boolean().optional().describe('Nothing measured it and the threshold says to skip it.'),
  message: z.string().describe('The comparison in words, e.g. "task_success 0.67 is below the minimum 0.8".'),
});

export const gateVerdictSchema = z.object({
  gate: z.object({ name: z.string(), revision: z.int() }),
  verdict: z.enum(['pass', 'fail']),
  thresholds: z.array(thresholdResultSchema),
});

export const evalTaskResultSchema = z.object({
  id: z.string(),
  runId: z.string().optional().describe('The agent task run (absent when it could not start).'),
  traceId: traceIdSchema.optional(),
  status: z.string().describe("How the task's run ended (ok, error, timeout, ...), or `not_started`."),
  verdict: verdictSchema.optional().describe("The flow's own verdict, from the planner's checks."),
  checks: z.array(checkResultSchema).describe("The suite's checks on the final program."),
  scores: z.object({
    task_success: z.number().min(0).max(1),
    code_executed: z.number().min(0).max(1),
    judge_quality: z.number().min(0).max(1).nullable(),
    rag_relevance: z.number().min(0).max(1).nullable(),
  }),
  judge: z.object({ label: z.string().nullable(), explanation: z.string() }).optional(),
  startedAt: z.string().describe('When the task was handed to the agent flow.'),
  latencyMs: z.number().min(0).describe("The task run's duration (its checks and judging excluded)."),
  tokens: z.object({ prompt: z.int().min(0), completion: z.int().min(0) }),
  g3: z.object({ egressDenied: z.int().min(0), limitStops: z.int().min(0), sandboxFailures: z.int().min(0) }),
  code: z.string().describe('The final program.'),
  error: z.string().optional().describe('Why the task could not be run or checked.'),
});

export const evalReportSchema = z.object({
  version: z.literal('umca.eval.report.v1'),
  id: z.string().describe('eval_...: the evaluation, also on its gate.evaluated event.'),
  suite: z.object({ name: z.string(), revision: z.int(), path: z.string(), sha256: z.string() }),
  model: z.string(),
  judgeModel: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  tasks: z.array(evalTaskResultSchema),
  metrics: z.record(metricNameSchema, z.number().nullable()),
  gate: gateVerdictSchema.optional(),
  phoenix: z.object({ url: z.string(), datasetId: z.string(), experimentId: z.string() }).optional(),
});

export type EvalSuite = z.infer<typeof evalSuiteSchema>;
export type EvalTask = z.infer<typeof evalTaskSchema>;
export type Gate = z.infer<typeof gateSchema>;
export type GateThreshold = z.infer<typeof gateThresholdSchema>;
export type ThresholdResult = z.infer<typeof thresholdResultSchema>;
export type GateVerdict = z.infer<typeof gateVerdictSchema>;
export type EvalTaskResult = z.infer<typeof evalTaskResultSchema>;
export type EvalReport = z.infer<typeof evalReportSchema>;
export type EvalMetrics = EvalReport['metrics'];
