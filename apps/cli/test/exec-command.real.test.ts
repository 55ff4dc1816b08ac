/**
 * The real `umca` command, run as a user runs it: a separate process, a real sandbox.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/umca.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'umca-cli-'));

function umca(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: work, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

describe('umca exec', () => {
  it('runs a Python file (language from the extension) and prints its own output', async () => {
    writeFileSync(join(work, 'hello.py'), 'print("hello from python")\n');
    expect(await umca(['exec', 'hello.py'])).toEqual({ code: 0, stdout: 'hello from python\n', stderr: '' });
  });

  it('runs JavaScript given with --code', async () => {
    expect(await umca(['exec', '--language', 'javascript', '--code', 'console.log(6 * 7)'])).toMatchObject({ code: 0, stdout: '42\n' });
  });

  it('reads the code from stdin with -', async () => {
    expect(await umca(['exec', '-l', 'python', '-'], 'print(sum(range(10)))')).toMatchObject({ code: 0, stdout: '45\n' });
  });

  it('prints exactly one JSON object with --json', async () => {
    const { code, stdout } = await umca(['exec', '--json', '-l', 'python', '-c', 'print("x")']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'ok', exitCode: 0, stdout: 'x\n', stderr: '', lane: 'wasm' });
    expect(typeof JSON.parse(stdout).durationMs).toBe('number');
  });

  it("exits with the program's code and one line of reason on failure", async () => {
    const failed = await umca(['exec', '-l', 'python', '-c', 'raise ValueError("bad")']);
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n').at(-1)).toBe('umca: error: ValueError: bad');
    expect((await umca(['exec', '-l', 'python', '-c', 'import sys; sys.exit(4)'])).code).toBe(4);
    const slow = await umca(['exec', '--timeout-ms', '300', '-l', 'javascript', '-c', 'while (true) {}']);
    expect(slow.code).toBe(124);
    expect(slow.stderr).toContain('umca: timeout:');
  });

  it('passes limits, allowed hosts, input files and writes output files', async () => {
    writeFileSync(join(work, 'data.txt'), 'three words here');
    const outDir = join(work, 'out');
    const result = await umca([
      'exec',
      '--json',
      '--timeout-ms',
      '5000',
      '--memory-mb',
      '128',
      '--allow-host',
      'https://example.com',
      '--file',
      'data.txt=input/data.txt',
      '--out-dir',
      outDir,
      '-l',
      'python',
      '-c',
      'import pathlib\nwords = pathlib.Path("input/data.txt").read_text().split()\npathlib.Path("count.txt").write_text(str(len(words)))',
    ]);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'ok', files: [{ path: 'count.txt', content: '3' }] });
    expect(readFileSync(join(outDir, 'count.txt'), 'utf8')).toBe('3');
  });

  it('writes no file whose name has control characters, and says so on one escaped line', async () => {
    const outDir = join(work, 'odd-names');
    const result = await umca([
      'exec',
      '--out-dir',
      outDir,
      '-l',
      'python',
      '-c',
      'open("ok.txt", "w").write("fine")\nfor name in ["esc\\x1b[2J.txt", "bell\\x07.txt", "new\\nline.txt"]:\n    open(name, "w").write("x")',
    ]);
    expect(result.code).toBe(0);
    expect(readdirSync(outDir)).toEqual(['ok.txt']);
    expect(result.stderr).toBe(
      'umca: 3 output files were left out: "esc\\u001b[2J.txt" (the name has a control character (U+001B)); ' +
        '"bell\\u0007.txt" (the name has a control character (U+0007)); "new\\nline.txt" (the name has a control character (U+000A))\n',
    );
  });

  it('still prints one JSON result for bad input with --json', async () => {
    const { code, stdout } = await umca(['exec', '--json', '-l', 'ruby', '-c', 'puts 1']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'rejected', exitCode: null, stdout: '', stderr: '', lane: 'wasm', durationMs: 0 });
  });

  it.each([
    [['exec', '-l', 'ruby', '-c', 'puts 1'], 'unknown language "ruby"'],
    [['exec', 'missing.py'], 'cannot read the program "missing.py": there is no such file'],
    [['exec', 'notes.txt'], 'cannot tell the language'],
    [['exec', '-'], 'say which language'],
    [['exec'], 'nothing to run'],
    [['exec', '-l', 'python', '-c', 'x', '--timeout-ms', 'soon'], '--timeout-ms takes a whole number'],
    [['exec', '-l', 'python', '-c', 'x', '--allow-host', 'example.com'], 'has no scheme'],
    [['exec', '-l', 'python', '-c', 'x', '--timeout-ms', '99999999'], '--timeout-ms takes a whole number of ms from 1 to 300000'],
    [['exec', '-l', 'python', '-c', 'x', '--memory-mb', '1'], '--memory-mb takes a whole number of MiB from 16 to 4096, not "1"'],
  ])('refuses bad input %j with exit code 2 and a clear message', async (args, message) => {
    const result = await umca(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
