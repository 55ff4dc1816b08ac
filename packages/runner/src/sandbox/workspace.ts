/**
 * @module workspace
 * Input files in, output files out, for lanes whose file system is an in-memory tree.
 * "Output" means a file the run created or changed; unchanged inputs are not sent back.
 */
import type { RunOrder, SandboxFile } from './protocol.js';

// The same values as MAX_OUTPUT_FILES and MAX_OUTPUT_FILES_BYTES in @umca/contracts, which the
// sandbox cannot load (it is not mounted there); a test keeps them equal.
export const MAX_OUTPUT_FILES = 100;
export const MAX_OUTPUT_FILES_BYTES = 16 * 1_048_576;

export function decodeInputFile(file: RunOrder['files'][number]): Uint8Array {
  return file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : Buffer.from(file.content, 'utf8');
}

/** Builds the output-file list from (path, bytes) pairs, skipping unchanged inputs, within caps. */
export function collectOutputFiles(entries: Iterable<[string, Uint8Array]>, inputs: RunOrder['files']): SandboxFile[] {
  const original = new Map(inputs.map((file) => [file.path, Buffer.from(decodeInputFile(file))]));
  const files: SandboxFile[] = [];
  let total = 0;
  for (const [path, bytes] of entries) {
    const before = original.get(path);
    if (before?.equals(bytes)) continue;
    if (files.length >= MAX_OUTPUT_FILES || total + bytes.byteLength > MAX_OUTPUT_FILES_BYTES) break;
    total += bytes.byteLength;
    const text = Buffer.from(bytes).toString('utf8');
    const isText = Buffer.from(text, 'utf8').equals(Buffer.from(bytes));
    files.push({
      path,
      encoding: isText ? 'utf8' : 'base64',
      content: isText ? text : Buffer.from(bytes).toString('base64'),
    });
  }
  return files;
}
