/**
 * @module runtime
 * What every language runtime (Pyodide, QuickJS, the WASI shim) gets from the child and must give
 * back. (A lane, in the contracts, is the wasm or container sandbox these runtimes run in.)
 */
import type { OutputSink } from '../output-sink.js';
import type { ChildOutcome, RunOrder } from '../protocol.js';
import type { SyncChannel } from '../sync-channel.js';

export interface RunContext {
  readonly order: RunOrder;
  readonly channel: SyncChannel;
  readonly output: OutputSink;
  /** performance.now() value at which the run's time is up. */
  readonly deadline: number;
  /** Bytes the run may still allocate (its memory limit). */
  readonly memoryBytes: number;
}

export interface SandboxRuntime {
  readonly runtime: ChildOutcome['runtime'];
  /**
   * Optional work done once in the zygote after warm-up (trusted code only): every child inherits
   * its result, a copy of its own, so a run does not pay for it.
   */
  prepare?(): void;
  run(context: RunContext): Promise<ChildOutcome>;
}
