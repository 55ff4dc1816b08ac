import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCacheFile } from '../src/host/wasm-code-cache-file.js';
import { encodeCodeCache, readCodeCache } from '../src/sandbox/code-cache-file.js';

const payload = Buffer.from(Array.from({ length: 4096 }, (_, index) => index % 251));

describe('the compiled-code cache file', () => {
  it('gives back exactly the bytes it was made from', () => {
    const read = readCodeCache(encodeCodeCache(payload));
    expect('payload' in read && Buffer.from(read.payload).equals(payload)).toBe(true);
  });

  it('refuses a file that is damaged, cut short, empty or not a cache, and says which', () => {
    const file = encodeCodeCache(payload);
    const damaged = Buffer.from(file);
    damaged[damaged.length - 100] ^= 0x01;
    expect(readCodeCache(damaged)).toEqual({ refused: 'its SHA-256 does not match (damaged or cut short)' });
    expect(readCodeCache(file.subarray(0, file.length - 1))).toEqual({ refused: 'its SHA-256 does not match (damaged or cut short)' });
    expect(readCodeCache(encodeCodeCache(new Uint8Array(0)))).toEqual({ refused: 'the cache is empty' });
    expect(readCodeCache(payload)).toEqual({ refused: 'not a UMCA code cache (unknown header)' });
    expect(readCodeCache(new Uint8Array(0))).toEqual({ refused: 'not a UMCA code cache (unknown header)' });
  });

  it('is named after everything the code depends on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'umca-code-cache-'));
    const warmUp = join(dir, 'warm-up.js');
    writeFileSync(warmUp, 'one');
    const name = (flags: string[], kind: 'pyodide' | 'quickjs' = 'pyodide') =>
      codeCacheFile(dir, { kind, files: [warmUp], nodeFlags: flags });
    const first = name(['--single-threaded']);
    expect(first).toMatch(new RegExp(`^${dir}/wasm-code-pyodide-[0-9a-f]{16}\\.cache$`));
    expect(name(['--single-threaded'])).toBe(first);
    expect(name(['--single-threaded', '--no-liftoff'])).not.toBe(first);
    expect(name(['--single-threaded'], 'quickjs')).toMatch(/wasm-code-quickjs-/);
    writeFileSync(warmUp, 'two');
    expect(name(['--single-threaded'])).not.toBe(first);
  });
});
