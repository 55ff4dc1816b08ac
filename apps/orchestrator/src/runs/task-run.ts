/**
 * @module task-run
 * An agent task as a run: the model is resolved and checked before the run exists (a bad model
 * name or a missing key is the caller's 400, not a failed run), then the flow's steps, model
 * calls, output, executions and check results are published in order as it goes.
 */
import { createTaskFlow } from '@umca/agents';
import type { ParsedTaskRequest, TaskResult } from '@umca/contracts';
import type { EventBus } from '@umca/events';
import { type ChatModel, createModelGateway, ModelError, type ModelGateway } from '@umca/models';
import type { Runner } from '@umca/runner';
import type { Store } from '@umca/store';
import { createRunRecorder } from './run-recorder.js';
import { RunServiceError } from './run-service-error.js';

export interface TaskContext {
  /** Models offered by the caller's context (the MCP client's `sampling`). */
  contextModels?: Readonly<Record<string, ChatModel>>;
  /** The model to use when the request names none (before the service default). */
  preferredModel?: string;
}

export interface ModelSettings {
  /** Where provider settings are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Used when a task names no model (UMCA_MODEL). */
  defaultModel?: string;
  /** Tried after the default model (UMCA_MODEL_FALLBACKS). */
  fallbackModels?: readonly string[];
}

export interface ResolvedTask {
  request: ParsedTaskRequest & { model: string };
  /** The model, then its fallbacks, in the order they will be tried. */
  models: string[];
  gateway: ModelGateway;
}

/** Picks the model and its fallbacks and checks each can be used; throws invalid_request if not. */
export function resolveTaskModels(request: ParsedTaskRequest, settings: ModelSettings, context: TaskContext): ResolvedTask {
  const gateway = createModelGateway({
    ...(settings.env ? { env: settings.env } : {}),
    ...(context.contextModels ? { contextModels: context.contextModels } : {}),
  });
  const model = request.model ?? context.preferredModel ?? settings.defaultModel;
  if (!model) {
    throw new RunServiceError(
      'invalid_request',
      'the task names no model and the server has no default: pass "model" (provider:model, e.g. qwen:qwen-max or local:/path/model.gguf) or set UMCA_MODEL',
    );
  }
  // The request's own fallbacks replace the server's; the server's apply only to its own default.
  const fallbacks = request.fallbackModels ?? (request.model ? [] : [...(settings.fallbackModels ?? [])]);
  const models = [model, ...fallbacks];
  for (const spec of models) {
    try {
      gateway.preflight(spec);
    } catch (error) {
      if (error instanceof ModelError) throw new RunServiceError('invalid_request', error.message);
      throw error;
    }
  }
  return { request: { ...request, model, fallbackModels: fallbacks }, models, gateway };
}

export async function executeTaskRun(
  deps: { runner: Runner; store: Store; bus: EventBus; now: () => Date },
  runId: string,
  task: ResolvedTask,
  signal: AbortSignal,
): Promise<TaskResult> {
  const { runner, store, bus, now } = deps;
  const recorder = createRunRecorder(bus, runId);
  await store.runs.update(runId, { status: 'running', startedAt: now().toISOString() });
  await bus.publish('dev.umca.run.started.v1', runId, { runId, lane: 'wasm', queuedMs: 0 });
  const flow = createTaskFlow({ gateway: task.gateway, runner });
  const started = performance.now();
  let result: TaskResult;
  try {
    const flowResult = await flow.run(task.request, {
      signal,
      hooks: {
        stepStarted: (step, iteration) => recorder.record(() => bus.publish('dev.umca.step.started.v1', runId, { runId, step, iteration })),
        stepEnded: (step, iteration, outcome, durationMs, summary) => {
          recorder.flushOutput();
          recorder.record(() =>
            bus.publish('dev.umca.step.ended.v1', runId, { runId, step, iteration, outcome, durationMs, ...(summary ? { summary } : {}) }),
          );
        },
        modelCalled: (call) => recorder.record(() => bus.publish('dev.umca.model.called.v1', runId, { runId, ...call })),
        output: recorder.output,
        egress: recorder.egress,
        executed: recorder.executed,
        checksEvaluated: (iteration, checks, verdict) =>
          recorder.record(() => bus.publish('dev.umca.checks.evaluated.v1', runId, { runId, iteration, checks, verdict })),
      },
    });
    result = { runId, ...flowResult };
  } catch (error) {
    // A defect of ours, not the model's or the program's: end the run rather than leave it running.
    const message = `the task flow failed unexpectedly: ${(error as Error).message}`;
    await recorder.settle();
    await bus.publish('dev.umca.error.raised.v1', runId, { runId, code: 'task_flow_failed', message });
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
  await recorder.settle();
  await store.runs.update(runId, { status: result.status, endedAt: now().toISOString(), durationMs: result.durationMs, result });
  await bus.publish('dev.umca.run.ended.v1', runId, {
    runId,
    status: result.status,
    ...(result.reason ? { reason: result.reason } : {}),
    durationMs: result.durationMs,
  });
  return result;
}
