/**
 * @module session-snapshot
 * A paused session as the sandbox packs it: what it is (the runtime, the image the interpreter
 * came from, the CPU seconds spent so far), its workspace (every folder, file and link under the
 * session's root, with their modes and times), and the interpreter's memory as the runtime gives
 * it. The host never looks inside; it seals the bytes (host side) and hands them back to a new
 * child to unpack. The bytes come from a process that ran hostile code, so unpacking checks every
 * length and path, and writes only under the root it is given.
 *
 * Layout: `UMCASES1`, a 4-byte big-endian header length, the header (JSON), the files' bytes one
 * after another, then the memory (the rest). Packing streams: a pausing session needs little
 * memory beyond what it holds.
 */
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, normalize, sep } from 'node:path';

const MAGIC = Buffer.from('UMCASES1', 'latin1');

export type SnapshotEntry =
  | { kind: 'dir'; path: string; mode: number; mtimeMs: number }
  | { kind: 'file'; path: string; mode: number; mtimeMs: number; size: number }
  | { kind: 'symlink'; path: string; target: string };

export interface SnapshotHeader {
  /** The runtime whose interpreter the memory is. */
  runtime: string;
  /** The image the interpreter was made from; another image cannot take this memory. */
  image: string;
  /** CPU seconds the session had used when it paused (its limit counts them). */
  cpuSecondsUsed: number;
  entries: SnapshotEntry[];
}

/** Every entry under `root` (links recorded, never followed; other kinds of file left out). */
function* entriesUnder(root: string, prefix = ''): Generator<SnapshotEntry> {
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const path = prefix ? `${prefix}/${name}` : name;
    const stats = lstatSync(join(root, path));
    if (stats.isSymbolicLink()) yield { kind: 'symlink', path, target: readlinkSync(join(root, path)) };
    else if (stats.isDirectory()) {
      yield { kind: 'dir', path, mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs };
      yield* entriesUnder(root, path);
    } else if (stats.isFile()) yield { kind: 'file', path, mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, size: stats.size };
  }
}

/**
 * Packs the session, handing the bytes to `send` a part at a time (at most `partBytes` each): its
 * header, the files under `root`, then its memory as `saveMemory` hands it over.
 */
export function packSnapshot(
  header: Omit<SnapshotHeader, 'entries'>,
  root: string,
  saveMemory: (hand: (part: Buffer) => void) => void,
  send: (part: Buffer) => void,
  partBytes: number,
): void {
  const entries = [...entriesUnder(root)];
  const json = Buffer.from(JSON.stringify({ ...header, entries } satisfies SnapshotHeader), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.byteLength);
  send(Buffer.concat([MAGIC, length, json]));
  const part = Buffer.allocUnsafe(partBytes);
  for (const entry of entries) {
    if (entry.kind !== 'file') continue;
    // Nothing runs in the session while it pauses: a file is as its entry says, but read no
    // more than that in case it grew.
    const fd = openSync(join(root, entry.path), 'r');
    try {
      for (let at = 0; at < entry.size; ) {
        const read = readSync(fd, part, 0, Math.min(partBytes, entry.size - at), at);
        if (read === 0) throw new Error(`${entry.path} shrank while the session paused`);
        send(Buffer.from(part.subarray(0, read)));
        at += read;
      }
    } finally {
      closeSync(fd);
    }
  }
  saveMemory(send);
}

export class SnapshotRefused extends Error {
  override readonly name = 'SnapshotRefused';
}

/** Whether `path` is a plain relative path that stays under its root. */
function staysUnder(path: string): boolean {
  return (
    typeof path === 'string' &&
    path.length > 0 &&
    path.length <= 4096 &&
    !path.includes('\0') &&
    !path.startsWith('/') &&
    normalize(path) === path &&
    !path.split(sep).includes('..')
  );
}

/** Reads a packed session; throws `SnapshotRefused` when anything in it does not add up. */
export function unpackSnapshot(packed: Buffer): { header: SnapshotHeader; files: Map<string, Buffer>; memory: Buffer } {
  if (packed.byteLength < 12 || !packed.subarray(0, 8).equals(MAGIC))
    throw new SnapshotRefused('it is not a session snapshot of this version');
  const length = packed.readUInt32BE(8);
  if (12 + length > packed.byteLength) throw new SnapshotRefused('its header is cut short');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(packed.subarray(12, 12 + length).toString('utf8')) as SnapshotHeader;
  } catch {
    throw new SnapshotRefused('its header is not JSON');
  }
  if (!Array.isArray(header.entries) || typeof header.image !== 'string') {
    throw new SnapshotRefused('its header is not one a sandbox writes');
  }
  const files = new Map<string, Buffer>();
  const links = new Set<string>();
  let at = 12 + length;
  for (const entry of header.entries) {
    // A path through a link it made earlier would lead wherever the link points.
    const through =
      typeof entry.path === 'string' && entry.path.split('/').some((_, index, parts) => links.has(parts.slice(0, index).join('/')));
    if (!staysUnder(entry.path) || through) {
      throw new SnapshotRefused(`it names a path outside the session: ${String(entry.path).slice(0, 200)}`);
    }
    if (entry.kind === 'symlink') links.add(entry.path);
    if (entry.kind !== 'file') continue;
    if (!Number.isSafeInteger(entry.size) || entry.size < 0 || at + entry.size > packed.byteLength) {
      throw new SnapshotRefused(`its file ${entry.path} is cut short`);
    }
    files.set(entry.path, packed.subarray(at, at + entry.size));
    at += entry.size;
  }
  return { header, files, memory: packed.subarray(at) };
}

/** Puts the workspace back under `root` (empty: a new child's), as it was, modes and times too. */
export function restoreWorkspace(root: string, header: SnapshotHeader, files: Map<string, Buffer>): void {
  const folders: Array<Extract<SnapshotEntry, { kind: 'dir' }>> = [];
  for (const entry of header.entries) {
    const path = join(root, entry.path);
    if (entry.kind === 'dir') {
      mkdirSync(path, { recursive: true });
      folders.push(entry);
    } else if (entry.kind === 'file') {
      writeFileSync(path, files.get(entry.path) ?? Buffer.alloc(0), { mode: 0o600 });
      chmodSync(path, entry.mode & 0o777);
      utimesSync(path, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
    } else if (entry.kind === 'symlink' && typeof entry.target === 'string') symlinkSync(entry.target, path);
  }
  // Folders last, deepest first: writing into one changes its time.
  for (const folder of folders.reverse()) {
    chmodSync(join(root, folder.path), folder.mode & 0o777);
    utimesSync(join(root, folder.path), folder.mtimeMs / 1000, folder.mtimeMs / 1000);
  }
}
