/**
 * The host's check of output files, in-process: what a forged or careless report can hold, and
 * what the host passes on. Real runs that forge the report are in sandbox-output-files.real.test.ts.
 */
import * as contracts from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { checkOutputFiles } from '../src/host/check-output-files.js';
import type { SandboxFile } from '../src/sandbox/protocol.js';
import * as workspace from '../src/sandbox/workspace.js';

const text = (path: string, content = 'x'): SandboxFile => ({ path, encoding: 'utf8', content });
const MIB = 1_048_576;

/** Every file kept must be a valid contract object, and so must the list of dropped ones. */
function check(...args: Parameters<typeof checkOutputFiles>) {
  const checked = checkOutputFiles(...args);
  for (const file of checked.files) contracts.outputFileSchema.parse(file);
  if (checked.droppedFiles) contracts.droppedFilesSchema.parse(checked.droppedFiles);
  return checked;
}

describe('checkOutputFiles: names', () => {
  it.each([
    ['../victim/x', 'has a "." or ".." part'],
    ['ok/../../x', 'has a "." or ".." part'],
    ['./x', 'has a "." or ".." part'],
    ['/etc/x', 'starts with "/"'],
    ['a//b', 'has an empty part'],
    ['a/', 'has an empty part'],
    ['', 'is empty'],
    ['a\\..\\b', 'has a backslash'],
    ['esc\u001b[2J.txt', 'control character (U+001B)'],
    ['bell\u0007', 'control character (U+0007)'],
    ['new\nline', 'control character (U+000A)'],
    ['nul\u0000', 'control character (U+0000)'],
    ['del\u007f', 'control character (U+007F)'],
    ['csi\u009b', 'control character (U+009B)'],
    ['line\u2028sep', 'line-separator or bidirectional character (U+2028)'],
    ['txt.exe\u202egpj', 'line-separator or bidirectional character (U+202E)'],
    ['lone\ud800', 'not valid Unicode'],
    ['x'.repeat(256), 'longer than 255 characters'],
  ])('leaves out %j and says why', (path, why) => {
    const checked = check([text(path), text('kept.txt')]);
    expect(checked.files.map((file) => file.path)).toEqual(['kept.txt']);
    expect(checked.droppedFiles?.count).toBe(1);
    expect(checked.droppedFiles?.files[0]).toMatchObject({ reason: 'invalid_path' });
    expect(checked.droppedFiles?.files[0]?.message).toContain(why);
  });

  it('keeps ordinary names, nested folders, dots inside names and non-ASCII text', () => {
    const paths = ['a.txt', 'data/out/result.csv', '.hidden', '...', 'a..b', 'été/日本語.txt', 'emoji-😀.txt', 'x'.repeat(255)];
    expect(check(paths.map((path) => text(path))).files.map((file) => file.path)).toEqual(paths);
  });

  it('shows a dropped name escaped, on one line, and cut when long', () => {
    const checked = check([text('a\u001b]0;pwned\u0007\n\\b\u202e'), text(`${'y'.repeat(300)}\u0001`)]);
    const [first, second] = checked.droppedFiles?.files ?? [];
    expect(first?.path).toBe('a\\u001b]0;pwned\\u0007\\n\\\\b\\u202e');
    expect(second?.path).toBe(`${'y'.repeat(200)}…`);
    const summary = checked.droppedFiles?.summary ?? '';
    expect(summary).toMatch(/^2 output files were left out: "a\\u001b\]0;pwned/);
    expect(summary).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
  });
});

describe('checkOutputFiles: contents and sizes', () => {
  it('counts the bytes itself: a size the sandbox states is not even read', () => {
    const forged = { ...text('a.txt', 'héllo'), sizeBytes: 999_999_999 } as SandboxFile;
    const binary = { path: 'b.bin', encoding: 'base64', content: Buffer.from([0, 1, 2, 255]).toString('base64'), sizeBytes: -1 };
    expect(check([forged, binary as SandboxFile]).files).toEqual([
      { path: 'a.txt', sizeBytes: 6, encoding: 'utf8', content: 'héllo' },
      { path: 'b.bin', sizeBytes: 4, encoding: 'base64', content: 'AAEC/w==' },
    ]);
  });

  it.each([
    [{ path: 'a.bin', encoding: 'base64', content: 'not base64!' }, 'not valid base64'],
    [{ path: 'a.bin', encoding: 'base64', content: 'AAE' }, 'not valid base64'],
    [{ path: 'a.bin', encoding: 'base64', content: 'AA==AA==' }, 'not valid base64'],
    [{ path: 'a.txt', encoding: 'utf8', content: 'half a pair \ud83d' }, 'not valid Unicode text'],
  ] as const)('leaves out content that does not match its encoding: %j', (file, why) => {
    const checked = check([file]);
    expect(checked.files).toEqual([]);
    expect(checked.droppedFiles?.files).toEqual([{ path: file.path, reason: 'invalid_content', message: expect.stringContaining(why) }]);
  });

  it('keeps at most 100 files and says how many more there were', () => {
    const files = Array.from({ length: 130 }, (_, index) => text(`f${index}.txt`));
    const checked = check(files);
    expect(checked.files).toHaveLength(100);
    expect(checked.files.at(-1)?.path).toBe('f99.txt');
    expect(checked.droppedFiles?.count).toBe(30);
    expect(checked.droppedFiles?.files.map((file) => file.reason)).toEqual(Array(30).fill('count_limit'));
    expect(checked.droppedFiles?.summary).toMatch(/^30 output files were left out: "f100.txt" \(.*100 files\);.* and 27 more/);
  });

  it('keeps at most 16 MiB in all: a file that would pass it is left out, a later one that fits is kept', () => {
    const mib = 'a'.repeat(MIB);
    const files = [...Array.from({ length: 15 }, (_, index) => text(`big${index}`, mib)), text('half', 'b'.repeat(MIB / 2))];
    files.push(text('too-big', mib), text('fits', 'c'.repeat(MIB / 2)), text('one-byte-over', 'd'));
    const checked = check(files);
    expect(checked.files.map((file) => file.path)).toEqual([...Array.from({ length: 15 }, (_, index) => `big${index}`), 'half', 'fits']);
    expect(checked.files.reduce((total, file) => total + file.sizeBytes, 0)).toBe(16 * MIB);
    expect(checked.droppedFiles?.files).toEqual([
      { path: 'too-big', reason: 'size_limit', message: expect.stringContaining('16 MiB') },
      { path: 'one-byte-over', reason: 'size_limit', message: expect.stringContaining('16 MiB') },
    ]);
    expect(() => contracts.executionResultSchema.shape.files.parse(checked.files)).not.toThrow();
  });

  it('leaves out a second file with the same path, and a file that is also used as a folder', () => {
    const checked = check([text('a', '1'), text('a', '2'), text('a/b'), text('c/d'), text('c')]);
    expect(checked.files).toEqual([{ path: 'a', sizeBytes: 1, encoding: 'utf8', content: '1' }, expect.objectContaining({ path: 'c/d' })]);
    expect(checked.droppedFiles?.files.map((file) => [file.path, file.reason])).toEqual([
      ['a', 'path_conflict'],
      ['a/b', 'path_conflict'],
      ['c', 'path_conflict'],
    ]);
  });
});

describe('checkOutputFiles: what the sandbox says it left out', () => {
  it('lists it in its own words, escapes the names and counts the unnamed ones', () => {
    const checked = check([text('kept.txt')], {
      count: 7,
      files: [
        { path: 'loop', reason: 'symlink' },
        { path: 'evil\u001b[31m', reason: 'count_limit' },
      ],
    });
    expect(checked.files).toHaveLength(1);
    expect(checked.droppedFiles).toMatchObject({
      count: 7,
      files: [
        { path: 'loop', reason: 'symlink', message: 'it is a symbolic link; links are not followed' },
        { path: 'evil\\u001b[31m', reason: 'count_limit', message: 'a run returns at most 100 files' },
      ],
    });
    expect(checked.droppedFiles?.summary).toContain('and 5 more');
  });

  it('never counts fewer than it names, and says nothing when nothing was left out', () => {
    expect(check([], { count: 0, files: [{ path: 'x', reason: 'symlink' }] }).droppedFiles?.count).toBe(1);
    expect(check([text('a')], { count: 0, files: [] })).toEqual({ files: [expect.objectContaining({ path: 'a' })] });
  });
});

describe('limits shared with the sandbox', () => {
  it('are the same numbers on both sides (the sandbox cannot load @umca/contracts)', () => {
    expect(workspace.MAX_OUTPUT_FILES).toBe(contracts.MAX_OUTPUT_FILES);
    expect(workspace.MAX_OUTPUT_FILES_BYTES).toBe(contracts.MAX_OUTPUT_FILES_BYTES);
    expect(workspace.MAX_PATH_LENGTH).toBe(contracts.MAX_PATH_LENGTH);
    expect(workspace.MAX_LISTED_DROPPED_FILES).toBe(contracts.MAX_LISTED_DROPPED_FILES);
  });
});
