/**
 * The cache folder after upgrades: the files a start uses are marked used and kept, other
 * versions' snapshot and code caches go once unused for the retention, fresh ones stay (another
 * version sharing the folder), and nothing that is not the runner's own file is touched.
 */
import { existsSync, mkdirSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEEP_UNUSED_MS, LEFTOVER_AFTER_MS, pruneStaleCacheFiles } from '../src/host/stale-cache-files.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const DAY = 86_400_000;

function folderWith(files: Record<string, { ageMs: number; bytes?: number }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'umca-cache-'));
  for (const [name, { ageMs, bytes = 10 }] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, Buffer.alloc(bytes));
    const at = new Date(NOW - ageMs);
    utimesSync(path, at, at);
  }
  return dir;
}

const CURRENT = 'pyodide-0123456789abcdef.snapshot';
const CURRENT_CODE = 'wasm-code-pyodide-00000000000000aa.cache';

describe('pruneStaleCacheFiles', () => {
  it("removes other versions' files unused for the retention, and keeps and marks the ones in use", () => {
    const dir = folderWith({
      [CURRENT]: { ageMs: 30 * DAY },
      [CURRENT_CODE]: { ageMs: 30 * DAY },
      'pyodide-fedcba9876543210.snapshot': { ageMs: KEEP_UNUSED_MS + DAY, bytes: 3000 },
      'wasm-code-quickjs-1111111111111111.cache': { ageMs: KEEP_UNUSED_MS + 1, bytes: 500 },
      'pyodide-2222222222222222.snapshot': { ageMs: KEEP_UNUSED_MS - DAY },
    });
    const pruned = pruneStaleCacheFiles(
      dir,
      [join(dir, CURRENT), join(dir, CURRENT_CODE), join(dir, 'wasm-code-quickjs-3333333333333333.cache')],
      {
        now: NOW,
      },
    );
    expect([...pruned.removed].sort()).toEqual(['pyodide-fedcba9876543210.snapshot', 'wasm-code-quickjs-1111111111111111.cache']);
    expect(pruned.bytes).toBe(3500);
    expect(existsSync(join(dir, 'pyodide-2222222222222222.snapshot'))).toBe(true);
    for (const name of [CURRENT, CURRENT_CODE]) expect(statSync(join(dir, name)).mtimeMs).toBe(NOW);
  });

  it('removes half-written files a crashed start left an hour ago, not one being written now', () => {
    const dir = folderWith({
      [`${CURRENT}.4242.tmp`]: { ageMs: LEFTOVER_AFTER_MS + 1 },
      [`${CURRENT_CODE}.77.partial`]: { ageMs: LEFTOVER_AFTER_MS + 1 },
      [`${CURRENT}.99.tmp`]: { ageMs: 60_000 },
    });
    const pruned = pruneStaleCacheFiles(dir, [join(dir, CURRENT)], { now: NOW });
    expect([...pruned.removed].sort()).toEqual([`${CURRENT}.4242.tmp`, `${CURRENT_CODE}.77.partial`]);
    expect(existsSync(join(dir, `${CURRENT}.99.tmp`))).toBe(true);
  });

  it('touches nothing that is not one of its own files, however old', () => {
    const dir = folderWith({
      'notes.txt': { ageMs: 400 * DAY },
      'pyodide-nothex0000000000.snapshot': { ageMs: 400 * DAY },
      'python-0123456789abcdef.cwasm': { ageMs: 400 * DAY },
      'wasm-code-other-0123456789abcdef.cache': { ageMs: 400 * DAY },
      'pyodide-0123456789abcdef.snapshot.bak': { ageMs: 400 * DAY },
    });
    mkdirSync(join(dir, 'pyodide-aaaaaaaaaaaaaaaa.snapshot'));
    utimesSync(join(dir, 'pyodide-aaaaaaaaaaaaaaaa.snapshot'), new Date(NOW - 400 * DAY), new Date(NOW - 400 * DAY));
    expect(pruneStaleCacheFiles(dir, [], { now: NOW })).toEqual({ removed: [], bytes: 0 });
    expect(existsSync(join(dir, 'pyodide-aaaaaaaaaaaaaaaa.snapshot'))).toBe(true);
  });

  it('does nothing, and does not throw, when the folder is not there', () => {
    expect(pruneStaleCacheFiles(join(tmpdir(), 'umca-no-such-folder', 'x'), [])).toEqual({ removed: [], bytes: 0 });
  });
});
