/**
 * @module zygote-memory
 * What the zygote does between warming up and its first fork, so that each fork and each child
 * costs little:
 *
 * - Drop what only loading needed: the Pyodide snapshot (30 MiB) and the WebAssembly module's
 *   bytes (9 MiB; V8 keeps its own copy) stayed referenced by Pyodide's loader, and fork copied
 *   their page tables into every child.
 * - Wait until V8's background compiler is idle. WebAssembly code is tiered up to the optimising
 *   compiler on V8's worker threads; a fork in the middle of that would give the child a code
 *   table half written. fork() copies only the calling thread, so children never tier up
 *   themselves: they run what the zygote compiled.
 * - Collapse the big anonymous regions into huge pages (native/umca_pages.c), so fork copies one
 *   page-table entry per 2 MiB instead of 512 (at the zygote's first idle moment: it takes
 *   40-150 ms; children forked before keep their small pages).
 * - Learn which pages a run writes, so each child copies them before its order arrives rather
 *   than fault on each of them during the run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadNativeAddon, type SandboxAddon } from '../internal/native-addon.js';
import { keepEventLoopAwake } from './child-event-loop.js';

/** Regions smaller than this are left alone: V8's heap pages (256 KiB each) and thread stacks. */
const MIN_COLLAPSED_BYTES = 4 * 1_048_576;

export interface CollapsedRegions {
  regions: number;
  bytes: number;
  failed: number;
  error?: string;
}

interface PagesAddon {
  collapseAnonymousRegions(minBytes: number): CollapsedRegions;
  sendWrittenPages(fd: number): number;
  receiveWrittenPages(fd: number, timeoutMs: number): { ranges: number; pages: number };
  prefaultWrittenPages(): number;
}

let pages: PagesAddon | undefined;

function loadPagesAddon(): PagesAddon {
  pages ??= loadNativeAddon<PagesAddon>('umca_pages.node', 'the pages addon');
  return pages;
}

/** Collapses the zygote's big anonymous regions into huge pages; see the module comment. */
export function collapseLargeRegions(): CollapsedRegions {
  return loadPagesAddon().collapseAnonymousRegions(MIN_COLLAPSED_BYTES);
}

/** How long the zygote waits for the probe's pages before it goes on without them. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Learns which pages a run writes: forks a probe child that does `rehearse` (trusted work, the
 * same path a run takes) and reports the pages it then maps alone (native/umca_pages.c). Every
 * child forked afterwards copies those pages while it waits for its order (prefaultRunWrites),
 * instead of faulting on each during its run. Returns what was learned ({ranges: 0, pages: 0}
 * when the probe failed: children then fault as before).
 */
export async function learnRunWrites(sandbox: SandboxAddon, rehearse: () => Promise<void>): Promise<{ ranges: number; pages: number }> {
  const addon = loadPagesAddon();
  const [zygoteEnd, probeEnd] = sandbox.socketPair();
  // Not a run: no namespaces of its own, so it still sees /proc/self/pagemap.
  const pid = sandbox.fork({ ownNamespaces: false, runId: -1 });
  if (pid === 0) {
    keepEventLoopAwake();
    sandbox.closeFd(zygoteEnd);
    try {
      await rehearse();
      addon.sendWrittenPages(probeEnd);
    } finally {
      sandbox.exit(0);
    }
  }
  sandbox.closeFd(probeEnd);
  return addon.receiveWrittenPages(zygoteEnd, PROBE_TIMEOUT_MS);
}

/** In a child, before its order: copies the pages a run writes (see learnRunWrites). */
export function prefaultRunWrites(): void {
  loadPagesAddon().prefaultWrittenPages();
}

/**
 * Empties an ArrayBuffer that something else still references (structured clone with transfer
 * detaches it), so the garbage collector frees its memory. The holder sees a zero-length buffer.
 */
export function releaseBuffer(view: ArrayBufferView): void {
  if (view.buffer instanceof ArrayBuffer && view.buffer.byteLength > 0) structuredClone(view.buffer, { transfer: [view.buffer] });
}

/**
 * CPU ticks so far of every thread but the main one (V8's and libuv's workers). Inside the
 * sandbox /proc numbers threads in an outer PID namespace, where the main thread is not
 * `process.pid`: there it is counted too, so the wait also lasts until the main thread has been
 * idle for the samples (docs/runner.md, "Start-up", says why that matters).
 */
function workerTicks(): number {
  let ticks = 0;
  for (const thread of readdirSync('/proc/self/task')) {
    if (Number(thread) === process.pid) continue;
    try {
      // utime and stime: fields 14 and 15 of stat, counted after the command's closing parenthesis.
      const fields = readFileSync(`/proc/self/task/${thread}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ticks;
}

const SAMPLE_MS = 20;
const QUIET_SAMPLES = 3;

/**
 * Resolves once no worker thread has used CPU for three samples in a row (60 ms), or after
 * `maxMs`. Returns how long it waited. Without /proc (reduced isolation on an odd host) it
 * cannot tell and waits `maxMs`.
 */
export async function backgroundCompilationSettled(maxMs = 5_000): Promise<number> {
  const started = performance.now();
  let last = -1;
  let quiet = 0;
  while (performance.now() - started < maxMs) {
    let ticks: number;
    try {
      ticks = workerTicks();
    } catch {
      ticks = -1;
    }
    if (ticks >= 0 && ticks === last) {
      if (++quiet >= QUIET_SAMPLES) break;
    } else quiet = 0;
    last = ticks;
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  }
  return performance.now() - started;
}
