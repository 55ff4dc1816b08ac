/**
 * The zygote's steps before its first fork (src/sandbox/zygote-memory.ts), run in this test
 * process: they touch only the calling process, so they can be checked here directly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backgroundCompilationSettled, collapseLargeRegions, releaseBuffer } from '../src/sandbox/zygote-memory.js';

const anonHugePages = () => Number(readFileSync('/proc/self/smaps_rollup', 'utf8').match(/^AnonHugePages:\s+(\d+) kB/m)?.[1] ?? 0) * 1024;
const thpMode = () => {
  try {
    return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
  } catch {
    return '[never]';
  }
};

describe('the zygote before its first fork', () => {
  it('collapses a big anonymous region into huge pages, leaving its contents as they were', () => {
    const buffer = new Uint8Array(32 * 1_048_576);
    for (let index = 0; index < buffer.length; index += 4096) buffer[index] = index % 251;
    const before = anonHugePages();
    const collapsed = collapseLargeRegions();
    if (thpMode().includes('[never]')) {
      expect(collapsed.bytes).toBe(0);
      return;
    }
    expect(collapsed.regions).toBeGreaterThan(0);
    // The 32 MiB buffer alone holds at least 14 whole, aligned 2 MiB pages.
    expect(anonHugePages() - before).toBeGreaterThanOrEqual(14 * 2 * 1_048_576);
    for (let index = 0; index < buffer.length; index += 4096) expect(buffer[index]).toBe(index % 251);
  });

  it('releases a buffer someone else still holds: the holder sees it empty', () => {
    const held = { snapshot: new Uint8Array(8 * 1_048_576).fill(7) };
    releaseBuffer(held.snapshot);
    expect(held.snapshot.byteLength).toBe(0);
    // Releasing twice is harmless.
    releaseBuffer(held.snapshot);
  });

  it('stops waiting for the compiler once the worker threads are idle', async () => {
    const waited = await backgroundCompilationSettled(60_000);
    expect(waited).toBeLessThan(60_000);
  });
});
