/**
 * @module create-run-service
 * Runs as every edge sees them (HTTP, MCP, the CLI): an accepted request becomes a run record and
 * a `run.created` event, then the runner executes it while every fact (start, output, egress,
 * result, end) is recorded and published in order. Agent tasks are runs too. Callers may wait for
 * the result or take the run id and follow its events. The service depends only on the ports
 * (`RunnerV1`, `StoreV1`, `EventBusV1`, a model gateway factory); the edge wires implementations.
 */
import { randomUUID } from 'node:crypto';
import type {
  AcceptedExecutionV1,
  EventBusV1,
  ExecutionResult,
  Logger,
  Principal,
  RunnerV1,
  RunQuery,
  RunRecord,
  RunResult,
  StoreV1,
  TaskResult,
  UmcaEventType,
  UpstreamToolsV1,
} from '@umca/contracts';
import { resolveLimits } from '@umca/contracts';
import type { AcceptedTask } from '@umca/policy';
import { endRunSpan, NO_TRACING, type RunSpan, type RunTracing, startRunSpan } from '@umca/tracing';
import { executeRun } from './execute-run.js';
import type { RemoteRuns } from './remote-runs.js';
import { RunError } from './run-error.js';
import { createRunRecorder, type RunRecorder } from './run-recorder.js';
import { createRunTools, DEFAULT_TOOL_CALLS_PER_RUN, type RunTools, type ToolAccess } from './run-tools.js';
import { executeTaskRun, type ModelSettings, resolveTaskModels, type TaskContext } from './task-run.js';

export interface SubmittedRun<Result = RunResult> {
  readonly runId: string;
  /** Settles with the result once the run has ended and been recorded. */
  readonly done: Promise<Result>;
}

/** Who a run is for: recorded with it and carried on each of its events. */
export interface SubmitOptions {
  readonly principal?: Principal;
  /** Which upstream MCP tools the run's program may call (the caller's grant). Absent: none. */
  readonly toolAccess?: ToolAccess;
  /** The session the run is for (session-service.ts): it runs there, in the state it holds. */
  readonly session?: { readonly id: string; readonly runner: Pick<RunnerV1, 'execute'> };
}

export interface RunService {
  /** Starts an accepted execution. */
  submit(execution: AcceptedExecutionV1, options?: SubmitOptions): Promise<SubmittedRun>;
  /** Starts an accepted agent task; throws RunError: `invalid_request` when it has no model, `model_unavailable` when its model cannot work here. */
  submitTask(task: AcceptedTask, context?: TaskContext): Promise<SubmittedRun<TaskResult>>;
  /** Cancels a run in progress; throws RunError('not_found' | 'already_ended'). */
  cancel(runId: string): Promise<'cancelling'>;
  /** A run; throws RunError('not_found'). */
  get(runId: string): Promise<RunRecord>;
  list(query: RunQuery): Promise<RunRecord[]>;
  /** Runs executing or waiting right now. */
  activeCount(): number;
  /** Ends every run in progress (as cancelled) and waits until each is recorded. */
  shutdown(): Promise<void>;
}

export interface RunServiceOptions {
  /** Executes runs here; needed unless `remote` is given. */
  runner?: RunnerV1;
  store: StoreV1;
  bus: EventBusV1;
  logger: Logger;
  now?: () => Date;
  newRunId?: () => string;
  /** Told about each finished run (metrics). */
  onRunEnded?: (
    run: Pick<ExecutionResult, 'status' | 'durationMs'> & Partial<Pick<ExecutionResult, 'lane' | 'runtime'>>,
    language: string,
  ) => void;
  /** Told about each event that could not be published (metrics); the run's warnings say so too. */
  onPublishFailed?: (type: UmcaEventType) => void;
  /** Models for tasks; without them a task is refused with what to set. */
  models?: ModelSettings;
  /** Runs execute on remote workers, taken from this queue (`openRemoteRuns`); `runner` is then unused for executions. */
  remote?: RemoteRuns;
  /** Spans for every run, step, model call and execution. Default: none. */
  tracing?: RunTracing;
  /** The upstream MCP servers' tools, which programs (and agents) may call under their caller's grant. */
  upstreamTools?: UpstreamToolsV1;
  /** Upstream tool calls one run may make, refused ones included (default 50). */
  toolCallsPerRun?: number;
}

