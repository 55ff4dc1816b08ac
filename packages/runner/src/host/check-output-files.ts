/**
 * @module check-output-files
 * The host's check of the files a run returns. Code in the sandbox can forge its whole report
 * (it reaches the channel socket through Pyodide's FFI), so every name and content is judged here,
 * for every consumer (API, MCP, SDKs, CLI): sizes are counted from the content, the caps are the
 * host's, and a file that fails is left out and listed in `droppedFiles` with the reason.
 */
import {
  type DroppedFile,
  type DroppedFileReason,
  type DroppedFiles,
  escapePath,
  findPathProblem,
  MAX_LISTED_DROPPED_FILES,
  MAX_OUTPUT_FILES,
  MAX_OUTPUT_FILES_BYTES,
  MAX_PATH_LENGTH,
  type OutputFile,
} from '@umca/contracts';
import { z } from 'zod';
import type { SandboxDroppedFiles, SandboxDropReason, SandboxFile } from '../sandbox/protocol.js';

export interface CheckedOutputFiles {
  files: OutputFile[];
  droppedFiles?: DroppedFiles;
}

const MIB = 1_048_576;
const SHOWN_IN_SUMMARY = 3;
const base64Schema = z.base64();
const LONE_SURROGATE = /\p{Cs}/u;

/** The host's words for what the sandbox says it left out (its own words are never used). */
const REPORTED: Record<SandboxDropReason, string> = {
  invalid_path: `the name is longer than ${MAX_PATH_LENGTH} characters`,
  symlink: 'it is a symbolic link; links are not followed',
  special_file: 'it is not a regular file',
  count_limit: `a run returns at most ${MAX_OUTPUT_FILES} files`,
  size_limit: `a run returns at most ${MAX_OUTPUT_FILES_BYTES / MIB} MiB of files in all`,
};

/** Bytes the content decodes to, or undefined when it does not match its encoding. */
function decodedLength(file: SandboxFile): number | undefined {
  if (file.encoding === 'utf8') return LONE_SURROGATE.test(file.content) ? undefined : Buffer.byteLength(file.content, 'utf8');
  return base64Schema.safeParse(file.content).success ? Buffer.byteLength(file.content, 'base64') : undefined;
}

/** Two kept files may not share a path, nor may one be a folder of the other (nothing could write both). */
function findClash(path: string, kept: Set<string>, folders: Set<string>): string | undefined {
  if (kept.has(path)) return 'another file has the same path';
  if (folders.has(path)) return 'another file is inside a folder of this name';
  const parts = path.split('/');
  for (let end = 1; end < parts.length; end++) {
    const folder = parts.slice(0, end).join('/');
    if (kept.has(folder)) return `"${escapePath(folder)}" is a file, so it cannot also be a folder`;
  }
  return undefined;
}

function summarize(count: number, listed: DroppedFile[]): string {
  const shown = listed.slice(0, SHOWN_IN_SUMMARY).map((file) => `"${file.path}" (${file.message})`);
  const more = count - shown.length;
  const head = `${count} output ${count === 1 ? 'file was' : 'files were'} left out`;
  if (shown.length === 0) return `${head} (the sandbox did not name them)`;
  return `${head}: ${shown.join('; ')}${more > 0 ? `; and ${more} more (see droppedFiles)` : ''}`;
}

/**
 * Keeps the files that follow the rules, in order, within the caps, with sizes the host counted;
 * lists the rest, and what the sandbox says it left out, with names made safe to show.
 *
 * @example
 * checkOutputFiles([{ path: '../x', encoding: 'utf8', content: '' }]).droppedFiles?.summary;
 * // '1 output file was left out: "../x" (the name has a "." or ".." part)'
 */
export function checkOutputFiles(files: readonly SandboxFile[], reported?: SandboxDroppedFiles): CheckedOutputFiles {
  const kept: OutputFile[] = [];
  const keptPaths = new Set<string>();
  const folders = new Set<string>();
  const listed: DroppedFile[] = [];
  let count = 0;
  let total = 0;
  const drop = (path: string, reason: DroppedFileReason, message: string) => {
    count++;
    if (listed.length < MAX_LISTED_DROPPED_FILES) listed.push({ path: escapePath(path), reason, message });
  };

  for (const file of files) {
    const problem = findPathProblem(file.path);
    if (problem) {
      drop(file.path, 'invalid_path', `the name ${problem}`);
      continue;
    }
    const sizeBytes = decodedLength(file);
    if (sizeBytes === undefined) {
      drop(
        file.path,
        'invalid_content',
        file.encoding === 'utf8' ? 'the content is not valid Unicode text' : 'the content is not valid base64',
      );
      continue;
    }
    const clash = findClash(file.path, keptPaths, folders);
    if (clash) {
      drop(file.path, 'path_conflict', clash);
      continue;
    }
    if (kept.length >= MAX_OUTPUT_FILES) {
      drop(file.path, 'count_limit', REPORTED.count_limit);
      continue;
    }
    if (total + sizeBytes > MAX_OUTPUT_FILES_BYTES) {
      drop(file.path, 'size_limit', REPORTED.size_limit);
      continue;
    }
    total += sizeBytes;
    keptPaths.add(file.path);
    const parts = file.path.split('/');
    for (let end = 1; end < parts.length; end++) folders.add(parts.slice(0, end).join('/'));
    kept.push(
      file.encoding === 'utf8'
        ? { path: file.path, sizeBytes, encoding: 'utf8', content: file.content }
        : { path: file.path, sizeBytes, encoding: 'base64', content: file.content },
    );
  }

  if (reported) {
    for (const entry of reported.files) drop(entry.path, entry.reason, REPORTED[entry.reason]);
    // The sandbox's count covers the files it named; never fewer than those.
    count += Math.max(0, reported.count - reported.files.length);
  }
  if (count === 0) return { files: kept };
  return { files: kept, droppedFiles: { count, files: listed, summary: summarize(count, listed) } };
}
