/**
 * WebAssembly tiers up in the zygote (src/sandbox/warm-up.ts), never in a child: V8 compiles on
 * worker threads, and a forked child has none. A child whose program runs hot in functions the
 * warm-up never reached asks V8 for optimised code that never comes; it must simply go on in the
 * baseline code and finish, with the right answer, however many children do it. The request
 * stays pending in Node's count of worker tasks: the child must not wait for it when its event loop
 * runs dry (src/sandbox/child-event-loop.ts).
 */
import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner();

describe('code the zygote did not warm up, run hot in children', () => {
  it('Python: hashing, decimal and zlib loops finish with the right answers, run after run', async () => {
    const code = `
import hashlib, zlib
from decimal import Decimal, getcontext
getcontext().prec = 50
digest = b""
for i in range(3000):
    digest = hashlib.sha256(digest + str(i).encode()).digest()
total = sum(Decimal(1) / Decimal(i) for i in range(1, 3000))
packed = zlib.compress(bytes(range(256)) * 2000)
print(digest.hex()[:16], str(total)[:20], zlib.decompress(packed) == bytes(range(256)) * 2000)
`;
    const expected = (await runner().run({ language: 'python', code, limits: { timeoutMs: 60_000 } })).stdout;
    expect(expected).toMatch(/^[0-9a-f]{16} 8\.583\d+ True\n$/);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runner().run({ language: 'python', code, limits: { timeoutMs: 60_000 } })),
    );
    for (const result of results) expect(result).toMatchObject({ status: 'ok', stdout: expected });
  });

  it('Python: a hot WebAssembly function of its own, then an await V8 settles from a foreground task, finishes', async () => {
    // Ten million turns of its loop make V8 tier it up, which posts a compile job to a worker
    // thread the child does not have. compileStreaming's refusal arrives from a foreground task
    // once the loop is otherwise idle: before child-event-loop.ts, Node first waited for that job,
    // forever, and the run hit its time limit.
    const { default: wabtInit } = await import('wabt');
    const wabt = await wabtInit();
    const spin = wabt.parseWat(
      'spin.wat',
      `(module (func (export "spin") (param i32) (result i32) (local i32)
         (loop (local.set 1 (i32.add (local.get 1) (local.get 0)))
               (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
               (br_if 0 (local.get 0)))
         (local.get 1)))`,
    );
    const code = `
import js
from pyodide.ffi import JsException, to_js
wasm = bytes.fromhex("${Buffer.from(spin.toBinary({}).buffer).toString('hex')}")
spin = js.WebAssembly.Instance.new(js.WebAssembly.Module.new(to_js(wasm))).exports.spin
print(spin(10_000_000))
try:
    await js.WebAssembly.compileStreaming(js.Promise.resolve(1))
except JsException as error:
    print(error.js_error.name)
`;
    const result = await runner().run({ language: 'python', code, limits: { timeoutMs: 20_000 } });
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout).toBe('-2004260032\nTypeError\n');
  });

  it('JavaScript: regular expressions and typed arrays run hot finish with the right answer', async () => {
    const code = `
let hits = 0;
const text = Array.from({ length: 5000 }, (_, i) => 'item-' + i + ';').join('');
for (let round = 0; round < 20; round++) hits += (text.match(/item-(\\d*7);/g) ?? []).length;
const data = new Float64Array(200000);
for (let i = 0; i < data.length; i++) data[i] = Math.sin(i);
console.log(hits, data.reduce((a, b) => a + b, 0).toFixed(6));`;
    const results = await Promise.all(
      Array.from({ length: 3 }, () => runner().run({ language: 'javascript', code, limits: { timeoutMs: 60_000 } })),
    );
    for (const result of results) expect(result).toMatchObject({ status: 'ok', stdout: expect.stringMatching(/^10000 -?\d+\.\d{6}\n$/) });
    expect(new Set(results.map((result) => result.stdout)).size).toBe(1);
  });
});
