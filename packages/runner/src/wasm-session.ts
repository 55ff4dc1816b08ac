/**
 * @module wasm-session
 * A session on the wasm lane: a ready child taken from its pool and made a session's, so that it
 * keeps its interpreter (variables, imports, the files under its working directory) across the
 * runs sent to it. It is a process of its own like any run's, never shared; its memory limit
 * counts what all its runs keep, its CPU seconds add up, and a run that passes its time limit,
 * its output cap or the session's memory ends the session with it (the process is killed or
 * ends; its state is gone), which the run's result says.
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
}

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
  child.openSession(terms);
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

  return {
    runtime: options.runtime,
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
