/**
 * @module task-run
 * An agent task as a run: the model is resolved and checked before the run exists (a bad model
 * name or a missing key is the caller's 400, not a failed run), then the flow's steps, model
 * calls, output, executions and check results are published in order as it goes.
 */
import type { Context } from '@opentelemetry/api';
import { createTaskFlow } from '@umca/agents';
import type {
  ChatModelV1,
  Logger,
  ModelGatewayFactoryV1,
  ModelGatewayV1,
  ParsedTaskRequest,
  Principal,
  RunnerV1,
  StoreV1,
  TaskResult,
} from '@umca/contracts';
import { UmcaError } from '@umca/contracts';
import type { AcceptedTask } from '@umca/policy';
import type { RunTracing } from '@umca/tracing';
import { endRun } from './end-run.js';
import { RunError } from './run-error.js';
import type { RunRecorder } from './run-recorder.js';
import type { RunTools, ToolAccess } from './run-tools.js';

export interface TaskContext {
  /** Models offered by the caller's context (the MCP client's `sampling`). */
  contextModels?: Readonly<Record<string, ChatModelV1>>;
  /** The model to use when the request names none (before the service default). */
  preferredModel?: string;
  /** Who asks: recorded with the run and carried on its events. */
  principal?: Principal;
  /** Checks the models the task would call (its model, then its fallbacks) against the caller's policy; throws to refuse. */
  authorizeModels?: (models: readonly string[]) => void;
  /** Which upstream MCP tools the task's programs may call (the caller's grant). Absent: none. */
  toolAccess?: ToolAccess;
}

export interface ModelSettings {
  /** Makes the gateway for a task (the environment's providers plus the context's models). */
  createGateway: ModelGatewayFactoryV1;
  /** Used when a task names no model (UMCA_MODEL). */
  defaultModel?: string;
  /** Tried after the default model (UMCA_MODEL_FALLBACKS). */
  fallbackModels?: readonly string[];
}

export interface ResolvedTask extends AcceptedTask {
  readonly request: ParsedTaskRequest & { model: string };
  /** The model, then its fallbacks, in the order they will be tried. */
  readonly models: string[];
  readonly gateway: ModelGatewayV1;
}

/** Picks the model and its fallbacks and checks each can be used; throws RunError (`invalid_request` with no model at all, `model_unavailable` for one that cannot work here). */
export function resolveTaskModels(task: AcceptedTask, settings: ModelSettings | undefined, context: TaskContext): ResolvedTask {
  const { request } = task;
  const model = request.model ?? context.preferredModel ?? settings?.defaultModel;
  if (!model || !settings) {
    throw new RunError(
      'invalid_request',
      'the task names no model and the server has no default: pass "model" (provider:model, e.g. qwen:qwen-max or local:/path/model.gguf) or set UMCA_MODEL',
      // The field, as for any invalid request, so each edge can say it in its own words (a flag, an argument).
      { details: { issues: [{ code: 'custom', path: ['model'], message: 'required: there is no default model' }] } },
    );
  }
  const gateway = settings.createGateway(context.contextModels ? { contextModels: context.contextModels } : {});
  // The request's own fallbacks replace the server's; the server's apply only to its own default.
  const fallbacks = request.fallbackModels ?? (request.model ? [] : [...(settings.fallbackModels ?? [])]);
  const models = [model, ...fallbacks];
  for (const [index, spec] of models.entries()) {
    try {
      gateway.preflight(spec);
    } catch (error) {
      if (!(error instanceof UmcaError)) throw error;
      // The field the model came from, so each edge can name it in its own words; none for the server's own default.
      const path =
        index === 0 ? (request.model ? ['model'] : undefined) : request.fallbackModels ? ['fallbackModels', index - 1] : undefined;
      throw new RunError('model_unavailable', error.message, {
        cause: error,
        ...(path ? { details: { issues: [{ code: 'custom', path, message: `cannot be used here: ${error.message}` }] } } : {}),
      });
    }
  }
  context.authorizeModels?.(models);
  return { ...task, request: { ...request, model, fallbackModels: fallbacks }, models, gateway };
}

export interface TaskRunDeps {
  runner: RunnerV1;
  store: StoreV1;
  logger: Logger;
  now: () => Date;
  /** The run's recorder, which has published `task.created`. */
  recorder: RunRecorder;
  tracing?: RunTracing;
  /** Where the steps' spans start: under the run's span. */
  traceContext?: Context;
  /** The upstream tools the task's programs may call (and its coder is told of). */
  tools?: RunTools;
}

export async function executeTaskRun(deps: TaskRunDeps, runId: string, task: ResolvedTask, signal: AbortSignal): Promise<TaskResult> {
  const { runner, store, now, recorder } = deps;
  await store.runs.update(runId, { status: 'running', startedAt: now().toISOString() });
  recorder.publish('dev.umca.run.started.v1', { runId, lane: 'wasm', queuedMs: 0 });
  const { tools } = deps;
  const flow = createTaskFlow({
    gateway: task.gateway,
    runner,
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
    ...(tools ? { tools } : {}),
  });
  const started = performance.now();
  let result: TaskResult;
  try {
    const flowResult = await flow.run(task.request, {
      egress: task.egress,
      signal,
      ...(deps.traceContext ? { traceContext: deps.traceContext } : {}),
      hooks: {
        stepStarted: (step, iteration) => recorder.publish('dev.umca.step.started.v1', { runId, step, iteration }),
        stepEnded: (step, iteration, outcome, durationMs, summary) => {
          recorder.flushOutput();
          recorder.publish('dev.umca.step.ended.v1', { runId, step, iteration, outcome, durationMs, ...(summary ? { summary } : {}) });
        },
        modelCalled: (call) => recorder.publish('dev.umca.model.called.v1', { runId, ...call }),
        output: recorder.output,
        egress: recorder.egress,
        executed: recorder.executed,
        checksEvaluated: (iteration, checks, verdict) =>
          recorder.publish('dev.umca.checks.evaluated.v1', { runId, iteration, checks, verdict }),
      },
    });
    result = { runId, ...flowResult };
  } catch (error) {
    // A defect of ours, not the model's or the program's: end the run rather than leave it running.
    const message = `the task flow failed unexpectedly: ${(error as Error).message}`;
    deps.logger.error({ err: error, runId }, message);
    recorder.publish('dev.umca.error.raised.v1', { runId, code: 'task_flow_failed', message });
    result = {
      runId,
      status: 'crashed',
      verdict: 'fail',
      reason: message,
      plan: [],
      checks: [],
      code: '',
      stdout: '',
      iterations: [],
      models: [],
      usage: { calls: 0, promptTokens: 0, completionTokens: 0, latencyMs: 0 },
      durationMs: performance.now() - started,
    };
  }
  await endRun(store, now, recorder, runId, {
    status: result.status,
    ...(result.reason ? { reason: result.reason } : {}),
    durationMs: result.durationMs,
    result,
  });
  return result;
}
