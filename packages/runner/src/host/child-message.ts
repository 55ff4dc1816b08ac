/**
 * @module child-message
 * Validation of what a sandbox child sends. The child runs hostile code, so anything it says is
 * checked for shape and size before the host acts on it.
 */
import {
  egressAttemptSchema,
  executionErrorSchema,
  MAX_LISTED_DROPPED_FILES,
  MAX_OUTPUT_FILES,
  MAX_PATH_LENGTH,
  runtimeSchema,
} from '@umca/contracts';
import { z } from 'zod';
import { MAX_TOOL_ARGUMENTS_LENGTH, MAX_TOOL_NAME_LENGTH, SNAPSHOT_CHUNK_BYTES } from '../sandbox/protocol.js';

const headerSchema = z.tuple([z.string().max(1024), z.string().max(16_384)]);

// Only the shape is checked here; names and contents are judged file by file in
// check-output-files.ts, which leaves bad ones out and says so. An honest child never sends more
// than MAX_OUTPUT_FILES files or a longer name than MAX_PATH_LENGTH, so a message that does is
// refused whole (and the child killed) before any file in it is looked at. `sizeBytes` is not
// read at all: the host counts the bytes itself.
const sandboxFileSchema = z.object({
  path: z.string().max(MAX_PATH_LENGTH),
  encoding: z.enum(['utf8', 'base64']),
  content: z.string(),
});

const sandboxDroppedFilesSchema = z.object({
  count: z.int().min(0),
  files: z
    .array(
      z.object({
        path: z.string().max(MAX_PATH_LENGTH),
        reason: z.enum(['invalid_path', 'symlink', 'special_file', 'count_limit', 'size_limit']),
      }),
    )
    .max(MAX_LISTED_DROPPED_FILES),
});

export const childOutcomeSchema = z.object({
  status: z.enum(['ok', 'error', 'timeout', 'memory_limit', 'output_limit']),
  exitCode: z.int().min(-1).max(255).nullable(),
  error: executionErrorSchema
    .extend({ type: z.string().max(200), message: z.string().max(65_536), traceback: z.string().max(262_144).optional() })
    .optional(),
  files: z.array(sandboxFileSchema).max(MAX_OUTPUT_FILES),
  droppedFiles: sandboxDroppedFilesSchema.optional(),
  runtime: runtimeSchema,
  programMs: z.number().min(0).max(3_600_000).optional(),
});

export const childMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('output'), stream: z.enum(['stdout', 'stderr']), data: z.string() }),
  z.object({
    type: z.literal('http'),
    id: z.int().min(1),
    request: z.object({
      method: z.string().max(32),
      url: z.string().max(8192),
      headers: z.array(headerSchema).max(200),
      body: z.string().max(Math.ceil((10 * 1_048_576 * 4) / 3) + 4),
    }),
  }),
  // The arguments stay text here: the host parses them only when it relays the call.
  z.object({
    type: z.literal('tool'),
    id: z.int().min(1),
    name: z.string().max(MAX_TOOL_NAME_LENGTH),
    arguments: z.string().max(MAX_TOOL_ARGUMENTS_LENGTH),
  }),
  z.object({ type: z.literal('result'), outcome: childOutcomeSchema, final: z.boolean().optional() }),
  z.object({ type: z.literal('resumed') }),
  z.object({ type: z.literal('resume-failed'), message: z.string().max(4096) }),
  // Its bytes follow the frame; the decoder hands them over as `raw` (internal/frame.ts).
  z.object({ type: z.literal('snapshot'), rawBytes: z.int().min(0).max(SNAPSHOT_CHUNK_BYTES), raw: z.instanceof(Buffer) }),
  z.object({ type: z.literal('snapshot-done') }),
]);

export type ChildMessage = z.infer<typeof childMessageSchema>;

/** Kept here so tests can check that egress records stay valid contract objects. */
export const egressRecordSchema = egressAttemptSchema;
