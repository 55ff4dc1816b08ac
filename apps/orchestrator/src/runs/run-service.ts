/**
 * @module run-service
 * Runs as the orchestrator sees them: a request becomes a run record and a `run.created` event,
 * then the runner executes it while every fact (start, output, egress, result, end) is recorded
 * and published in order. Agent tasks (see task-run) are runs too. Callers may wait for the
 * result or take the run id and watch events.
 */
import { randomUUID } from 'node:crypto';
import {
  type ExecutionRequest,
  type ExecutionResult,
  executionRequestSchema,
  type ParsedExecutionRequest,
  type ParsedTaskRequest,
  resolveLimits,
  type TaskResult,
  taskRequestSchema,
} from '@umca/contracts';
import type { EventBus } from '@umca/events';
import { createEgressPolicy, type Runner } from '@umca/runner';
import type { RunRecord, Store } from '@umca/store';
import { z } from 'zod';
import { createRunRecorder } from './run-recorder.js';
import { RunServiceError } from './run-service-error.js';
import { executeTaskRun, type ModelSettings, resolveTaskModels, type TaskContext } from './task-run.js';

export type { ModelSettings, TaskContext } from './task-run.js';

export type RunResult = ExecutionResult & { runId: string };

export interface SubmittedRun<Result = RunResult> {
  readonly runId: string;
  /** Settles with the result once the run has ended and been recorded. */
  readonly done: Promise<Result>;
}

export interface RunService {
  /** Validates and starts a run. Throws RunServiceError('invalid_request') for bad input. */
  submit(request: unknown): Promise<SubmittedRun>;
  /** Validates and starts an agent task (planner, coder, runner, tester). */
  submitTask(request: unknown, context?: TaskContext): Promise<SubmittedRun<TaskResult>>;
  /** Cancels a run in progress. */
  cancel(runId: string): Promise<'cancelling'>;
  get(runId: string): Promise<RunRecord | undefined>;
  list(query: { limit: number; before?: string; status?: RunRecord['status'] }): Promise<RunRecord[]>;
  /** Runs executing or waiting right now. */
  activeCount(): number;
  /** Ends every run in progress (as cancelled) and waits until each is recorded. */
  shutdown(): Promise<void>;
}

export interface RunServiceOptions {
  runner: Runner;
  store: Store;
  bus: EventBus;
  now?: () => Date;
  newRunId?: () => string;
  /** Told about each finished run (metrics). */
  onRunEnded?: (run: { status: ExecutionResult['status']; durationMs: number }, language: string) => void;
  /** Model settings for tasks. */
  models?: ModelSettings;
}

/** Parses with `schema`, then checks the allowed hosts; throws RunServiceError with every problem in one message. */
function parseRequest<Schema extends z.ZodType<{ allowedOutboundHosts?: string[] | undefined }>>(
  schema: Schema,
  what: string,
  request: unknown,
): z.infer<Schema> {
  const parsed = schema.safeParse(request);
  if (!parsed.success) {
    throw new RunServiceError('invalid_request', `the ${what} is invalid: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`, {
      issues: parsed.error.issues,
    });
  }
  try {
    createEgressPolicy(parsed.data.allowedOutboundHosts);
  } catch (error) {
    throw new RunServiceError('invalid_request', (error as Error).message);
  }
  return parsed.data;
}

export const parseExecutionRequest = (request: unknown): ParsedExecutionRequest =>
  parseRequest(executionRequestSchema, 'execution request', request);

export const parseTaskRequest = (request: unknown): ParsedTaskRequest => parseRequest(taskRequestSchema, 'task request', request);

