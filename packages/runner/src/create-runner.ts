/**
 * @module create-runner
 * The runner: a bounded queue in front of the lanes. It takes an accepted request (parsed and its
 * egress policy built where it came in), waits for a slot, hands it to the lane that runs its
 * runtime (today the `wasm` lane), and adds the time it waited to the result. A run never throws
 * for a misbehaving program, a full queue or a cancellation: each is a result with a status and
 * a reason. `run` accepts a raw request first, for library and CLI use.
 */
import type {
  ExecuteOptionsV1,
  ExecutionResult,
  LaneSelection,
  LaneV1,
  RunnerSessionV1,
  RunnerV1,
  SessionOptionsV1,
} from '@umca/contracts';
import { unstartedResult } from '@umca/contracts';
import { acceptExecutionRequest, PolicyError } from '@umca/policy';
import { createContainerLane } from './container/create-container-lane.js';
import { createE2bLane } from './container/e2b-lane.js';
import { createWasmLane } from './create-wasm-lane.js';
import { RunnerError } from './errors.js';
import { carveSandboxUids } from './host/sandbox-uids.js';
import { Semaphore } from './internal/semaphore.js';
import { chooseIsolation, type RunnerOptions, resolveRunnerOptions } from './resolve-runner-options.js';
import { type ContainerAvailability, selectLane } from './route/select-lane.js';
import { sessionTerms } from './session-terms.js';

/** Container-lane runs at once as root, each with a uid of its own. */
const CONTAINER_UIDS = 64;

export interface Runner extends RunnerV1 {
  /**
   * Accepts and runs a raw request in one call (library and CLI use). Never rejects: a request that
   * cannot be accepted comes back `rejected`, with the reason in the caller's field names.
   *
   * @example
   * const result = await runner.run({ language: 'python', code: 'print(6 * 7)' });
   * result.stdout; // "42\n"
   */
  run(request: unknown, options?: ExecuteOptionsV1): Promise<ExecutionResult>;
  /**
   * Opens a session: a sandbox of its own whose Python state lasts across its runs, within limits
   * all its runs share (`RunnerSessionV1`). Rejects with a `RunnerError` that says why (`busy`
   * past `maxSessions`, `invalid_option` for what it cannot hold).
   *
   * @example
   * const session = await runner.openSession({ language: 'python', egress: createEgressPolicy([]) });
   * await session.execute(parse({ language: 'python', code: 'x = 6 * 7' }));
   * (await session.execute(parse({ language: 'python', code: 'print(x)' }))).result.stdout; // "42\n"
   */
  openSession(options: SessionOptionsV1): Promise<RunnerSessionV1>;
  /**
   * Resumes a session `pause` paused, from its snapshot, with the options it was opened with.
   * Rejects with `snapshot_refused` and why when the snapshot cannot be resumed here.
   */
  resumeSession(options: SessionOptionsV1, snapshot: Uint8Array): Promise<RunnerSessionV1>;
}

/**
 * Creates a runner: checks the OS sandbox, then starts the wasm lane (its snapshot, zygotes and
 * first ready children).
 *
 * @example
 * const runner = await createRunner();
 * const result = await runner.run({ language: 'python', code: 'print(6 * 7)' });
 */