export function createRunService(options: RunServiceOptions): RunService {
  const { store, bus, logger } = options;
  if (!options.runner && !options.remote) throw new TypeError('the run service needs a runner, or remote workers');
  const localRunner = (): RunnerV1 => {
    if (!options.runner) throw new RunError('not_supported', 'this server runs no code itself: its runs execute on remote workers');
    return options.runner;
  };
  const now = options.now ?? (() => new Date());
  const newRunId = options.newRunId ?? (() => `run_${randomUUID()}`);
  const tracing = options.tracing ?? NO_TRACING;
  const active = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  const recorderFor = (runId: string, principal: Principal | undefined, span: RunSpan) =>
    createRunRecorder({
      bus,
      runId,
      logger,
      ...(options.onPublishFailed ? { onPublishFailed: options.onPublishFailed } : {}),
      ...(principal ? { principal: principal.sub } : {}),
      ...(span.traceparent ? { traceparent: span.traceparent } : {}),
    });
  const runSpanFor = (runId: string, kind: 'execution' | 'task', language: string, principal: Principal | undefined, task?: string) =>
    startRunSpan(tracing, { runId, kind, language, ...(principal ? { principal: principal.sub } : {}), ...(task ? { task } : {}) });
  /** Ends the run's span when the run has ended (or failed unexpectedly). */
  const endSpanWhenDone = <Result extends { status: RunResult['status']; reason?: string }>(
    span: RunSpan,
    done: Promise<Result>,
    details: (result: Result) => { verdict?: TaskResult['verdict']; output?: string } = () => ({}),
  ): Promise<Result> =>
    done.then(
      (result) => {
        endRunSpan(tracing, span, { status: result.status, ...(result.reason ? { reason: result.reason } : {}), ...details(result) });
        return result;
      },
      (error: unknown) => {
        endRunSpan(tracing, span, { status: 'crashed', reason: (error as Error).message });
        throw error;
      },
    );

  /** The upstream tools one run may call; absent on a server with no upstream MCP server. */
  const toolsFor = (
    runId: string,
    recorder: RunRecorder,
    principal: Principal | undefined,
    access: ToolAccess | undefined,
  ): RunTools | undefined =>
    options.upstreamTools
      ? createRunTools({
          upstream: options.upstreamTools,
          access: access ?? { allows: () => false },
          runId,
          ...(principal ? { principal } : {}),
          recorder,
          tracing,
          budget: options.toolCallsPerRun ?? DEFAULT_TOOL_CALLS_PER_RUN,
        })
      : undefined;

  /** Publishes run.created: the first fact of every execution run, wherever it executes. */
  function announce(runId: string, execution: AcceptedExecutionV1, recorder: RunRecorder, sessionId?: string): void {
    const { request } = execution;
    recorder.publish('dev.umca.run.created.v1', {
      runId,
      kind: 'execution',
      language: request.language,
      codeBytes: Buffer.byteLength(
        request.language === 'wasi' ? request.module : request.code,
        request.language === 'wasi' ? 'base64' : 'utf8',
      ),
      limits: resolveLimits(request.limits),
      allowedOutboundHosts: [...execution.egress.allowedOutboundHosts],
      ...(sessionId ? { sessionId } : {}),
    });
  }

  async function execute(
    runId: string,
    execution: AcceptedExecutionV1,
    controller: AbortController,
    principal: Principal | undefined,
    span: RunSpan,
    toolAccess: ToolAccess | undefined,
    session: SubmitOptions['session'],
  ): Promise<RunResult> {
    const { request } = execution;
    const recorder = recorderFor(runId, principal, span);
    announce(runId, execution, recorder, session?.id);
    const tools = toolsFor(runId, recorder, principal, toolAccess);
    const { result } = await executeRun(
      {
        runner: session?.runner ?? localRunner(),
        store,
        logger,
        now,
        recorder,
        tracing,
        traceContext: span.context,
        ...(tools ? { tools } : {}),
      },
      runId,
      execution,
      controller.signal,
    );
    options.onRunEnded?.(result, request.language);
    return result;
  }

  /** Keeps a run in `active` until it has ended; a failure of ours is logged with its cause. */
  function track<Result>(runId: string, controller: AbortController, done: Promise<Result>): SubmittedRun<Result> {
    const tracked = done
      .catch((error: unknown) => {
        logger.error({ err: error, runId }, `run ${runId} failed unexpectedly`);
        throw error;
      })
      .finally(() => active.delete(runId));
    active.set(runId, { controller, done: tracked.catch(() => {}) });
    return { runId, done: tracked };
  }

  return {
    async submit(execution, submitOptions = {}) {
      const { principal, toolAccess, session } = submitOptions;
      const runId = newRunId();
      const span = runSpanFor(runId, 'execution', execution.request.language, principal);
      if (options.remote && !session) {
        const recorder = recorderFor(runId, principal, span);
        // A refused run (every worker busy) does not exist: its span is never ended, so never kept.
        const { done } = await options.remote.submit(
          runId,
          execution,
          principal,
          recorder,
          () => announce(runId, execution, recorder),
          span,
        );
        return track(runId, new AbortController(), endSpanWhenDone(span, done));
      }
      await store.runs.create({
        id: runId,
        kind: 'execution',
        status: 'queued',
        language: execution.request.language,
        createdAt: now().toISOString(),
        request: execution.request,
        ...(principal ? { principal } : {}),
        ...(span.traceId ? { traceId: span.traceId } : {}),
      });
      const controller = new AbortController();
      return track(runId, controller, endSpanWhenDone(span, execute(runId, execution, controller, principal, span, toolAccess, session)));
    },
    async submitTask(accepted, context = {}) {
      if (options.remote) {
        throw new RunError(
          'not_supported',
          'this server sends runs to remote workers (--workers remote) and runs no code itself, so it cannot run agent tasks yet; send tasks to a server with its own runner',
        );
      }
      const task = resolveTaskModels(accepted, options.models, context);
      const { request } = task;
      const { principal } = context;
      const runId = newRunId();
      const span = runSpanFor(runId, 'task', request.language, principal, request.task);
      await store.runs.create({
        id: runId,
        kind: 'task',
        status: 'queued',
        language: request.language,
        createdAt: now().toISOString(),
        request,
        ...(principal ? { principal } : {}),
        ...(span.traceId ? { traceId: span.traceId } : {}),
      });
      const recorder = recorderFor(runId, principal, span);
      const tools = toolsFor(runId, recorder, principal, context.toolAccess);
      recorder.publish('dev.umca.task.created.v1', {
        runId,
        task: request.task,
        language: request.language,
        models: task.models,
        maxIterations: request.maxIterations,
      });
      const controller = new AbortController();
      const done = executeTaskRun(
        { runner: localRunner(), store, logger, now, recorder, tracing, traceContext: span.context, ...(tools ? { tools } : {}) },
        runId,
        task,
        controller.signal,
      ).then((result) => {
        options.onRunEnded?.(result, `task:${request.language}`);
        return result;
      });
      return track(
        runId,
        controller,
        endSpanWhenDone(span, done, (result) => ({ verdict: result.verdict, output: result.stdout })),
      );
    },
    async cancel(runId) {
      if (options.remote) return options.remote.cancel(runId);
      const run = active.get(runId);
      if (!run) {
        const record = await store.runs.get(runId);
        if (!record) throw new RunError('not_found', `there is no run ${runId}`);
        throw new RunError('already_ended', `run ${runId} already ended (${record.status}); there is nothing to cancel`);
      }
      run.controller.abort();
      return 'cancelling';
    },
    async get(runId) {
      const run = await store.runs.get(runId);
      if (!run) throw new RunError('not_found', `there is no run ${runId}`);
      return run;
    },
    list: (query) => store.runs.list(query),
    activeCount: () => active.size,
    async shutdown() {
      const runs = [...active.values()];
      for (const run of runs) run.controller.abort();
      await Promise.allSettled(runs.map((run) => run.done));
    },
  };
}
