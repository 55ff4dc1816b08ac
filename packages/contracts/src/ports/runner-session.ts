/**
 * @module runner-session
 * `RunnerSessionV1`: a sandbox whose interpreter state (variables, imports, workspace files)
 * lasts across the runs sent to it, the code-interpreter pattern. Fresh-per-run stays the
 * default; a session is an explicit, isolated and bounded exception: its own process, never
 * shared, with memory and CPU limits that count all its runs together, and it ends (its state
 * gone) when a run hits a limit.
 */

import type { ParsedExecutionRequest } from '../execution-request.js';
import type { ExecutionResult, Lane, Runtime } from '../execution-result.js';
import type { EgressPolicyV1 } from './egress-policy.js';
import type { ExecuteOptionsV1 } from './runner.js';

/** What a session may hold unless it asks for less (or, up to the ceiling, more). */
export const DEFAULT_SESSION_LIMITS = { memoryMb: 512, cpuSeconds: 600 } as const;
/** The smallest and largest a session may ask for. */
export const MIN_SESSION_LIMITS = { memoryMb: 16, cpuSeconds: 1 } as const;
export const MAX_SESSION_LIMITS = { memoryMb: 4_096, cpuSeconds: 3_600 } as const;

export interface SessionOptionsV1 {
  readonly language: ParsedExecutionRequest['language'];
  /** The interpreter that holds the state; absent: the runner's default for the language. */
  readonly runtime?: Runtime;
  /** Memory the session's state may take beyond the interpreter it starts from, in MiB: all its runs together. */
  readonly memoryMb?: number;
  /** CPU seconds all its runs may use together. */
  readonly cpuSeconds?: number;
  /** The policy every run's outbound requests are held to (the session's allowed hosts). */
  readonly egress: EgressPolicyV1;
  /** The lanes the caller may use (its grant); absent: every lane the runner has. */
  readonly lanes?: readonly Lane[];
}

export interface SessionRunResultV1 {
  readonly result: ExecutionResult;
  /** Whether the session takes another run. */
  readonly alive: boolean;
  /** Why the session ended, when it has (this run ended it, or it had ended before). */
  readonly ended?: string;
}

export interface RunnerSessionV1 {
  readonly runtime: Runtime;
  /** Takes runs; once false, stays false. */
  readonly alive: boolean;
  /** Why it ended, once it has. */
  readonly endedBecause: string | undefined;
  /**
   * Runs one request in the session's interpreter, in the state the last run left. The request's
   * language must be the session's, and its `limits.memoryMb` is ignored (the session's counts).
   * One run at a time: a second while one runs comes back `busy`. Never rejects.
   */
  execute(request: ParsedExecutionRequest, options?: ExecuteOptionsV1): Promise<SessionRunResultV1>;
  /** Ends the session (its process and state); a run in progress ends `cancelled`. */
  close(): Promise<void>;
  /** Its runtime can pause it (`pause`); one that cannot ends when it would have paused. */
  readonly pausable: boolean;
  /**
   * Pauses the session between runs: its state (the interpreter's memory, its files, the CPU
   * seconds it used) comes back as a snapshot, and its process ends (`alive` false, `endedBecause`
   * says it was paused). `RunnerV1.resumeSession` makes it live again. The snapshot is opaque and
   * unsealed: whoever keeps it must keep it from being read or changed (a session's state is its
   * owner's data). Rejects, leaving the session as it was, when it is running a run (`busy`) or
   * cannot pause (`not_supported`); rejects when its sandbox ends instead (then it has ended).
   */
  pause(): Promise<Uint8Array>;
}
