/**
 * V8's compiled-WebAssembly cache across runner starts (sandbox/wasm-code-cache.ts): the first
 * start makes it, the next uses it, and a cache that is damaged or not V8's is refused and
 * replaced, never loaded. (A cache with a valid header and hostile machine code is outside what
 * this can catch: the cache folder is trusted like the runner's own files; see docs/runner.md.)
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunner, type Runner } from '../src/index.js';
import { encodeCodeCache, readCodeCache } from '../src/sandbox/code-cache-file.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'umca-code-cache-'));
const runners: Runner[] = [];
afterAll(async () => {
  for (const runner of runners) await runner.close();
});

/** Starts a runner on `cacheDir`; returns it with what its zygotes said about the cache. */
async function start(): Promise<{ runner: Runner; said: string[] }> {
  const said: string[] = [];
  const note = (message: unknown) => said.push(typeof message === 'string' ? message : JSON.stringify(message));
  const runner = await createRunner({
    cacheDir,
    concurrency: 1,
    warmChildren: 1,
    logger: { info() {}, debug: note, warn: (...args: unknown[]) => note(args.at(-1)), error() {} },
  });
  runners.push(runner);
  return { runner, said };
}

const cacheFiles = () => readdirSync(cacheDir).filter((name) => name.startsWith('wasm-code-') && name.endsWith('.cache'));
const pyodideCache = () => join(cacheDir, cacheFiles().find((name) => name.startsWith('wasm-code-pyodide-')) ?? 'missing');

async function expectWorking(runner: Runner): Promise<void> {
  const python = await runner.run({ language: 'python', code: 'print(sum(i * i for i in range(200001)))' });
  expect(python).toMatchObject({ status: 'ok', stdout: '2666686666700000\n' });
  const javascript = await runner.run({
    language: 'javascript',
    code: 'let s = 0; for (let i = 0; i < 200001; i++) s += i * i; console.log(s)',
  });
  expect(javascript).toMatchObject({ status: 'ok', stdout: '2666686666700000\n' });
}

describe('the compiled-code cache', () => {
  it('is made by the first start, readable by all, and used by the next', async () => {
    // Spare the first start rebuilding the Pyodide snapshot: it is keyed the same in any folder.
    const snapshots = join(process.env.UMCA_CACHE_DIR ?? join(process.env.HOME ?? '', '.cache', 'umca'));
    for (const name of existsSync(snapshots) ? readdirSync(snapshots) : [])
      if (name.endsWith('.snapshot')) copyFileSync(join(snapshots, name), join(cacheDir, name));

    const first = await start();
    expect(first.said.filter((line) => line.includes('code cache: made'))).toHaveLength(2);
    expect(cacheFiles().sort()).toEqual([expect.stringMatching(/^wasm-code-pyodide-/), expect.stringMatching(/^wasm-code-quickjs-/)]);
    for (const name of cacheFiles()) {
      expect(statSync(join(cacheDir, name)).mode & 0o777).toBe(0o644);
      expect(readCodeCache(readFileSync(join(cacheDir, name)))).toHaveProperty('payload');
    }
    await expectWorking(first.runner);

    const second = await start();
    expect(second.said.filter((line) => line.includes('code cache: used'))).toHaveLength(2);
    await expectWorking(second.runner);
  });

  it('refuses a damaged cache, says so, works without it and replaces it', async () => {
    const file = pyodideCache();
    const damaged = readFileSync(file);
    damaged[damaged.length - 1000] ^= 0xff;
    writeFileSync(file, damaged);
    const { runner, said } = await start();
    expect(said).toContainEqual(expect.stringContaining('was not used (refused: its SHA-256 does not match (damaged or cut short))'));
    await expectWorking(runner);
    expect(readCodeCache(readFileSync(file))).toHaveProperty('payload');
  });

  it('refuses bytes that are not V8 code even under a valid digest', async () => {
    const file = pyodideCache();
    writeFileSync(file, encodeCodeCache(Buffer.from('MZ\u0000\u0000 not a serialized WebAssembly module '.repeat(1000))));
    const { runner, said } = await start();
    expect(said).toContainEqual(expect.stringContaining('was not used (refused: V8 did not take it)'));
    await expectWorking(runner);
    expect(readCodeCache(readFileSync(file))).toHaveProperty('payload');
  });
});
