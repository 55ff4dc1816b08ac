/**
 * @module execution-result
 * `umca.execution.result.v1`: how a run ended and everything it produced.
 */
import { z } from 'zod';
import { egressAttemptSchema } from './egress-attempt.js';
import { droppedFilesSchema, MAX_OUTPUT_FILES, MAX_OUTPUT_FILES_BYTES, outputFileSchema } from './workspace-file.js';

/**
 * Why a run ended. `ok` and `error` are the program's own doing; the others are the runner's:
 * a limit was hit, the request was refused, the runner was full, the caller cancelled, or the
 * sandbox process died in a way the runner did not cause.
 */
export const executionStatusSchema = z.enum([
  'ok',
  'error',
  'timeout',
  'memory_limit',
  'output_limit',
  'rejected',
  'busy',
  'cancelled',
  'crashed',
]);

export const executionErrorSchema = z.object({
  type: z.string().describe('Exception class (ZeroDivisionError, TypeError) or runner error name.'),
  message: z.string(),
  traceback: z.string().optional(),
});

export const laneSchema = z.enum(['wasm', 'container']);
export const runtimeSchema = z
  .enum(['pyodide', 'quickjs', 'wasi', 'wasi-python', 'cpython', 'node'])
  .describe('What ran the code: in the wasm lane pyodide, quickjs, wasi or wasi-python; in the container lane native cpython or node.');

/** Where a run was sent, and why: the router's decision, on the result and in `lane.selected`. */
export const laneSelectionSchema = z.object({
  lane: laneSchema,
  runtime: runtimeSchema,
  by: z
    .enum(['request', 'imports', 'code', 'default'])
    .describe(
      'What decided: the request named the lane or runtime, the imports in the code, what the code does (subprocesses, pip install), or the language alone.',
    ),
  reason: z.string().describe('The decision in a line, in words.'),
});
export const isolationSchema = z
  .enum(['os', 'reduced', 'vm'])
  .describe(
    'os: an OS sandbox of its own (namespaces, no privilege); reduced: without namespaces (opted in); vm: a microVM of a remote provider (E2B).',
  );

export const executionTimingsSchema = z.object({
  queuedMs: z.number().min(0).describe('Waiting for a free sandbox.'),
  executeMs: z.number().min(0).describe('From handing the code to the sandbox to its result.'),
  programMs: z
    .number()
    .min(0)
    .optional()
    .describe('Inside the sandbox, from receiving the code to the end of the program, as the sandbox measured it.'),
});

export const executionResultSchema = z.object({
  status: executionStatusSchema,
  exitCode: z.int().nullable().describe("The program's exit code; null when the runner ended it."),
  reason: z.string().optional().describe('One line on why a run did not end `ok`, and what to do.'),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  error: executionErrorSchema.optional(),
  files: z
    .array(outputFileSchema)
    .max(MAX_OUTPUT_FILES)
    .refine((files) => files.reduce((total, file) => total + file.sizeBytes, 0) <= MAX_OUTPUT_FILES_BYTES, {
      message: `the files must add up to at most ${MAX_OUTPUT_FILES_BYTES} bytes`,
    })
    .describe(
      `Files the run created or changed in its working directory, checked by the host: at most ${MAX_OUTPUT_FILES}, ` +
        `${MAX_OUTPUT_FILES_BYTES} bytes in all. Symbolic links are never followed.`,
    ),
  droppedFiles: droppedFilesSchema.optional(),
  egress: z.array(egressAttemptSchema),
  lane: laneSchema,
  runtime: runtimeSchema.optional(),
  selection: laneSelectionSchema.optional(),
  isolation: isolationSchema,
  durationMs: z.number().min(0),
  timings: executionTimingsSchema,
});

export type ExecutionStatus = z.infer<typeof executionStatusSchema>;
export type ExecutionError = z.infer<typeof executionErrorSchema>;
export type Lane = z.infer<typeof laneSchema>;
export type Runtime = z.infer<typeof runtimeSchema>;
export type LaneSelection = z.infer<typeof laneSelectionSchema>;
export type Isolation = z.infer<typeof isolationSchema>;
export type ExecutionTimings = z.infer<typeof executionTimingsSchema>;
export type ExecutionResult = z.infer<typeof executionResultSchema>;
