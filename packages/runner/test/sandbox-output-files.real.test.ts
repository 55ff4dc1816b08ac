/**
 * Output files from real runs, honest and hostile. A hostile run reaches Node through Pyodide's
 * FFI, finds its channel socket and writes a forged `result` frame (4-byte big-endian length, then
 * JSON, as internal/frame.ts); the host must pass on only files that follow the rules, with sizes
 * it counted, and say what it left out. Honest runs must not return links or odd names either.
 */
import { executionResultSchema } from '@umca/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { readSandboxTree } from './support/sandbox-processes.js';
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
  const result = await runner().run({
    language: 'python',
    code: FORGE,
    files: [{ path: 'forge.js', content: forgeJs(outcome) }],
    limits: { timeoutMs: 20_000 },
  });
  expect(result.stdout).not.toContain('honest output');
  return result;
}

describe('a forged result frame', () => {
  it('ends the run: a child that reports early and keeps running is killed, not left to spin', async () => {
    const result = await runner().run({
      language: 'python',
      code: 'from pyodide.code import run_js\nrun_js(open("forge.js").read())\nwhile True:\n    pass',
      files: [{ path: 'forge.js', content: forgeJs(JSON.stringify({ status: 'ok', exitCode: 0, files: [], runtime: 'pyodide' })) }],
      limits: { timeoutMs: 60_000 },
    });
    expect(result.status).toBe('ok');
    let spinning = readSandboxTree().children.filter((child) => child.state === 'R');
    for (let attempt = 0; attempt < 300 && spinning.length > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      spinning = readSandboxTree().children.filter((child) => child.state === 'R');
    }
    expect(spinning).toEqual([]);
  });

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
    const dropped = { count: 1_000, files: [{ path: 'bell\u0007', reason: 'symlink' }] };
    const result = await forge(JSON.stringify({ status: 'ok', exitCode: 0, files, droppedFiles: dropped, runtime: 'pyodide' }));

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
      ['bell\\u0007', 'symlink'],
    ]);
    expect(result.droppedFiles?.count).toBe(6 + 1_000);
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
  it('that breaks the protocol ends the run even when valid results follow it', async () => {
    // After the refused frame, the program floods the channel with well-formed results until the
    // host's kill lands; none of them may decide how the run ends.
    const result = await runner().run({
      language: 'python',
      code: FORGE,
      files: [
        {
          path: 'forge.js',
          content: `${forgeJs("{ status: 'ok', exitCode: 0, runtime: 'pyodide', files: [{ path: 'x', encoding: 'utf8', content: 7 }] }")}
const valid = Buffer.from(JSON.stringify({ type: 'result', outcome: { status: 'ok', exitCode: 0, runtime: 'pyodide', files: [{ path: 'late.txt', encoding: 'utf8', content: 'late' }] } }));
const late = Buffer.alloc(4 + valid.length);
late.writeUInt32BE(valid.length, 0);
valid.copy(late, 4);
for (let sent = 0; sent < 100000; sent++) {
  try { fs.writeSync(sockets[0], late); } catch { break; }
}
`,
        },
      ],
      limits: { timeoutMs: 20_000 },
    });
    expect(result).toMatchObject({ status: 'crashed', exitCode: null, files: [] });
    expect(result.reason).toContain('the sandbox sent a message the runner does not accept');
  });
});

