/**
 * @module store
 * What UMCA keeps: runs, the event log, and the MCP transport's resumable stream events. The
 * interfaces are asynchronous so that a server database (PostgreSQL) can implement them without
 * changing callers; the embedded SQLite implementation answers at once.
 */
import type { ExecutionRequest, ExecutionResult, Language, StoredEvent, TaskRequest, TaskResult, UmcaEvent } from '@umca/contracts';

export type RunStatus = 'queued' | 'running' | ExecutionResult['status'];

interface RunRecordBase {
  readonly id: string;
  readonly status: RunStatus;
  readonly language: Language;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
}

/** A run of code, or of an agent task; `kind` says which request and result it holds. */
export type RunRecord =
  | (RunRecordBase & { readonly kind: 'execution'; readonly request: ExecutionRequest; readonly result?: ExecutionResult })
  | (RunRecordBase & { readonly kind: 'task'; readonly request: TaskRequest; readonly result?: TaskResult });

export type NewRun =
  | Omit<Extract<RunRecord, { kind: 'execution' }>, 'result' | 'startedAt' | 'endedAt' | 'durationMs'>
  | Omit<Extract<RunRecord, { kind: 'task' }>, 'result' | 'startedAt' | 'endedAt' | 'durationMs'>;

export interface RunPatch {
  status?: RunStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  result?: ExecutionResult | TaskResult;
}

export interface RunQuery {
  /** At most this many, newest first. */
  limit: number;
  /** Only runs created before this run (for paging). */
  before?: string;
  status?: RunStatus;
}

export interface RunRepository {
  create(run: NewRun): Promise<RunRecord>;
  update(id: string, patch: RunPatch): Promise<RunRecord | undefined>;
  get(id: string): Promise<RunRecord | undefined>;
  list(query: RunQuery): Promise<RunRecord[]>;
  /** Runs left queued or running by a process that stopped without ending them. */
  unfinished(): Promise<RunRecord[]>;
}

export interface EventLog {
  /** Appends an event and returns it with its offset. Offsets only grow. */
  append(event: UmcaEvent): Promise<StoredEvent>;
  /** Events after `after` (exclusive), oldest first, optionally only one subject (run). */
  read(query: { after: number; limit: number; subject?: string }): Promise<StoredEvent[]>;
  /** The offset of the newest event, 0 when the log is empty. */
  lastOffset(): Promise<number>;
}

/** Storage for the MCP SDK's resumable streams (its EventStore interface builds on this). */
export interface StreamEventLog {
  append(streamId: string, message: unknown): Promise<string>;
  streamOf(eventId: string): Promise<string | undefined>;
  after(eventId: string): Promise<Array<{ eventId: string; message: unknown }>>;
}

export interface Store {
  readonly runs: RunRepository;
  readonly events: EventLog;
  readonly streams: StreamEventLog;
  /** Where the data lives, for messages. */
  readonly location: string;
  close(): Promise<void>;
}
