/**
 * How a sandbox packs a paused session's workspace and memory, and what it refuses to unpack: the
 * bytes come back from a process that ran hostile code, so a path out of the session (by `..`, by
 * an absolute name, or through a link the snapshot itself made) is refused before anything is
 * written. In process, on real files in a temporary folder.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packSnapshot, restoreWorkspace, SnapshotRefused, unpackSnapshot } from '../src/sandbox/session-snapshot.js';

const made: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'umca-snapshot-'));
  made.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pack(root: string, memory: Buffer, partBytes = 3): Buffer {
  const parts: Buffer[] = [];
  packSnapshot(
    { runtime: 'wasi-python', image: 'python-test.cwasm', cpuSecondsUsed: 1.5 },
    root,
    (hand) => {
      hand(memory.subarray(0, 2));
      hand(memory.subarray(2));
    },
    (part) => parts.push(part),
    partBytes,
  );
  return Buffer.concat(parts);
}

/** A packed snapshot whose header `edit` changed. */
function edited(packed: Buffer, edit: (entries: Array<Record<string, unknown>>) => void): Buffer {
  const length = packed.readUInt32BE(8);
  const header = JSON.parse(packed.subarray(12, 12 + length).toString('utf8')) as { entries: Array<Record<string, unknown>> };
  edit(header.entries);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.from(packed.subarray(0, 12));
  prefix.writeUInt32BE(json.byteLength, 8);
  return Buffer.concat([prefix, json, packed.subarray(12 + length)]);
}

describe('a session snapshot', () => {
  it('packs folders, files (read in parts) and links with their times, and puts them back as they were, memory after them', () => {
    const root = folder();
    mkdirSync(join(root, 'work', 'out'), { recursive: true });
    writeFileSync(join(root, 'work', 'out', 'data.csv'), 'a,b\n1,2\n');
    writeFileSync(join(root, 'work', 'empty.txt'), '');
    symlinkSync('out/data.csv', join(root, 'work', 'link'));
    utimesSync(join(root, 'work', 'out', 'data.csv'), 1_700_000_000, 1_700_000_000);
    utimesSync(join(root, 'work', 'out'), 1_600_000_000, 1_600_000_000);
    const packed = pack(root, Buffer.from('MEMORY'));
    const { header, files, memory } = unpackSnapshot(packed);
    expect(header).toMatchObject({ runtime: 'wasi-python', image: 'python-test.cwasm', cpuSecondsUsed: 1.5 });
    expect(memory.toString()).toBe('MEMORY');
    const into = folder();
    restoreWorkspace(into, header, files);
    expect(readFileSync(join(into, 'work', 'out', 'data.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(readFileSync(join(into, 'work', 'empty.txt'), 'utf8')).toBe('');
    expect(readlinkSync(join(into, 'work', 'link'))).toBe('out/data.csv');
    expect(statSync(join(into, 'work', 'out', 'data.csv')).mtimeMs).toBe(1_700_000_000_000);
    expect(statSync(join(into, 'work', 'out')).mtimeMs).toBe(1_600_000_000_000);
    expect(lstatSync(join(into, 'work', 'link')).isSymbolicLink()).toBe(true);
  });

  it('refuses a path out of the session, by name or through a link it made, before writing anything', () => {
    const root = folder();
    mkdirSync(join(root, 'work'));
    writeFileSync(join(root, 'work', 'a.txt'), 'a');
    const packed = pack(root, Buffer.from('M'));
    for (const path of ['../a.txt', '/etc/a.txt', 'work/../../a.txt', 'work/./a.txt', '', 'a\0b']) {
      const bad = edited(packed, (entries) => {
        (entries[1] as { path: string }).path = path;
      });
      expect(() => unpackSnapshot(bad)).toThrow(SnapshotRefused);
    }
    const throughLink = edited(packed, (entries) => {
      entries.splice(1, 0, { kind: 'symlink', path: 'work/up', target: '/' });
      (entries[2] as { path: string }).path = 'work/up/a.txt';
    });
    expect(() => unpackSnapshot(throughLink)).toThrow(/outside the session: work\/up\/a\.txt/);
  });

  it('refuses one cut short, one whose header is not JSON, and one of another format', () => {
    const root = folder();
    mkdirSync(join(root, 'work'));
    writeFileSync(join(root, 'work', 'a.txt'), 'abcdef');
    const packed = pack(root, Buffer.alloc(0));
    expect(() => unpackSnapshot(packed.subarray(0, packed.byteLength - 2))).toThrow(/its file work\/a\.txt is cut short/);
    const notJson = Buffer.from(packed);
    notJson.write('{{', 12, 'latin1');
    expect(() => unpackSnapshot(notJson)).toThrow(/its header is not JSON/);
    expect(() => unpackSnapshot(Buffer.from('UMCASES0....'))).toThrow(/not a session snapshot of this version/);
    const long = Buffer.from(packed);
    long.writeUInt32BE(packed.byteLength, 8);
    expect(() => unpackSnapshot(long)).toThrow(/its header is cut short/);
  });
});
