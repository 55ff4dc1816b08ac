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
  /** Bytes the run may still allocate (its memory limit); in a session, what all its runs may keep together. */
  readonly memoryBytes: number;
  /**
   * The run is one of a session's: it runs in the state the last one left (its variables, its
   * files), and its memory is counted from where the session started, not from where it starts.
   */
  readonly session?: boolean;
}

export interface SandboxRuntime {
  readonly runtime: ChildOutcome['runtime'];
  /**
   * Runs only in forked children, never in the zygote (no warm-up, no rehearsal): it starts
   * threads, which a fork would not carry over.
   */
  readonly childrenOnly?: boolean;
  /**
   * What a run of this runtime needs beyond the program's memory limit: data bytes the runtime
   * maps for every run (an interpreter's initial memory), and the most its files may take
   * (0: it writes no real files).
   */
  readonly reserve?: { readonly dataBytes: number; readonly fileBytes: number };
  /**
   * Optional work done once in the zygote after warm-up (trusted code only): every child inherits
   * its result, a copy of its own, so a run does not pay for it.
   */
  prepare?(): void;
  /** It can hold a session's state from one run to the next. */
  readonly sessions?: boolean;
  /** It can pause a session (its interpreter's memory kept as bytes) and resume it in another child. */
  readonly pausing?: SessionPausing;
  /**
   * `endsSession`: in a session, the interpreter cannot take another run even though the program
   * ended as programs do (the runtime had to stop it: a trap).
   */
  run(context: RunContext): Promise<RuntimeOutcome> | RuntimeOutcome;
}

export type RuntimeOutcome = ChildOutcome & { endsSession?: boolean };

/** How a runtime pauses a session's interpreter and resumes it (sandbox/session-snapshot.ts packs the rest). */
export interface SessionPausing {
  /** The image its interpreters come from: memory from another image cannot be resumed. */
  readonly image: string;
  /** The folder that holds the session's files (its workspace and scratch), inside the sandbox. */
  readonly root: string;
  /**
   * Makes the session's interpreter now, before the child's limits are set (what pausing needs
   * of the image is then already mapped). `memoryBytes`: the session's memory limit.
   */
  open(memoryBytes: number): void;
  /** Hands the session's interpreter memory to `hand`, a part at a time, between runs. */
  save(hand: (part: Buffer) => void): void;
  /** Makes the session's interpreter the one `memory` holds, instead of `open`; throws, saying why, when refused. */
  load(memoryBytes: number, memory: Buffer): void;
}
