/**
 * @module zygote-memory
 * What the zygote does between warming up and its first fork, so that each fork and each child
 * costs little:
 *
 * - Drop what only loading needed: the Pyodide snapshot (30 MiB) and the WebAssembly module's
 *   bytes (9 MiB; V8 keeps its own copy) stayed referenced by Pyodide's loader, and fork copied
 *   their page tables into every child.
 * - Wait until V8's compiler is idle. WebAssembly code is tiered up to the optimising compiler on
 *   V8's worker threads, with some work on the main thread; a fork in the middle of that would
 *   give the child a code table half written. fork() copies only the calling thread, so children
 *   never tier up themselves: they run what the zygote compiled (and must not wait for what they
 *   ask V8 to compile: child-event-loop.ts).
 * - Collapse the big anonymous regions into huge pages (native/umca_pages.c), so fork copies one
 *   page-table entry per 2 MiB instead of 512 (at the zygote's first idle moment: it takes
 *   40-150 ms; children forked before keep their small pages).
 * - Learn which pages a run writes, so each child copies them before its order arrives rather
 *   than fault on each of them during the run.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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

/** Nanoseconds of CPU so far: the main thread's, and all the others' together (V8's and libuv's workers). */
function threadCpuNs(): { main: number; workers: number } {
  // The main thread is the one /proc/self names: inside the sandbox /proc numbers threads in an
  // outer PID namespace, where it is not `process.pid`.
  const mainThread = readlinkSync('/proc/self');
  const cpu = { main: 0, workers: 0 };
  for (const thread of readdirSync('/proc/self/task')) {
    let ns: number;
    try {
      ns = Number(readFileSync(`/proc/self/task/${thread}/schedstat`, 'utf8').split(' ')[0] ?? 0);
    } catch {
      continue; // the thread ended meanwhile
    }
    if (thread === mainThread) cpu.main = ns;
    else cpu.workers += ns;
  }
  return cpu;
}

const SAMPLE_MS = 5;
const QUIET_SAMPLES = 3;
/** What the main thread may use in a quiet sample: this sampling itself (~0.2 ms), no compile work. */
const MAIN_QUIET_NS = 1_000_000;

/**
 * Resolves once V8 has compiled nothing for three samples in a row (15 ms): no worker thread ran,
 * and the main thread did no more than sample (V8 runs work there too, as foreground tasks: the
 * Pyodide zygote's main thread stays busy for ~30 ms after a warm-up without the code cache).
 * Returns how long it waited, at most `maxMs`. A compile job caught by a fork would never finish
 * in the child, and a cache made before the compiler is done holds less optimised code. Without
 * /proc (reduced isolation on an odd host) it cannot tell and waits `maxMs`.
 */
export async function backgroundCompilationSettled(maxMs = 5_000): Promise<number> {
  const started = performance.now();
  let last: { main: number; workers: number } | undefined;
  let quiet = 0;
  while (performance.now() - started < maxMs) {
    let now: { main: number; workers: number } | undefined;
    try {
      now = threadCpuNs();
    } catch {
      now = undefined;
    }
    if (now && last && now.workers === last.workers && now.main - last.main < MAIN_QUIET_NS) {
      if (++quiet >= QUIET_SAMPLES) break;
    } else quiet = 0;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  }
  return performance.now() - started;
}
