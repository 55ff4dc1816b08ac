/**
 * @module workspace-file
 * Files handed to a run and files a run leaves behind. Paths follow one rule (relative-path.ts):
 * relative to the run's working directory, unable to climb out of it or to carry control characters.
 */
import { z } from 'zod';
import { RELATIVE_PATH_RULE, relativePathSchema } from './relative-path.js';

export const MAX_FILE_BYTES = 10 * 1_048_576;

export const fileEncodingSchema = z.enum(['utf8', 'base64']);

export const inputFileSchema = z
  .object({
    path: relativePathSchema.describe(`Where the file appears, relative to the working directory: ${RELATIVE_PATH_RULE}.`),
    content: z.string().max(Math.ceil((MAX_FILE_BYTES * 4) / 3) + 4),
    encoding: fileEncodingSchema.default('utf8').describe('How `content` is encoded.'),
  })
  .strict();

export const outputFileSchema = z.object({
  path: z.string(),
  sizeBytes: z.int().min(0),
  encoding: fileEncodingSchema,
  content: z.string(),
});

export type InputFile = z.input<typeof inputFileSchema>;
export type OutputFile = z.infer<typeof outputFileSchema>;