export async function createRunner(options: RunnerOptions = {}): Promise<Runner> {
  const settings = resolveRunnerOptions(options);
  const { isolation, bwrapPath } = chooseIsolation(settings);
  const now = settings.now;
  // As root the container lane's runs hold uids of their own, carved from the end of the range.
  const [wasmIds, containerIds] = settings.sandboxUids ? carveSandboxUids(settings.sandboxUids, CONTAINER_UIDS) : [];
  const wasm = await createWasmLane({
    settings: { ...settings, sandboxUids: wasmIds },
    isolation,
    bwrapPath,
    ...(options.egress ? { egress: options.egress } : {}),
  });
  // The container lane runs locally under bubblewrap, or on E2B when a key is given.
  const containerAvailability: ContainerAvailability = !settings.containerLane
    ? { available: false, why: 'it is off (start UMCA with UMCA_CONTAINER_LANE=1 or --container-lane)' }
    : isolation !== 'os' && !settings.e2b
      ? { available: false, why: 'it needs the OS sandbox (bubblewrap), and isolation is reduced' }
      : { available: true };
  const container = !containerAvailability.available
    ? undefined
    : settings.e2b
      ? createE2bLane({ ...settings.e2b, now })
      : createContainerLane({
          settings,
          bwrapPath,
          ...(containerIds ? { sandboxIds: containerIds } : {}),
          ...(options.egress ? { egress: options.egress } : {}),
        });
  const lanes: readonly LaneV1[] = container ? [wasm, container] : [wasm];
  const slots = new Semaphore(settings.concurrency, settings.queueLimit);
  let completed = 0;
  let closed = false;
  /** Sessions being opened (counted against the cap before their sandbox is there). */
  let opening = 0;

  /** A session whose runs wait for a slot like any run, so sessions cannot crowd the others out. */
  const withSlots = (session: RunnerSessionV1): RunnerSessionV1 => ({
    get runtime() {
      return session.runtime;
    },
    get alive() {
      return session.alive;
    },
    get endedBecause() {
      return session.endedBecause;
    },
    pausable: session.pausable,
    pause: () => session.pause(),
    async execute(request, execute = {}) {
      const started = now();
      const slot = await slots.acquire({ timeoutMs: settings.queueTimeoutMs, ...(execute.signal ? { signal: execute.signal } : {}) });
      if (!slot.acquired) {
        const status = slot.reason === 'aborted' ? 'cancelled' : 'busy';
        const reason =
          slot.reason === 'aborted' ? 'the run was cancelled before it started' : 'the runner is busy; send the run again later';
        return {
          result: unstartedResult({ status, reason, isolation, durationMs: now() - started }),
          alive: session.alive,
          ...(session.endedBecause ? { ended: session.endedBecause } : {}),
        };
      }
      const queuedMs = now() - started;
      try {
        const ran = await session.execute(request, execute);
        const { result } = ran;
        return { ...ran, result: { ...result, durationMs: result.durationMs + queuedMs, timings: { ...result.timings, queuedMs } } };
      } finally {
        slot.release();
        completed++;
      }
    },
    close: () => session.close(),
  });

  /** Opens a session, or resumes a paused one: either takes one of the `maxSessions` places. */
  async function startSession(spec: SessionOptionsV1, snapshot?: Uint8Array): Promise<RunnerSessionV1> {
    if (closed) throw new RunnerError('runner_closed', 'the runner is closed');
    sessionTerms(spec); // what it asks for is judged before whether there is room for it
    const open = (wasm.stats().sessions ?? 0) + opening;
    if (open >= settings.maxSessions) {
      throw new RunnerError(
        'busy',
        `${open} sessions are open, the most this runner holds (${settings.maxSessions}); close one, or raise UMCA_MAX_SESSIONS`,
      );
    }
    if (!wasm.openSession || !wasm.resumeSession) throw new RunnerError('invalid_option', 'this runner holds no sessions');
    opening++;
    try {
      return withSlots(await (snapshot ? wasm.resumeSession(spec, snapshot) : wasm.openSession(spec)));
    } finally {
      opening--;
    }
  }

  const runner: Runner = {
    specificationVersion: 'v1',
    isolation,
    async execute(accepted, execute = {}) {
      const started = now();
      if (closed) return unstartedResult({ status: 'rejected', reason: 'the runner is closed', isolation });
      // Decided before the queue: a refusal waits for no slot, and a busy result names its lane.
      const decision = selectLane(accepted.request, accepted.lanes, containerAvailability);
      if ('refused' in decision) return unstartedResult({ status: 'rejected', reason: decision.refused, isolation });
      const slot = await slots.acquire({ timeoutMs: settings.queueTimeoutMs, ...(execute.signal ? { signal: execute.signal } : {}) });
      if (!slot.acquired) {
        const waited = now() - started;
        if (slot.reason === 'aborted') {
          return unstartedResult({
            status: 'cancelled',
            reason: 'the run was cancelled before it started',
            isolation,
            durationMs: waited,
            lane: decision.lane,
          });
        }
        const reason =
          slot.reason === 'busy'
            ? `the runner is busy: ${settings.concurrency} runs are executing and ${settings.queueLimit} are waiting; try again later or raise UMCA_RUNNER_QUEUE`
            : `the runner is busy: no slot freed up within ${settings.queueTimeoutMs} ms; try again later or raise UMCA_RUNNER_CONCURRENCY`;
        return unstartedResult({ status: 'busy', reason, isolation, durationMs: waited, lane: decision.lane });
      }
      const queuedMs = now() - started;
      if (execute.signal?.aborted) {
        slot.release();
        return unstartedResult({
          status: 'cancelled',
          reason: 'the run was cancelled before it started',
          isolation,
          durationMs: queuedMs,
          lane: decision.lane,
        });
      }
      try {
        const lane = decision.lane === 'container' && container ? container : wasm;
        const decided = (selection: LaneSelection | undefined): LaneSelection | undefined => {
          if (!selection) return selection;
          if (decision.lane === 'container') return { ...selection, by: decision.by, reason: decision.reason };
          return decision.note ? { ...selection, reason: `${selection.reason}; ${decision.note}` } : selection;
        };
        const result = await lane.execute(accepted, {
          ...execute,
          ...(execute.onStart
            ? {
                onStart: (start) => {
                  const selection = decided(start.selection);
                  execute.onStart?.({ ...start, queuedMs, ...(selection ? { selection } : {}) });
                },
              }
            : {}),
        });
        const selection = decided(result.selection);
        const reason =
          decision.lane === 'wasm' && decision.note && result.status === 'error' && result.reason
            ? `${result.reason} (${decision.note})`
            : result.reason;
        return {
          ...result,
          ...(reason ? { reason } : {}),
          ...(selection ? { selection } : {}),
          durationMs: result.durationMs + queuedMs,
          timings: { ...result.timings, queuedMs },
        };
      } finally {
        slot.release();
        completed++;
      }
    },
    openSession: (spec) => startSession(spec),
    resumeSession: (spec, snapshot) => startSession(spec, snapshot),
    async run(request, execute) {
      let accepted: ReturnType<typeof acceptExecutionRequest>;
      try {
        accepted = acceptExecutionRequest(request);
      } catch (error) {
        if (error instanceof PolicyError) return unstartedResult({ status: 'rejected', reason: error.message, isolation });
        throw error;
      }
      return runner.execute(accepted, execute);
    },
    stats() {
      const laneStats = lanes.map((lane) => lane.stats());
      return {
        isolation,
        active: slots.active,
        queued: slots.queued,
        idleSandboxes: laneStats.reduce((sum, lane) => sum + lane.idleSandboxes, 0),
        sessions: laneStats.reduce((sum, lane) => sum + (lane.sessions ?? 0), 0),
        completed,
        sandboxStartupMs: Math.max(...laneStats.map((lane) => lane.sandboxStartupMs ?? 0)) || undefined,
        lanes: laneStats,
      };
    },
    async close() {
      closed = true;
      await Promise.all(lanes.map((lane) => lane.close()));
    },
  };
  return runner;
}
