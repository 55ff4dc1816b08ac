/**
 * @module runner
 * `RunnerV1` and `LaneV1`: what executes code. A lane runs a request in one kind of sandbox (the
 * `wasm` lane: Pyodide, QuickJS and WASI in forked, OS-confined processes; a `container` lane
 * later); a runner queues requests and hands each to a lane. Both take an accepted execution: the
 * request parsed once, and its egress policy built once, where it came in.
 */

import type { EgressAttempt } from '../egress-attempt.js';
import type { ParsedExecutionRequest } from '../execution-request.js';
import type { ExecutionResult, Isolation, Lane, LaneSelection, Runtime } from '../execution-result.js';
import type { EgressPolicyV1 } from './egress-policy.js';
import type { RunnerSessionV1, SessionOptionsV1 } from './runner-session.js';
import type { SandboxToolsV1 } from './sandbox-tools.js';

/** A request that passed validation, with the policy its outbound requests are held to. */
export interface AcceptedExecutionV1 {
  readonly request: ParsedExecutionRequest;
  readonly egress: EgressPolicyV1;
  /** The lanes the caller may use (its grant); absent: every lane the runner has. */
  readonly lanes?: readonly Lane[];
}

export interface ExecuteOptionsV1 {
  /** Aborting ends the run with status `cancelled` (its sandbox is killed). */
  readonly signal?: AbortSignal;
  /** Receives the program's output as it is written. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Told when the run leaves the queue and its sandbox starts. */
  readonly onStart?: (start: { queuedMs: number; lane: Lane; runtime: Runtime; isolation: Isolation; selection?: LaneSelection }) => void;
  /** Receives each outbound request attempt, allowed or denied, as it happens. */
  readonly onEgress?: (attempt: EgressAttempt) => void;
  /**
   * The upstream MCP tools the program may call (its `umca_tools` / `umca:tools` module). Absent:
   * the module is there but offers none, and every call is refused. A lane that cannot relay
   * calls (the container lane) ignores it, and the module is not there.
   */
  readonly tools?: SandboxToolsV1;
}

export interface LaneStatsV1 {
  readonly lane: Lane;
  readonly isolation: Isolation;
  /** Sandboxes forked and ready for a run. */
  readonly idleSandboxes: number;
  /** Time the lane took to start its sandboxes, once started. */
  readonly sandboxStartupMs: number | undefined;
  /** The runtimes it can run now. */
  readonly runtimes?: readonly Runtime[];
  /** Runtimes it has but cannot run now (not prepared, being prepared, failed to start), and why. */
  readonly unavailable?: ReadonlyArray<{ readonly runtime: Runtime; readonly reason: string }>;
  /** Sessions open now (each holds a sandbox process). */
  readonly sessions?: number;
}

export interface LaneV1 {
  readonly specificationVersion: 'v1';
  readonly lane: Lane;
  /** The runtimes it runs (python → pyodide, javascript → quickjs, wasi → wasi, on the wasm lane). */
  readonly runtimes: readonly Runtime[];
  readonly isolation: Isolation;
  /** Runs one request now (the runner has queued it). Never rejects: every ending is a result. */
  execute(execution: AcceptedExecutionV1, options?: ExecuteOptionsV1): Promise<ExecutionResult>;
  /** Opens a session, when the lane can hold one for the language (runner-session.ts). */
  openSession?(options: SessionOptionsV1): Promise<RunnerSessionV1>;
  /** Resumes a paused session from its snapshot (runner-session.ts). */
  resumeSession?(options: SessionOptionsV1, snapshot: Uint8Array): Promise<RunnerSessionV1>;
  stats(): LaneStatsV1;
  close(): Promise<void>;
}

export interface RunnerStatsV1 {
  readonly isolation: Isolation;
  /** Runs executing now. */
  readonly active: number;
  /** Runs waiting for a slot. */
  readonly queued: number;
  readonly idleSandboxes: number;
  /** Sessions open now. */
  readonly sessions?: number;
  readonly completed: number;
  readonly sandboxStartupMs: number | undefined;
  readonly lanes: readonly LaneStatsV1[];
}

export interface RunnerV1 {
  readonly specificationVersion: 'v1';
  readonly isolation: Isolation;
  /**
   * Queues and runs one accepted request. Never rejects: a misbehaving program, a limit, a full
   * queue or a cancellation all come back as a result whose `status` and `reason` say why.
   */
  execute(execution: AcceptedExecutionV1, options?: ExecuteOptionsV1): Promise<ExecutionResult>;
  /**
   * Opens a session: a sandbox of its own whose state lasts across its runs (runner-session.ts).
   * Rejects with a reason in the caller's words when it cannot (a language or runtime that holds
   * no state, too many sessions, limits out of range). Absent: this runner holds no sessions.
   */
  openSession?(options: SessionOptionsV1): Promise<RunnerSessionV1>;
  /**
   * Resumes a session `RunnerSessionV1.pause` paused, from its snapshot, with the options it was
   * opened with: a new sandbox holding the state the session had. Rejects with a `snapshot_refused`
   * code and why when the snapshot cannot be resumed here (made from another image of the
   * interpreter, damaged, holding more than the options allow). Absent: no session can be resumed.
   */
  resumeSession?(options: SessionOptionsV1, snapshot: Uint8Array): Promise<RunnerSessionV1>;
  stats(): RunnerStatsV1;
  close(): Promise<void>;
}
