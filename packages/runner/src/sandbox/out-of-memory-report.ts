/**
 * @module out-of-memory-report
 * A child that fills V8's heap (Pyodide's `run_js`, objects made through `js`) used to die by
 * SIGABRT and end `crashed`. native/umca_oom.cc replaces V8's out-of-memory handler with one that
 * writes a `memory_limit` result to the child's channel and exits. The frame is encoded here in
 * advance: once V8 is out of memory, no JavaScript runs.
 */
import { encodeFrame } from '../internal/frame.js';
import { loadNativeAddon, loadSandboxAddon } from '../internal/native-addon.js';
import type { ChildOutcome } from './protocol.js';

/**
 * Arms the report in a forked child: on out-of-memory, `memory_limit` goes to `channelFd`. Does
 * nothing in the process that loaded it (the zygote, whose warm-up and rehearsal runs have no
 * channel that outlives them).
 */
export type ArmOutOfMemoryReport = (channelFd: number, runtime: ChildOutcome['runtime']) => void;

interface OutOfMemoryAddon {
  armOutOfMemoryReport(fd: number, frame: Buffer): void;
}

/** Loads the addon. Call it in the zygote: a locked-down child may not load code. */
export function loadOutOfMemoryReport(): ArmOutOfMemoryReport {
  const addon = loadNativeAddon<OutOfMemoryAddon>('umca_oom.node', 'the out-of-memory addon');
  const sandbox = loadSandboxAddon();
  return (channelFd, runtime) => {
    // Not by pid: a run and its zygote are each the first process of their PID namespace.
    if (!sandbox.isForkedChild() || channelFd < 0) return;
    const outcome: ChildOutcome = { status: 'memory_limit', exitCode: null, files: [], runtime };
    addon.armOutOfMemoryReport(channelFd, encodeFrame({ type: 'result', outcome }));
  };
}
