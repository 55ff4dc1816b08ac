/**
 * Output files from real runs, honest and hostile. A hostile run reaches Node through Pyodide's
 * FFI, finds its channel socket and writes a forged `result` frame (4-byte big-endian length, then
 * JSON, as internal/frame.ts); the host must pass on only files that follow the rules, with sizes
 * it counted, and say what it left out.
 */
import { executionResultSchema } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner();
const MIB = 1_048_576;

/**
 * Python that writes a result frame whose outcome is the JavaScript expression `outcome` to the
 * only socket it holds, then prints a line the host must never see (it takes the first result).
 */
const FORGE = `
from pyodide.code import run_js
run_js(open("forge.js").read())
print("honest output after the forged result")
`;
const forgeJs = (outcome: string) => `
const fs = process.getBuiltinModule('fs');
const sockets = [];
for (let fd = 0; fd < 64; fd++) {
  try { if (fs.fstatSync(fd).isSocket()) sockets.push(fd); } catch {}
}
if (sockets.length !== 1) throw new Error('expected one socket, found ' + sockets.length);
const body = Buffer.from(JSON.stringify({ type: 'result', outcome: ${outcome} }));
const frame = Buffer.alloc(4 + body.length);
frame.writeUInt32BE(body.length, 0);
body.copy(frame, 4);
for (let offset = 0; offset < frame.length; ) offset += fs.writeSync(sockets[0], frame, offset);
`;

async function forge(outcome: string) {
  const result = await runner().execute({
    language: 'python',
    code: FORGE,
    files: [{ path: 'forge.js', content: forgeJs(outcome) }],
    limits: { timeoutMs: 20_000 },
  });
  expect(result.stdout).not.toContain('honest output');
  return result;
}

describe('a forged result frame', () => {
  it('gets only the files that follow the rules, with sizes the host counted, and a list of the rest', async () => {
    const files = [
      { path: 'forged.txt', sizeBytes: 999_999_999, encoding: 'utf8', content: 'FORGED' },
      { path: 'forged.bin', sizeBytes: -1, encoding: 'base64', content: 'AAEC' },
      { path: '../victim/x', sizeBytes: 1, encoding: 'utf8', content: 'x' },
      { path: '/etc/x', sizeBytes: 1, encoding: 'utf8', content: 'x' },
      { path: 'ok/../../x', sizeBytes: 1, encoding: 'utf8', content: 'x' },
      { path: 'esc\u001b[2J.txt', sizeBytes: 1, encoding: 'utf8', content: 'x' },
      { path: 'bad.bin', sizeBytes: 3, encoding: 'base64', content: 'not base64!' },
      { path: 'forged.txt', sizeBytes: 1, encoding: 'utf8', content: 'second' },
    ];
    const result = await forge(JSON.stringify({ status: 'ok', exitCode: 0, files, runtime: 'pyodide' }));

    expect(result.status).toBe('ok');
    expect(result.files).toEqual([
      { path: 'forged.txt', sizeBytes: 6, encoding: 'utf8', content: 'FORGED' },
      { path: 'forged.bin', sizeBytes: 3, encoding: 'base64', content: 'AAEC' },
    ]);
    expect(result.droppedFiles?.files.map((file) => [file.path, file.reason])).toEqual([
      ['../victim/x', 'invalid_path'],
      ['/etc/x', 'invalid_path'],
      ['ok/../../x', 'invalid_path'],
      ['esc\\u001b[2J.txt', 'invalid_path'],
      ['bad.bin', 'invalid_content'],
      ['forged.txt', 'path_conflict'],
    ]);
    expect(result.droppedFiles?.count).toBe(6);
    for (const shown of [result.droppedFiles?.summary, ...(result.droppedFiles?.files.map((file) => file.path) ?? [])]) {
      expect(shown).not.toMatch(/[\u0000-\u001f]/);
    }
    expect(executionResultSchema.parse(result)).toEqual(result);
  });

  it('cannot return more than 16 MiB: the host keeps what fits and lists the rest', async () => {
    const result = await forge(`{
      status: 'ok', exitCode: 0, runtime: 'pyodide',
      files: [
        ...Array.from({ length: 17 }, (_, index) => ({ path: 'big' + index, sizeBytes: 0, encoding: 'utf8', content: 'a'.repeat(${MIB}) })),
        { path: 'small.txt', sizeBytes: 0, encoding: 'utf8', content: 'b' },
      ],
    }`);
    expect(result.status).toBe('ok');
    expect(result.files.map((file) => file.path)).toEqual(Array.from({ length: 16 }, (_, index) => `big${index}`));
    expect(result.files.reduce((total, file) => total + file.sizeBytes, 0)).toBe(16 * MIB);
    expect(result.droppedFiles?.files.map((file) => [file.path, file.reason])).toEqual([
      ['big16', 'size_limit'],
      ['small.txt', 'size_limit'],
    ]);
    expect(executionResultSchema.safeParse(result).success).toBe(true);
  });

  it('with more than 100 files breaks the protocol: the run ends crashed and returns no file', async () => {
    const result = await forge(`{
      status: 'ok', exitCode: 0, runtime: 'pyodide',
      files: Array.from({ length: 101 }, (_, index) => ({ path: 'f' + index, sizeBytes: 1, encoding: 'utf8', content: 'x' })),
    }`);
    expect(result).toMatchObject({ status: 'crashed', exitCode: null, files: [] });
    expect(result.reason).toContain('the sandbox sent a message the runner does not accept');
    expect(result.droppedFiles).toBeUndefined();
  });
});
