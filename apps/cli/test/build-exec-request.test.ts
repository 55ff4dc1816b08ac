/**
 * `umca exec`'s flags becoming a request, in process: every flag that maps to a request field is
 * refused in the words of the command line (the flag, what was given, the range allowed), never
 * as the request field it became (`limits.memoryMb`) or a bare error code (`ENOENT`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CODE_BYTES, MAX_LIMITS, MIN_LIMITS } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { buildExecRequest, type ExecArguments } from '../src/commands/build-exec-request.js';

const work = mkdtempSync(join(tmpdir(), 'umca-exec-flags-'));
writeFileSync(join(work, 'data.csv'), 'a,b\n1,2\n');
writeFileSync(join(work, 'big.txt'), 'x'.repeat(MAX_CODE_BYTES + 1));
mkdirSync(join(work, 'folder.py'));

function refusal(flags: Partial<ExecArguments>, stdin = ''): string {
  const args: ExecArguments = { allowHost: [], file: [], arg: [], ...flags };
  try {
    buildExecRequest(args, () => Buffer.from(stdin));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the request was accepted');
}

const python = { language: 'python', code: 'print(1)' } as const;
const at = (name: string) => join(work, name);

describe('umca exec refuses', () => {
  it.each<[string, Partial<ExecArguments>, string]>([
    [
      'a limit below its range',
      { ...python, memoryMb: '1' },
      `--memory-mb takes a whole number of MiB from ${MIN_LIMITS.memoryMb} to ${MAX_LIMITS.memoryMb}, not "1"`,
    ],
    [
      'a limit above its range',
      { ...python, timeoutMs: '999999999' },
      `--timeout-ms takes a whole number of ms from 1 to ${MAX_LIMITS.timeoutMs}, not "999999999"`,
    ],
    [
      'a limit that is not a number',
      { ...python, outputBytes: '1e3' },
      `--output-bytes takes a whole number of bytes from 1 to ${MAX_LIMITS.outputBytes}, not "1e3"`,
    ],
    [
      'an allowed host without a scheme',
      { ...python, allowHost: ['https://ok.example.com', 'example.com'] },
      '--allow-host "example.com" has no scheme',
    ],
    [
      'an input file that is not there',
      { ...python, file: [at('missing.csv')] },
      `cannot read --file "${at('missing.csv')}": there is no such file`,
    ],
    [
      'an input file put outside the working directory',
      { ...python, file: [`${at('data.csv')}=../up.csv`] },
      `--file "${at('data.csv')}=../up.csv" (the path in the sandbox) must be a relative path`,
    ],
    ['an input file with an empty path', { ...python, file: [`${at('data.csv')}=`] }, 'this one is empty'],
    [
      'too many input files',
      { ...python, file: Array.from({ length: 101 }, () => at('data.csv')) },
      '--file is given too many times: at most 100',
    ],
    [
      'a --stdin file that is not there',
      { ...python, stdin: at('missing.txt') },
      `cannot read --stdin "${at('missing.txt')}": there is no such file`,
    ],
    [
      'a --stdin file over the limit',
      { ...python, stdin: at('big.txt') },
      `--stdin "${at('big.txt')}" is too long: at most ${MAX_CODE_BYTES} characters`,
    ],
    [
      '--code over the limit',
      { language: 'python', code: 'x'.repeat(MAX_CODE_BYTES + 1) },
      `--code is too long: at most ${MAX_CODE_BYTES} characters`,
    ],
    ['a program file over the limit', { language: 'python', source: at('big.txt') }, `the program "${at('big.txt')}" is too long`],
    ['--arg for a program that is not a wasi module', { ...python, arg: ['x'] }, '--arg is for wasi modules only'],
    [
      'too many --arg',
      { source: at('data.csv'), language: 'wasi', arg: Array.from({ length: 257 }, () => 'x') },
      '--arg is given too many times: at most 256',
    ],
    ['an unknown --language', { language: 'cobol', code: 'x' }, 'unknown language "cobol"'],
  ])('%s, naming the flag', (_, flags, message) => {
    const text = refusal(flags);
    expect(text).toContain(message);
    expect(text).not.toMatch(/limits\.|allowedOutboundHosts|files\[|files\.\d|stdin:|ENOENT|Too (big|small)/);
  });

  it('a program it cannot read, saying in words which file and why', () => {
    const relative = refusal({ source: 'nosuch.py' });
    expect(relative).toBe(`cannot read the program "nosuch.py": there is no such file (looked for ${join(process.cwd(), 'nosuch.py')})`);
    expect(refusal({ source: at('folder.py') })).toBe(`cannot read the program "${at('folder.py')}": it is a folder, not a file`);
  });

  it('code on stdin over the limit, saying it came from stdin', () => {
    expect(refusal({ source: '-', language: 'python' }, 'x'.repeat(MAX_CODE_BYTES + 1))).toContain('the program on stdin is too long');
  });
});

describe('umca exec accepts', () => {
  it('every flag at the ends of its range, and the files it is given', () => {
    const accepted = buildExecRequest(
      {
        ...python,
        allowHost: ['https://api.example.com'],
        file: [`${at('data.csv')}=input/data.csv`],
        arg: [],
        timeoutMs: String(MAX_LIMITS.timeoutMs),
        memoryMb: String(MIN_LIMITS.memoryMb),
        outputBytes: String(MIN_LIMITS.outputBytes),
      },
      () => Buffer.alloc(0),
    );
    expect(accepted.request).toMatchObject({
      limits: { timeoutMs: MAX_LIMITS.timeoutMs, memoryMb: MIN_LIMITS.memoryMb, outputBytes: MIN_LIMITS.outputBytes },
      files: [{ path: 'input/data.csv' }],
    });
    expect(accepted.egress.allowedOutboundHosts).toEqual(['https://api.example.com']);
  });
});
