/**
 * The zygote's steps before its first fork (src/sandbox/zygote-memory.ts), run in this test
 * process: they touch only the calling process, so they can be checked here directly.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
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

  it('waits for the compiler while a worker thread is busy, and stops once the workers are idle', async () => {
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const busy = new Worker(
      "const { workerData } = require('node:worker_threads'); const stop = new Int32Array(workerData); while (Atomics.load(stop, 0) === 0) {}",
      { eval: true, workerData: stop.buffer },
    );
    let waited: number | undefined;
    const settled = backgroundCompilationSettled(60_000).then((ms) => {
      waited = ms;
    });
    // Far more than the three quiet samples it needs: a thread that runs all along never looks quiet.
    for (let sample = 0; sample < 40; sample++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(waited).toBeUndefined();
    Atomics.store(stop, 0, 1);
    await busy.terminate();
    await settled;
    expect(waited).toBeLessThan(60_000);
  });

  it('waits while the main thread keeps working between its samples, and stops once it is idle', () => {
    // V8 runs some of its work as foreground tasks on the main thread, between the samples. Checked
    // in a process of its own, single-threaded as the zygote is, so that no V8 worker's own
    // activity (this process's collector, its compiler) can be what holds the wait.
    const script = `
import { backgroundCompilationSettled } from ${JSON.stringify(new URL('../dist/sandbox/zygote-memory.js', import.meta.url).href)};
const spin = (ms) => { const until = performance.now() + ms; while (performance.now() < until) {} };
const busy = setInterval(() => spin(3), 1);
let waited;
const settled = backgroundCompilationSettled(60_000).then((ms) => { waited = ms; });
for (let sample = 0; sample < 40; sample++) await new Promise((resolve) => setTimeout(resolve, 5));
const whileBusy = waited;
clearInterval(busy);
await settled;
console.log(JSON.stringify({ whileBusy: whileBusy ?? null, after: waited }));`;
    const output = execFileSync(process.execPath, ['--single-threaded', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const { whileBusy, after } = JSON.parse(output) as { whileBusy: number | null; after: number };
    expect(whileBusy).toBeNull();
    expect(after).toBeLessThan(60_000);
  });
});
