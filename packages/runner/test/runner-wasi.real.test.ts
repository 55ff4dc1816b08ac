import { beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { useRunner } from './support/use-runner.js';

const runner = useRunner();
let assemble: (wat: string) => string;

beforeAll(async () => {
  const wabt = await wabtInit();
  assemble = (wat) => Buffer.from(wabt.parseWat('test.wat', wat).toBinary({}).buffer).toString('base64');
});

/** A WASI command that writes `text` to fd 1 (or 2) and exits with `code`. */
const writeAndExit = (text: string, code: number, fd = 1) => `
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "${text.replace(/\n/g, '\\n')}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const ${Buffer.byteLength(text)}))
    (drop (call $fd_write (i32.const ${fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const ${code}))))`;

describe('wasm32-wasi modules in the sandbox', () => {
  it('runs a command module and returns its output and exit code', async () => {
    expect(await runner().run({ language: 'wasi', module: assemble(writeAndExit('hello wasi\n', 0)) })).toMatchObject({
      status: 'ok',
      exitCode: 0,
      stdout: 'hello wasi\n',
      runtime: 'wasi',
    });
    expect(await runner().run({ language: 'wasi', module: assemble(writeAndExit('oops\n', 3, 2)) })).toMatchObject({
      status: 'error',
      exitCode: 3,
      stderr: 'oops\n',
    });
  });

  it('reports a trap as an error', async () => {
    const result = await runner().run({
      language: 'wasi',
      module: assemble('(module (memory (export "memory") 1) (func (export "_start") unreachable))'),
    });
    expect(result).toMatchObject({ status: 'error', error: { type: 'RuntimeError' } });
  });

  it('refuses modules that are not WASI commands, with a reason', async () => {
    const notWasm = await runner().run({ language: 'wasi', module: Buffer.from('not wasm').toString('base64') });
    expect(notWasm.error).toMatchObject({ type: 'CompileError' });
    const foreignImport = await runner().run({
      language: 'wasi',
      module: assemble('(module (import "env" "system" (func (param i32))) (memory (export "memory") 1) (func (export "_start")))'),
    });
    expect(foreignImport.error?.message).toContain('env.system');
  });

  it('passes arguments and reads and writes files in its preopened directory', async () => {
    // Copies argv[1] into a new file "out.txt" in the preopened directory (fd 3).
    const wat = `
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "out.txt")
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $n))
  (func (export "_start") (local $arg i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $args (i32.const 1000) (i32.const 2000)))
    (local.set $arg (i32.load (i32.const 1004)))
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 200) (i32.const 7) (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 8)))
    (i32.store (i32.const 16) (local.get $arg))
    (i32.store (i32.const 20) (call $strlen (local.get $arg)))
    (drop (call $write (i32.load (i32.const 8)) (i32.const 16) (i32.const 1) (i32.const 24)))))`;
    const result = await runner().run({ language: 'wasi', module: assemble(wat), args: ['copied text'] });
    expect(result.status).toBe('ok');
    expect(result.files).toEqual([{ path: 'out.txt', sizeBytes: 11, encoding: 'utf8', content: 'copied text' }]);
  });
});
