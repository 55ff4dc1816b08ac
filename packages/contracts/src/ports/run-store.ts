/**
 * @module run-store
 * `StoreV1`: what UMCA keeps. Runs (`RunStoreV1`), the event log (`EventLogV1`), and the MCP
 * transport's resumable stream events. Asynchronous throughout, so a server database
 * (PostgreSQL) implements it without changing callers; the embedded SQLite store answers at once.
 */
import type { Run } from '../http-api.js';
import type { RunStatus } from '../umca-event.js';
import type { EventLogV1 } from './event-bus.js';
import type { SpanStoreV1 } from './span-store.js';

/** A run of code or of an agent task, as stored; `kind` says which request and result it holds. */
export type RunRecord = Run;

export type NewRun =
  | Omit<Extract<RunRecord, { kind: 'execution' }>, 'result' | 'startedAt' | 'endedAt' | 'durationMs' | 'warnings'>
  | Omit<Extract<RunRecord, { kind: 'task' }>, 'result' | 'startedAt' | 'endedAt' | 'durationMs' | 'warnings'>;

export interface RunPatch {
  readonly status?: RunStatus;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly result?: NonNullable<RunRecord['result']>;
  /** Replaces the run's warnings: what went wrong around the run without changing its outcome. */
  readonly warnings?: readonly string[];
}

export interface RunQuery {
  /** At most this many, newest first. */
  readonly limit: number;
  /** Only runs created before this run (for paging). */
  readonly before?: string;
  readonly status?: RunStatus;
  /** Only the runs this `sub` started. */
  readonly owner?: string;
}

/** A guard on an update: it applies only while the run's status is one of these (and, for a worker, its claim is the newest). */
export interface RunCondition {
  readonly status: readonly RunStatus[];
  /** Only while this is the run's newest claim (`RunClaim.attempt`). */
  readonly attempt?: number;
}

/** A worker's hold on a run: the attempt it makes, kept while its lease is renewed. */
export interface RunClaim {
  /** 1 for the first worker to run it; more when a worker took over from one that stopped answering. */
  readonly attempt: number;
}

export interface RunStoreV1 {
  readonly specificationVersion: 'v1';
  /** Stores a new run and returns it (as given: nothing is read back). */
  create(run: NewRun): Promise<RunRecord>;
  /**
   * Applies a patch, only while `onlyIf` holds when given (so that of two workers ending one run,
   * one does). True when a run was changed; nothing is read back, so large results are written once.
   */
  update(id: string, patch: RunPatch, onlyIf?: RunCondition): Promise<boolean>;
  get(id: string): Promise<RunRecord | undefined>;
  list(query: RunQuery): Promise<RunRecord[]>;
  /** Runs left queued or running by a process that stopped without ending them. */
  unfinished(): Promise<RunRecord[]>;
  /** How many runs have this status now (the remote queue's depth: `queued`). */
  count(query: { readonly status: RunStatus }): Promise<number>;
  /**
   * Claims a run for a worker, marking it running: a queued run, or a running one whose lease ran
   * out (the worker that had it stopped renewing). Undefined when it has ended, is held by a live
   * claim, or does not exist. The lease is measured on the store's clock, not the workers'.
   */
  claim(id: string, leaseMs: number): Promise<RunClaim | undefined>;
  /** Extends a claim's lease; false when the claim is no longer the run's newest or the run ended. */
  renew(id: string, claim: RunClaim, leaseMs: number): Promise<boolean>;
}

/** Storage for the MCP SDK's resumable streams (its EventStore builds on this). */
export interface StreamEventLogV1 {
  readonly specificationVersion: 'v1';
  append(streamId: string, message: unknown): Promise<string>;
  streamOf(eventId: string): Promise<string | undefined>;
  after(eventId: string): Promise<Array<{ eventId: string; message: unknown }>>;
}

export interface StoreV1 {
  readonly specificationVersion: 'v1';
  readonly runs: RunStoreV1;
  readonly events: EventLogV1;
  readonly streams: StreamEventLogV1;
  /** Spans of runs' traces (the embedded trace view). */
  readonly spans: SpanStoreV1;
  /** Where the data lives, for messages (never with a password). */
  readonly location: string;
  /** Resolves when the store answers now; rejects with a message that says what is wrong (readiness). */
  check(): Promise<void>;
  close(): Promise<void>;
}
