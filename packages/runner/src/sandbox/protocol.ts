/**
 * @module protocol
 * Messages between the host and the sandbox, and the few sizes both ends hold to. The host
 * validates what a child sends (see host/child-message.ts), because a child runs hostile code;
 * the sandbox trusts the host.
 */
import type { ExecutionError, ExecutionLimits, InputFile, Runtime, SandboxToolReplyV1, SandboxToolV1 } from '@umca/contracts';

/** The longest tool name a child may send (longer: it cannot be a tool, the child refuses it itself). */
export const MAX_TOOL_NAME_LENGTH = 400;
/** The longest arguments a child may send with a tool call, in characters of JSON (1 Mi). */
export const MAX_TOOL_ARGUMENTS_LENGTH = 1_048_576;

/** host → zygote, over the control socket (a channel descriptor rides along with `fork`). */
export type ZygoteCommand = { type: 'fork'; id: number } | { type: 'kill'; pid: number };

/** zygote → host, one JSON object per line on the control socket. */
export type ZygoteReport =
  | {
      type: 'ready';
      startupMs: number;
      /** Of the start, how long the zygote waited for V8's optimising compiler to finish. */
      compilerWaitMs?: number;
      /** Pages each child copies before its order because a run writes them. */
      prefaultPages?: number;
      /** The interpreter's compiled code: loaded from the cache, made now (sent before), refused, or none. */
      codeCache?: 'used' | 'made' | 'none' | `refused: ${string}`;
      /** Where the start went: each step's milliseconds, in order. */
      steps?: Record<string, number>;
    }
  /** At the zygote's first idle moment: memory it moved into huge pages (zygote-memory.ts). */
  | { type: 'huge-pages'; bytes: number }
  /** Before `ready`: the interpreter's compiled code, for the host to keep (wasm-code-cache.ts). */
  | { type: 'code-cache'; data: string }
  | { type: 'forked'; id: number; pid: number }
  | { type: 'exited'; pid: number; status: number }
  /** With `id`, that fork failed; without, the zygote could not start. */
  | { type: 'failed'; message: string; id?: number };

/** What the child needs to run one program. Limits are already resolved and checked. */
export type RunOrder = {
  language: 'python' | 'javascript' | 'wasi';
  code?: string;
  module?: string;
  args?: string[];
  env?: Record<string, string>;
  stdin?: string;
  files: Array<Required<Pick<InputFile, 'path' | 'content'>> & { encoding: 'utf8' | 'base64' }>;
  limits: ExecutionLimits;
  /** Milliseconds the child may use, counted from when it receives the order. */
  budgetMs: number;
  /** The upstream MCP tools the program's `umca_tools` / `umca:tools` module offers (none: empty). */
  tools: SandboxToolV1[];
  /**
   * After its result, the child tears itself down under SCHED_IDLE, giving way to the next run
   * (the host allows it while few children are tearing down: host/sandbox-pool.ts).
   */
  exitIdle?: boolean;
};

export type HttpRequestMessage = {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  /** base64 */
  body: string;
};

export type HttpReplyMessage =
  | { status: number; statusText: string; headers: Array<[string, string]>; body: string; url: string }
  | { error: string };

/**
 * What a session's child holds to for all its runs, sent once instead of a first order: it then
 * takes orders one after another in the same interpreter, until one ends past a limit.
 */
export type SessionTerms = {
  language: RunOrder['language'];
  /** Memory the session's state may take beyond the interpreter it started from, in MiB: all its runs together. */
  memoryMb: number;
  /** CPU seconds all its runs may use together. */
  cpuSeconds: number;
};

/**
 * Whether a session's interpreter takes another run after one that ended so. Only the program's
 * own ending leaves it as the program left it; a limit stops it wherever it was.
 */
export function sessionSurvives(status: ChildOutcome['status']): boolean {
  return status === 'ok' || status === 'error';
}

/** host → child frames. */
export type HostToChild =
  | { type: 'run'; order: RunOrder }
  /** `rawBytes`: a paused session's snapshot (sandbox/session-snapshot.ts) follows, that long, to resume from. */
  | { type: 'session'; terms: SessionTerms; rawBytes?: number }
  /** A session's child between runs: send the session's snapshot, then end. */
  | { type: 'pause' }
  | { type: 'http-reply'; id: number; reply: HttpReplyMessage }
  | { type: 'tool-reply'; id: number; reply: SandboxToolReplyV1 };

/** A file the run left, as the sandbox reports it; the host checks it and counts its bytes itself. */
export type SandboxFile = { path: string; encoding: 'utf8' | 'base64'; content: string };

/** Why the sandbox left a file out of its report. */
export type SandboxDropReason = 'invalid_path' | 'symlink' | 'special_file' | 'count_limit' | 'size_limit';

/** Files the sandbox left out: how many, and the first ones by name (cut to the longest allowed path). */
export type SandboxDroppedFiles = { count: number; files: Array<{ path: string; reason: SandboxDropReason }> };

/** How the program ended, as the child saw it. */
export type ChildOutcome = {
  status: 'ok' | 'error' | 'timeout' | 'memory_limit' | 'output_limit';
  exitCode: number | null;
  error?: ExecutionError;
  files: SandboxFile[];
  droppedFiles?: SandboxDroppedFiles;
  runtime: Runtime;
  /** Milliseconds from receiving the order to the end of the program. */
  programMs?: number;
};

/** child → host frames. */
export type ChildToHost =
  | { type: 'ready' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'http'; id: number; request: HttpRequestMessage }
  /** A call of the upstream tool UMCA names `name`; `arguments` is a JSON object, as text. */
  | { type: 'tool'; id: number; name: string; arguments: string }
  /** `final`: a session's child ends after this result (the host ends the session with it). */
  | { type: 'result'; outcome: ChildOutcome; final?: boolean }
  /** A resumed session's child: the snapshot is loaded (or why it was refused: the child then ends). */
  | { type: 'resumed' }
  | { type: 'resume-failed'; message: string }
  /** Part of a pausing session's snapshot, `rawBytes` long, sent as it is after this frame; then `snapshot-done`, and the child ends. */
  | { type: 'snapshot'; rawBytes: number }
  | { type: 'snapshot-done' };

/** The most of a snapshot one `snapshot` frame carries, before base64. */
export const SNAPSHOT_CHUNK_BYTES = 4 * 1_048_576;
