/**
 * @module task
 * `umca.task.request.v1` and `umca.task.result.v1`: an agent flow, from "here is what I want" to
 * code that ran and was checked. A planner turns the task into a plan and acceptance checks, a
 * coder writes the program, the runner executes it with the checks, a tester judges; on failure
 * the coder tries again with the evidence, up to `maxIterations`.
 */
import { z } from 'zod';
import { allowedOutboundHostsSchema } from './allowed-outbound-hosts.js';
import { egressAttemptSchema } from './egress-attempt.js';
import { executionErrorSchema, executionStatusSchema } from './execution-result.js';
import { executionLimitsSchema } from './limits.js';

export const taskLanguageSchema = z.enum(['python', 'javascript']);

export const taskRequestSchema = z
  .object({
    task: z.string().min(1).max(20_000).describe('What the program should do, in plain words.'),
    model: z
      .string()
      .min(1)
      .max(1_000)
      .optional()
      .describe('provider:model, e.g. qwen:qwen-max, ollama:qwen2.5-coder:7b, local:/path/model.gguf, or sampling. Default: UMCA_MODEL.'),
    fallbackModels: z.array(z.string().min(1).max(1_000)).max(8).optional().describe('Tried in order when the model fails.'),
    language: taskLanguageSchema.default('python'),
    maxIterations: z.int().min(1).max(10).default(3).describe('Coder/tester rounds at most.'),
    maxTokens: z
      .int()
      .min(16)
      .max(32_768)
      .default(1_024)
      .describe(
        'Most tokens the model may generate in one call (the plan, each program): with maxIterations, it bounds what a task costs and how long it takes.',
      ),
    limits: executionLimitsSchema.partial().optional().describe('Limits for each execution of the code.'),
    allowedOutboundHosts: allowedOutboundHostsSchema.optional(),
  })
  .strict();

export const checkResultSchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  detail: z.string().optional(),
});

export const verdictSchema = z
  .enum(['pass', 'fail', 'unverified'])
  .describe(
    'pass: every acceptance check passed. fail: a check failed or the program did not run cleanly. unverified: it ran cleanly but there were no checks.',
  );

export const iterationSchema = z.object({
  index: z.int().min(1),
  code: z.string(),
  execution: z.object({
    status: executionStatusSchema,
    exitCode: z.int().nullable(),
    stdout: z.string(),
    stderr: z.string(),
    error: executionErrorSchema.optional(),
    durationMs: z.number().min(0),
    egress: z.array(egressAttemptSchema).describe('Outbound requests the program tried, allowed and denied.'),
  }),
  checks: z.array(checkResultSchema),
  verdict: verdictSchema,
  feedback: z.string().optional().describe('What the coder is told for the next round.'),
});

export const usageSchema = z.object({
  calls: z.int().min(0),
  promptTokens: z.int().min(0),
  completionTokens: z.int().min(0),
  latencyMs: z.number().min(0),
});

export const taskResultSchema = z.object({
  runId: z.string(),
  status: executionStatusSchema.describe(
    'ok when the program ran and nothing failed; error when a check failed or a step did; cancelled, ...',
  ),
  verdict: verdictSchema,
  reason: z.string().optional(),
  plan: z.array(z.string()),
  checks: z.array(z.string()).describe('The acceptance checks the planner wrote.'),
  code: z.string().describe('The final program.'),
  stdout: z.string(),
  iterations: z.array(iterationSchema),
  models: z.array(z.string()).describe('The models that answered.'),
  usage: usageSchema,
  durationMs: z.number().min(0),
});

export type TaskRequest = z.input<typeof taskRequestSchema>;
export type ParsedTaskRequest = z.infer<typeof taskRequestSchema>;
export type TaskResult = z.infer<typeof taskResultSchema>;
export type TaskIteration = z.infer<typeof iterationSchema>;
export type CheckResult = z.infer<typeof checkResultSchema>;
export type Verdict = z.infer<typeof verdictSchema>;
