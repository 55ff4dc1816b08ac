/**
 * @module run-store
 * `StoreV1`: what UMCA keeps. Runs (`RunStoreV1`), the event log (`EventLogV1`), and the MCP
 * transport's resumable stream events. Asynchronous throughout, so a server database
 * (PostgreSQL) implements it without changing callers; the embedded SQLite store answers at once.
 */
import type { Run } from '../http-api.js';
import type { RunStatus } from '../umca-event.js';
import type { EventLogV1 } from './event-bus.js';

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

export interface RunStoreV1 {
  readonly specificationVersion: 'v1';
  create(run: NewRun): Promise<RunRecord>;
  update(id: string, patch: RunPatch): Promise<RunRecord | undefined>;
  get(id: string): Promise<RunRecord | undefined>;
  list(query: RunQuery): Promise<RunRecord[]>;
  /** Runs left queued or running by a process that stopped without ending them. */
  unfinished(): Promise<RunRecord[]>;
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
  /** Where the data lives, for messages. */
  readonly location: string;
  close(): Promise<void>;
}
