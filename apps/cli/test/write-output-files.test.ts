/**
 * `--out-dir` as the last wall before the user's disk and terminal, in-process: files with names
 * the runner's host would never pass on (as from an older or compromised runner) must not be
 * written, and the message that says so must not carry the raw name.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutputFile } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { writeOutputFiles } from '../src/commands/write-output-files.js';

const file = (path: string, content = 'x'): OutputFile => ({ path, sizeBytes: Buffer.byteLength(content), encoding: 'utf8', content });

describe('writeOutputFiles', () => {
  it('writes only plain relative names inside the folder and says, escaped, what it refused', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'umca-out-'));
    const outDir = join(parent, 'out');
    mkdirSync(outDir);
    const problems = await writeOutputFiles(
      [
        file('../escaped.txt'),
        file('/tmp/absolute.txt'),
        file('ok/../../escaped.txt'),
        file('esc\u001b[2J.txt'),
        file('bell\u0007.txt'),
        file('new\nline.txt'),
        file('rtl\u202etxt.exe'),
        file('good/file.txt', 'kept'),
        { path: 'good/bytes.bin', sizeBytes: 2, encoding: 'base64', content: 'AP8=' },
      ],
      outDir,
    );
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(outDir)).toEqual(['good']);
    expect(readdirSync(join(outDir, 'good')).sort()).toEqual(['bytes.bin', 'file.txt']);
    expect(readFileSync(join(outDir, 'good/file.txt'), 'utf8')).toBe('kept');
    expect([...readFileSync(join(outDir, 'good/bytes.bin'))]).toEqual([0, 255]);

    expect(problems).toHaveLength(7);
    expect(problems[3]).toBe(
      `not writing "esc\\u001b[2J.txt" into ${outDir}: the name has a control character (U+001B); a file name must be a plain relative path`,
    );
    expect(problems[4]).toContain('"bell\\u0007.txt"');
    expect(problems[5]).toContain('"new\\nline.txt"');
    expect(problems[6]).toContain('bidirectional character (U+202E)');
    for (const problem of problems) expect(problem).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });
});
