/**
 * @module workspace-file
 * Files handed to a run and files a run leaves behind. Paths follow one rule both ways
 * (relative-path.ts); an output file's size is counted by the host, and files the host would not
 * pass on are listed, with the reason, instead of vanishing.
 */
import { z } from 'zod';
import { MAX_SHOWN_PATH_LENGTH, RELATIVE_PATH_RULE, relativePathSchema } from './relative-path.js';

/** The largest input file. */
export const MAX_FILE_BYTES = 10 * 1_048_576;
/** The most files a run returns. */
export const MAX_OUTPUT_FILES = 100;
/** The most bytes (decoded) a run's files add up to. */
export const MAX_OUTPUT_FILES_BYTES = 16 * 1_048_576;
/** The most left-out files a result lists by name. */
export const MAX_LISTED_DROPPED_FILES = 100;

export const fileEncodingSchema = z.enum(['utf8', 'base64']);

/**
 * Base64 text, checked as zod checks it. In JSON Schema zod would write `format: "base64"`, which
 * no JSON Schema draft defines: validators (Ajv, in the MCP Inspector and SDK clients) warn and
 * ignore it. `contentEncoding` and `pattern` say the same in standard terms, and are written in the
 * metadata so that every generator (zod's own, and the OpenAPI document's) writes them.
 */
export const base64TextSchema = () => z.base64().meta({ format: undefined, contentEncoding: 'base64', pattern: z.regexes.base64.source });

const inputPath = relativePathSchema.describe(`Where the file appears, relative to the working directory: ${RELATIVE_PATH_RULE}.`);
const MAX_INPUT_CONTENT = Math.ceil((MAX_FILE_BYTES * 4) / 3) + 4;

/**
 * A file handed to a run: text as it is, or bytes base64-encoded. Base64 content is checked here,
 * so a file is never written from text that only looked like base64.
 */
export const inputFileSchema = z
  .discriminatedUnion('encoding', [
    z
      .object({
        path: inputPath,
        content: z.string().max(MAX_INPUT_CONTENT).describe('The file as text; it is written UTF-8 encoded.'),
        encoding: z.literal('utf8').default('utf8').describe('`content` is text (the default).'),
      })
      .strict(),
    z
      .object({
        path: inputPath,
        content: base64TextSchema().max(MAX_INPUT_CONTENT).describe("The file's bytes, base64-encoded."),
        encoding: z.literal('base64').describe('`content` is base64.'),
      })
      .strict(),
  ])
  .describe('A file placed in the working directory before the code runs.');

/** UTF-8 length of a string, without Node's Buffer (the contracts run anywhere). */
function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

const base64ByteLength = (content: string) => (content.length / 4) * 3 - (content.endsWith('==') ? 2 : content.endsWith('=') ? 1 : 0);

const outputPath = relativePathSchema.describe(`Where the run left the file, relative to its working directory: ${RELATIVE_PATH_RULE}.`);
const sizeBytes = z
  .int()
  .min(0)
  .max(MAX_OUTPUT_FILES_BYTES)
  .describe('Bytes of the decoded content, counted by the host; a size the sandbox states is never used.');
const sizeMatches = { message: 'must be the number of bytes `content` decodes to', path: ['sizeBytes'] };

export const outputFileSchema = z
  .discriminatedUnion('encoding', [
    z
      .object({
        path: outputPath,
        sizeBytes,
        encoding: z.literal('utf8').describe('`content` is the file as text: it was valid UTF-8.'),
        content: z.string().refine((text) => !/\p{Cs}/u.test(text), { message: 'must be valid Unicode text (no lone surrogate)' }),
      })
      .refine((file) => file.sizeBytes === utf8ByteLength(file.content), sizeMatches),
    z
      .object({
        path: outputPath,
        sizeBytes,
        encoding: z.literal('base64').describe('`content` is the file base64-encoded: it was not valid UTF-8.'),
        content: base64TextSchema(),
      })
      .refine((file) => file.sizeBytes === base64ByteLength(file.content), sizeMatches),
  ])
  .describe('A file the run created or changed in its working directory, checked by the host.');

export const droppedFileReasonSchema = z
  .enum(['invalid_path', 'invalid_content', 'path_conflict', 'symlink', 'special_file', 'count_limit', 'size_limit'])
  .describe(
    'invalid_path: the name breaks the path rule; invalid_content: the content does not match its encoding; ' +
      'path_conflict: another file has the same path or uses it as a folder; symlink: a symbolic link (never followed); ' +
      `special_file: not a regular file; count_limit: past ${MAX_OUTPUT_FILES} files; size_limit: past ${MAX_OUTPUT_FILES_BYTES} bytes in all.`,
  );

export const droppedFileSchema = z.object({
  path: z
    .string()
    .max(2 * MAX_SHOWN_PATH_LENGTH + 1)
    .describe(
      'The name as the run gave it, for showing only: backslash, control, line-separator and bidirectional characters ' +
        `are escaped (\\n, \\u001b) and a long name is cut to ${MAX_SHOWN_PATH_LENGTH} characters with "…". Never use it as a file name.`,
    ),
  reason: droppedFileReasonSchema,
  message: z.string().describe('Why, in words, e.g. "the name has a control character (U+001B)".'),
});

export const droppedFilesSchema = z
  .object({
    count: z.int().min(1).describe('How many files were left out. A folder whose path is already too long counts once.'),
    files: z
      .array(droppedFileSchema)
      .max(MAX_LISTED_DROPPED_FILES)
      .describe(`The first ${MAX_LISTED_DROPPED_FILES} left out, each with its reason.`),
    summary: z.string().describe('One line for people: how many were left out, the first few by name, and why.'),
  })
  .describe('Files the run produced that `files` does not hold, and why. Absent when nothing was left out.');

export type InputFile = z.input<typeof inputFileSchema>;
export type OutputFile = z.infer<typeof outputFileSchema>;
export type DroppedFileReason = z.infer<typeof droppedFileReasonSchema>;
export type DroppedFile = z.infer<typeof droppedFileSchema>;
export type DroppedFiles = z.infer<typeof droppedFilesSchema>;
