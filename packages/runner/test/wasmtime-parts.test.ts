/**
 * Finding the Wasmtime lane's prepared parts, and saying plainly why the lane is not there: not
 * prepared, being prepared, failed, or prepared for other guest modules.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findWasmtimeParts } from '../src/host/wasmtime-parts.js';

function cacheWith(files: Record<string, string>): string {
  const cache = mkdtempSync(join(tmpdir(), 'umca-parts-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(cache, 'wasmtime', name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
  return cache;
}

const PARTS = { 'umca_wasmtime.node': 'addon', 'python-0.cwasm': 'image', 'lib/python315.zip': 'zip' };
const manifest = (guestHash: string) =>
  JSON.stringify({ addon: 'umca_wasmtime.node', image: 'python-0.cwasm', stdlibDir: 'lib', mplDataDir: 'mpl-data', guestHash });

describe('findWasmtimeParts', () => {
  it('says how to prepare the lane when nothing is there', () => {
    expect(findWasmtimeParts(cacheWith({}), {})).toEqual({ why: expect.stringMatching(/not prepared \(run `npm run prepare:wasmtime`/) });
  });

  it('says a preparation is under way while its process lives', () => {
    expect(findWasmtimeParts(cacheWith({ 'prepare.lock': `${process.pid}\n` }), {})).toMatchObject({ preparing: true });
    // A lock left by a process that is gone is not a preparation.
    expect(findWasmtimeParts(cacheWith({ 'prepare.lock': '2147483646\n' }), {})).not.toHaveProperty('preparing');
  });

  it('gives the failure of the last preparation', () => {
    const found = findWasmtimeParts(cacheWith({ 'prepare.failed': 'cargo is needed\n' }), {});
    expect(found).toEqual({ why: 'its preparation failed: cargo is needed; run `npm run prepare:wasmtime` to try again' });
  });

  it('refuses an image made for other guest modules, and a missing part', () => {
    expect(findWasmtimeParts(cacheWith({ ...PARTS, 'lane.json': manifest('0000') }), {})).toEqual({
      why: expect.stringMatching(/prepared for other guest modules/),
    });
    expect(findWasmtimeParts(cacheWith({ 'lane.json': manifest('0000') }), {})).toEqual({
      why: expect.stringMatching(/umca_wasmtime.node is missing/),
    });
  });

  it('reads the folder UMCA_WASMTIME_DIR names', () => {
    const elsewhere = cacheWith({ 'prepare.lock': `${process.pid}\n` });
    expect(findWasmtimeParts('/nonexistent', { UMCA_WASMTIME_DIR: join(elsewhere, 'wasmtime') })).toMatchObject({ preparing: true });
  });
});
