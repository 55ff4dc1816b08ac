/**
 * @module create-client
 * `createClient`: the typed client of UMCA's HTTP API v1, for Node 20 and browsers alike. It
 * needs only `fetch`, `ReadableStream` and `AbortSignal`.
 */
import type {
  ExecutionRequest,
  GateVerdictList,
  Run,
  RunResult,
  RunSummary,
  RunTrace,
  SessionList,
  SessionView,
  TaskRequest,
  TaskResult,
  UpstreamToolList,
} from '@umca/contracts';
import type { Fetch, Readiness, RunAccepted, RunCancelling, RunPage } from './api-types.js';
import { createHttp, type TokenSource } from './internal/create-http.js';
import { followEventStream } from './internal/follow-event-stream.js';
import { resolveBaseUrl } from './internal/resolve-base-url.js';
import { runToEnd } from './internal/run-to-end.js';
import type { UmcaClient } from './umca-client.js';
import { sessionHandle } from './umca-session.js';

export interface ClientOptions {
  /**
   * The server, e.g. `http://127.0.0.1:8787`. Default: in a browser, the page's own origin; in
   * Node, the `UMCA_SERVER` environment variable, else `http://127.0.0.1:8787`.
   */
  readonly baseUrl?: string;
  /** The `fetch` to send requests with (default: the global one). */
  readonly fetch?: Fetch;
  /** Headers sent with every request, e.g. for an authenticating proxy in front of UMCA. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The bearer token for a server that requires one (an OIDC issuer's access token, or one from
   * `umca token create`), or a function that returns the current one, called for each request and
   * each reconnect of a stream. Default: in Node, the `UMCA_TOKEN` environment variable.
   */
  readonly token?: TokenSource;
  /** Aborts everything the client does, e.g. when the component that owns it goes away. */
  readonly signal?: AbortSignal;
}

const ASYNC = { prefer: 'respond-async' };

/** `UMCA_TOKEN` in Node; nothing in a browser. */
function defaultToken(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.UMCA_TOKEN || undefined;
}
const runPath = (runId: string) => `/v1/runs/${encodeURIComponent(runId)}`;
const withSignal = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

/**
 * Makes a client of the UMCA server at `baseUrl`.
 *
 * @example
 * const umca = createClient({ baseUrl: 'http://127.0.0.1:8787' });
 * const result = await umca.runCode('print(6 * 7)', { onStdout: (text) => process.stdout.write(text) });
 */
export function createClient(options: ClientOptions = {}): UmcaClient {
  const http = createHttp({
    baseUrl: resolveBaseUrl(options.baseUrl),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    headers: options.headers ?? {},
    signal: options.signal,
    token: options.token ?? defaultToken(),
  });

  const client: UmcaClient = {
    baseUrl: http.baseUrl,

    runCode(code, runOptions = {}) {
      const request: ExecutionRequest = typeof code === 'string' ? { language: 'python', code } : code;
      return runToEnd(
        client,
        () => client.submitExecution(request),
        runOptions,
        (run): RunResult | undefined => (run.kind === 'execution' && run.result ? { ...run.result, runId: run.id } : undefined),
      );
    },

    runTask(task, runOptions = {}) {
      const request: TaskRequest = typeof task === 'string' ? { task } : task;
      return runToEnd(
        client,
        () => client.submitTask(request),
        runOptions,
        (run): TaskResult | undefined => (run.kind === 'task' ? run.result : undefined),
      );
    },

    submitExecution(request, call = {}) {
      return http.json<RunAccepted>('POST', '/v1/executions', { body: request, headers: ASYNC, ...withSignal(call.signal) });
    },

    submitTask(request, call = {}) {
      return http.json<RunAccepted>('POST', '/v1/tasks', { body: request, headers: ASYNC, ...withSignal(call.signal) });
    },

    getRun(runId, call = {}) {
      return http.json<Run>('GET', runPath(runId), withSignal(call.signal));
    },

    getRunTrace(runId, call = {}) {
      return http.json<RunTrace>('GET', `${runPath(runId)}/trace`, withSignal(call.signal));
    },

    listRuns(query = {}) {
      const search = new URLSearchParams();
      if (query.limit !== undefined) search.set('limit', String(query.limit));
      if (query.before !== undefined) search.set('before', query.before);
      if (query.status !== undefined) search.set('status', query.status);
      const suffix = search.toString();
      return http.json<RunPage>('GET', suffix ? `/v1/runs?${suffix}` : '/v1/runs', withSignal(query.signal));
    },

    async *iterateRuns(query = {}): AsyncGenerator<RunSummary, void, undefined> {
      let before: string | undefined;
      do {
        const page: RunPage = await client.listRuns({
          ...(query.pageSize === undefined ? {} : { limit: query.pageSize }),
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(before === undefined ? {} : { before }),
          ...withSignal(query.signal),
        });
        yield* page.runs;
        before = page.next;
      } while (before !== undefined);
    },

    listGateVerdicts(query = {}) {
      const suffix = query.limit === undefined ? '' : `?${new URLSearchParams({ limit: String(query.limit) })}`;
      return http.json<GateVerdictList>('GET', `/v1/gates/verdicts${suffix}`, withSignal(query.signal));
    },

    listUpstreamTools(call = {}) {
      return http.json<UpstreamToolList>('GET', '/v1/tools', withSignal(call.signal));
    },

    cancelRun(runId, call = {}) {
      return http.json<RunCancelling>('POST', `${runPath(runId)}/cancel`, withSignal(call.signal));
    },

    followRun(runId, follow = {}) {
      return followEventStream(http, `${runPath(runId)}/events`, follow, (event) => event.type === 'dev.umca.run.ended.v1');
    },

    events(follow = {}) {
      return followEventStream(http, '/v1/events', follow);
    },

    async openSession(request = { language: 'python' }, call = {}) {
      return sessionHandle(http, await http.json<SessionView>('POST', '/v1/sessions', { body: request, ...withSignal(call.signal) }));
    },

    async getSession(sessionId, call = {}) {
      const view = await http.json<SessionView>('GET', `/v1/sessions/${encodeURIComponent(sessionId)}`, withSignal(call.signal));
      return sessionHandle(http, view);
    },

    listSessions(call = {}) {
      return http.json<SessionList>('GET', '/v1/sessions', withSignal(call.signal));
    },

    readiness(call = {}) {
      return http.json<Readiness>('GET', '/readyz', withSignal(call.signal));
    },
  };
  return client;
}