describe('files an honest Python run leaves', () => {
  it('are returned without links and without names that break the rule, and the result names what it left out', async () => {
    const result = await runner().run({
      language: 'python',
      code: `
import os
open("ok.txt", "w").write("fine")
os.mkdir("sub")
open("sub/inner.txt", "w").write("inner")
for name in ["esc\\x1b[2J.txt", "bell\\x07.txt", "new\\nline.txt", "back\\\\slash.txt"]:
    open(name, "w").write("odd name")
os.symlink("/work", "loop")
os.symlink("/lib", "lib")
os.symlink("ok.txt", "ok-link.txt")
os.symlink("/work", "sub/up")
print(len(os.listdir("loop")), len(os.listdir("lib")) > 0)
`,
    });
    expect(result.status).toBe('ok');
    // The links work inside the sandbox (so the walk really met them) ...
    expect(result.stdout).toBe('9 True\n');
    // ... and only the two real files with plain names come back.
    expect(result.files).toEqual([
      { path: 'ok.txt', sizeBytes: 4, encoding: 'utf8', content: 'fine' },
      { path: 'sub/inner.txt', sizeBytes: 5, encoding: 'utf8', content: 'inner' },
    ]);
    expect(result.droppedFiles?.count).toBe(8);
    expect(Object.fromEntries(result.droppedFiles?.files.map((file) => [file.path, file.reason]) ?? [])).toEqual({
      'esc\\u001b[2J.txt': 'invalid_path',
      'bell\\u0007.txt': 'invalid_path',
      'new\\nline.txt': 'invalid_path',
      'back\\\\slash.txt': 'invalid_path',
      loop: 'symlink',
      lib: 'symlink',
      'ok-link.txt': 'symlink',
      'sub/up': 'symlink',
    });
    expect(result.droppedFiles?.summary).toMatch(/^8 output files were left out: /);
    expect(result.droppedFiles?.summary).not.toMatch(/[\u0000-\u001f]/);
  });

  it('lists a name longer than 255 characters (or a folder already that long) once, without ending the run', async () => {
    const result = await runner().run({
      language: 'python',
      code: 'import os\ndeep = "d" * 200 + "/" + "e" * 100\nos.makedirs(deep)\nfor name in ["a", "b"]:\n    open(f"{deep}/{name}", "w").write("x")\nopen("n" * 300, "w").write("x")\nopen("ok.txt", "w").write("x")',
    });
    expect(result).toMatchObject({ status: 'ok', files: [{ path: 'ok.txt' }] });
    expect(result.files).toHaveLength(1);
    expect(result.droppedFiles?.count).toBe(2);
    expect(result.droppedFiles?.files).toEqual([
      { path: `${'d'.repeat(200)}…`, reason: 'invalid_path', message: 'the name is longer than 255 characters' },
      { path: `${'n'.repeat(200)}…`, reason: 'invalid_path', message: 'the name is longer than 255 characters' },
    ]);
  });

  it('returns nothing from a working directory that was replaced by a link, and says so', async () => {
    const result = await runner().run({
      language: 'python',
      code: 'import os\nos.chdir("/")\nos.rename("/work", "/elsewhere")\nos.symlink("/lib", "/work")\nprint(len(os.listdir("/work")) > 0)',
    });
    expect(result).toMatchObject({ status: 'ok', stdout: 'True\n', files: [] });
    expect(result.droppedFiles?.files).toEqual([{ path: '.', reason: 'symlink', message: expect.stringContaining('symbolic link') }]);
  });

  it('reports hitting the 100-file cap instead of cutting silently', async () => {
    const result = await runner().run({
      language: 'python',
      code: 'for index in range(103):\n    open(f"f{index:03}.txt", "w").write(str(index))',
    });
    expect(result.files).toHaveLength(100);
    expect(result.droppedFiles).toMatchObject({
      count: 3,
      files: [
        { path: 'f100.txt', reason: 'count_limit' },
        { path: 'f101.txt', reason: 'count_limit' },
        { path: 'f102.txt', reason: 'count_limit' },
      ],
    });
  });

  it('reports hitting the 16 MiB cap instead of cutting silently', async () => {
    const result = await runner().run({
      language: 'python',
      code: 'for index in range(17):\n    open(f"big{index:02}.bin", "wb").write(b"a" * 1048576)\nopen("small.txt", "w").write("kept")',
    });
    expect(result.status).toBe('ok');
    expect(result.files.map((file) => file.path)).toEqual([
      ...Array.from({ length: 16 }, (_, index) => `big${String(index).padStart(2, '0')}.bin`),
    ]);
    expect(result.files.reduce((total, file) => total + file.sizeBytes, 0)).toBe(16 * MIB);
    expect(result.droppedFiles?.files.map((file) => [file.path, file.reason])).toEqual([
      ['big16.bin', 'size_limit'],
      ['small.txt', 'size_limit'],
    ]);
  });
});

describe('files an honest WASI module leaves', () => {
  let touchEachArgument: string;
  beforeAll(async () => {
    const wabt = await wabtInit();
    // Creates an empty file in the preopened directory (fd 3) for each argument after argv[0].
    const wat = `
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $n))
  (func (export "_start") (local $index i32) (local $arg i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $args (i32.const 1024) (i32.const 8192)))
    (local.set $index (i32.const 1))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $index) (i32.load (i32.const 0))))
      (local.set $arg (i32.load (i32.add (i32.const 1024) (i32.mul (local.get $index) (i32.const 4)))))
      (drop (call $open (i32.const 3) (i32.const 0) (local.get $arg) (call $strlen (local.get $arg))
        (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 8)))
      (local.set $index (i32.add (local.get $index) (i32.const 1)))
      (br $next)))))`;
    touchEachArgument = Buffer.from(wabt.parseWat('touch.wat', wat).toBinary({}).buffer).toString('base64');
  });

  it('leave out names that break the rule and report the 100-file cap', async () => {
    const names = Array.from({ length: 101 }, (_, index) => `f${String(index).padStart(3, '0')}`);
    const result = await runner().run({ language: 'wasi', module: touchEachArgument, args: ['esc\u001b[2J', 'back\\slash', ...names] });
    expect(result.status).toBe('ok');
    // The sandbox's cap counts every regular file it finds; the host then leaves out the two
    // whose names break the rule, so 98 come back.
    expect(result.files.map((file) => file.path)).toEqual(names.slice(0, 98));
    expect(result.files[0]).toEqual({ path: 'f000', sizeBytes: 0, encoding: 'utf8', content: '' });
    expect(result.droppedFiles?.files.map((file) => [file.path, file.reason])).toEqual([
      ['esc\\u001b[2J', 'invalid_path'],
      ['back\\\\slash', 'invalid_path'],
      ['f098', 'count_limit'],
      ['f099', 'count_limit'],
      ['f100', 'count_limit'],
    ]);
  });
});