export function createRunService(options: RunServiceOptions): RunService {
  const { runner, store, bus } = options;
  const now = options.now ?? (() => new Date());
  const newRunId = options.newRunId ?? (() => `run_${randomUUID()}`);
  const active = new Map<string, { controller: AbortController; done: Promise<unknown> }>();

  async function execute(runId: string, request: ParsedExecutionRequest, controller: AbortController): Promise<RunResult> {
    const recorder = createRunRecorder(bus, runId);
    const result = await runner.execute(request, {
      signal: controller.signal,
      onStart: ({ queuedMs, lane, runtime }) =>
        recorder.record(async () => {
          await store.runs.update(runId, { status: 'running', startedAt: now().toISOString() });
          await bus.publish('dev.umca.run.started.v1', runId, { runId, lane, runtime, queuedMs });
        }),
      onOutput: recorder.output,
      onEgress: recorder.egress,
    });
    await recorder.settle();
    const ended = { ...result, runId };
    await store.runs.update(runId, { status: result.status, endedAt: now().toISOString(), durationMs: result.durationMs, result });
    recorder.executed(result);
    await recorder.settle();
    if (result.status === 'crashed') {
      // Not the program's doing: the sandbox failed. Operators watch for this event.
      await bus.publish('dev.umca.error.raised.v1', runId, {
        runId,
        code: 'sandbox_crashed',
        message: result.reason ?? 'the sandbox process died',
      });
    }
    await bus.publish('dev.umca.run.ended.v1', runId, {
      runId,
      status: result.status,
      ...(result.reason ? { reason: result.reason } : {}),
      durationMs: result.durationMs,
    });
    options.onRunEnded?.(ended, request.language);
    return ended;
  }

  return {
    async submitTask(body, context = {}) {
      const task = resolveTaskModels(parseTaskRequest(body), options.models ?? {}, context);
      const { request } = task;
      const runId = newRunId();
      await store.runs.create({
        id: runId,
        kind: 'task',
        status: 'queued',
        language: request.language,
        createdAt: now().toISOString(),
        request,
      });
      await bus.publish('dev.umca.task.created.v1', runId, {
        runId,
        task: request.task,
        language: request.language,
        models: task.models,
        maxIterations: request.maxIterations,
      });
      const controller = new AbortController();
      const done = executeTaskRun({ runner, store, bus, now }, runId, task, controller.signal)
        .then((result) => {
          options.onRunEnded?.(result, `task:${request.language}`);
          return result;
        })
        .finally(() => active.delete(runId));
      active.set(runId, { controller, done });
      return { runId, done };
    },
    async submit(body) {
      const request = parseExecutionRequest(body);
      const runId = newRunId();
      const limits = resolveLimits(request.limits);
      await store.runs.create({
        id: runId,
        kind: 'execution',
        status: 'queued',
        language: request.language,
        createdAt: now().toISOString(),
        request: request as ExecutionRequest,
      });
      await bus.publish('dev.umca.run.created.v1', runId, {
        runId,
        kind: 'execution',
        language: request.language,
        codeBytes: Buffer.byteLength(
          request.language === 'wasi' ? request.module : request.code,
          request.language === 'wasi' ? 'base64' : 'utf8',
        ),
        limits,
        allowedOutboundHosts: request.allowedOutboundHosts ?? [],
      });
      const controller = new AbortController();
      const done = execute(runId, request, controller).finally(() => active.delete(runId));
      active.set(runId, { controller, done });
      return { runId, done };
    },
    async cancel(runId) {
      const run = active.get(runId);
      if (!run) {
        const record = await store.runs.get(runId);
        if (!record) throw new RunServiceError('not_found', `there is no run ${runId}`);
        throw new RunServiceError('already_ended', `run ${runId} already ended (${record.status}); there is nothing to cancel`);
      }
      run.controller.abort();
      return 'cancelling';
    },
    get: (runId) => store.runs.get(runId),
    list: (query) => store.runs.list(query),
    activeCount: () => active.size,
    async shutdown() {
      const runs = [...active.values()];
      for (const run of runs) run.controller.abort();
      await Promise.allSettled(runs.map((run) => run.done));
    },
  };
}

/**
 * Runs a process left queued or running (it stopped without ending them) are ended now, as
 * cancelled, so no run stays unfinished forever.
 */
export async function endInterruptedRuns(store: Store, bus: EventBus, now: () => Date = () => new Date()): Promise<number> {
  const unfinished = await store.runs.unfinished();
  for (const run of unfinished) {
    const reason = 'the server stopped before the run ended';
    const durationMs = Math.max(0, now().getTime() - Date.parse(run.createdAt));
    await store.runs.update(run.id, { status: 'cancelled', endedAt: now().toISOString(), durationMs });
    await bus.publish('dev.umca.run.ended.v1', run.id, { runId: run.id, status: 'cancelled', reason, durationMs });
  }
  return unfinished.length;
}
