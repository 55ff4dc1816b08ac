/**
 * @module workspace
 * Input files in, output files out, for runtimes whose file system is an in-memory tree.
 * "Output" means a file the run created or changed; unchanged inputs are not sent back. What the
 * sandbox leaves out (links, special files, names too long, files past the caps) it reports by
 * name. The host checks everything again: code in the sandbox can forge this whole report.
 */
import type { RunOrder, SandboxDroppedFiles, SandboxDropReason, SandboxFile } from './protocol.js';

// The same values as MAX_OUTPUT_FILES, MAX_OUTPUT_FILES_BYTES, MAX_PATH_LENGTH and
// MAX_LISTED_DROPPED_FILES in @umca/contracts, which the sandbox cannot load (it is not mounted
// there); a test keeps them equal.
export const MAX_OUTPUT_FILES = 100;
export const MAX_OUTPUT_FILES_BYTES = 16 * 1_048_576;
export const MAX_PATH_LENGTH = 255;
export const MAX_LISTED_DROPPED_FILES = 100;

/**
 * One entry of a run's working directory, as a runtime's walk finds it. Walks never follow a link,
 * and do not enter a folder whose path is already longer than MAX_PATH_LENGTH (it is reported
 * once, as `invalid_path`, with its path cut to that length).
 */
export type WorkspaceEntry =
  /** `stamp`: what changes when the file is written (its node, size and time), for sessions. */
  | { kind: 'file'; path: string; read: () => Uint8Array; stamp?: string }
  | { kind: Exclude<SandboxDropReason, 'count_limit' | 'size_limit'>; path: string };

/** What a session's workspace held before a run: each entry's stamp by path. */
export function stamps(entries: Iterable<WorkspaceEntry>): Map<string, string> {
  const held = new Map<string, string>();
  for (const entry of entries) held.set(entry.path, entry.kind === 'file' ? `file:${entry.stamp ?? ''}` : entry.kind);
  return held;
}

/**
 * The entries a session's run made or changed: one held before with the same stamp is the
 * earlier runs' (a file without a stamp always counts as changed).
 */
export function* changedSince(entries: Iterable<WorkspaceEntry>, before: Map<string, string>): Generator<WorkspaceEntry> {
  for (const entry of entries) {
    const held = before.get(entry.path);
    if (held === undefined) yield entry;
    else if (entry.kind === 'file' ? entry.stamp === undefined || held !== `file:${entry.stamp}` : held !== entry.kind) yield entry;
  }
}

export function decodeInputFile(file: RunOrder['files'][number]): Uint8Array {
  return file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : Buffer.from(file.content, 'utf8');
}

/** Builds the output-file list from a walk, skipping unchanged inputs, within the caps; says what it left out. */
export function collectOutputFiles(
  entries: Iterable<WorkspaceEntry>,
  inputs: RunOrder['files'],
): { files: SandboxFile[]; droppedFiles?: SandboxDroppedFiles } {
  const original = new Map(inputs.map((file) => [file.path, Buffer.from(decodeInputFile(file))]));
  const files: SandboxFile[] = [];
  const dropped: SandboxDroppedFiles = { count: 0, files: [] };
  const drop = (path: string, reason: SandboxDropReason) => {
    dropped.count++;
    if (dropped.files.length < MAX_LISTED_DROPPED_FILES) dropped.files.push({ path, reason });
  };
  let total = 0;
  for (const entry of entries) {
    if (entry.kind !== 'file') {
      drop(entry.path, entry.kind);
      continue;
    }
    const before = original.get(entry.path);
    let bytes = before ? entry.read() : undefined;
    if (bytes && before?.equals(bytes)) continue;
    if (files.length >= MAX_OUTPUT_FILES) {
      drop(entry.path, 'count_limit');
      continue;
    }
    bytes ??= entry.read();
    if (total + bytes.byteLength > MAX_OUTPUT_FILES_BYTES) {
      drop(entry.path, 'size_limit');
      continue;
    }
    total += bytes.byteLength;
    const text = Buffer.from(bytes).toString('utf8');
    const isText = Buffer.from(text, 'utf8').equals(Buffer.from(bytes));
    files.push({ path: entry.path, encoding: isText ? 'utf8' : 'base64', content: isText ? text : Buffer.from(bytes).toString('base64') });
  }
  return dropped.count > 0 ? { files, droppedFiles: dropped } : { files };
}
