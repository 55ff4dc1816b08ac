/**
 * @module workspace-file
 * Files handed to a run and files a run leaves behind. Paths are relative to the run's working
 * directory and may not climb out of it.
 */
import { z } from 'zod';

export const MAX_FILE_BYTES = 10 * 1_048_576;

const relativePathSchema = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (path) =>
      !path.startsWith('/') &&
      !path.includes('\\') &&
      !path.includes('\0') &&
      path.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
    {
      message: 'must be a relative path such as "data/input.csv": no leading "/", no "." or ".." parts, no empty parts',
    },
  );

export const fileEncodingSchema = z.enum(['utf8', 'base64']);

export const inputFileSchema = z
  .object({
    path: relativePathSchema.describe('Where the file appears, relative to the working directory.'),
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
