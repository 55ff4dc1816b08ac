/**
 * @module create-task-flow
 * The agent flow: planner → coder → runner → tester, repeated with the evidence until the checks
 * pass or the rounds run out. Every step reports itself through hooks (the orchestrator turns
 * them into events), and an abort stops the flow between steps and inside them (model calls and
 * executions are cancelled, not waited for).
 */
import { randomBytes } from 'node:crypto';
import { type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  type ChatMessage,
  type CheckResult,
  type EgressAttempt,
  type EgressPolicyV1,
  type ExecutionResult,
  type GatewayResponse,
  type ModelGatewayV1,
  type ParsedExecutionRequest,
  type ParsedTaskRequest,
  type RunnerV1,
  type SandboxToolsV1,
  type TaskIteration,
  type TaskResult,
  type ToolDefinition,
  UmcaError,
  type Verdict,
} from '@umca/contracts';
import {
  endExecutionSpan,
  endModelSpan,
  endStepSpan,
  failSpan,
  NO_TRACING,
  type RunTracing,
  startExecutionSpan,
  startModelSpan,
  startStepSpan,
} from '@umca/tracing';
import { converseWithTools, findingsNote, type ToolFinding } from './agent-tools.js';
import { buildHarness } from './check-harness.js';
import { extractCode, extractJsonObject, stringList } from './parse-model-output.js';
import { coderMessages, plannerMessages, plannerRepairMessages } from './prompts.js';
import { toolNotes } from './tool-notes.js';

export type Step = 'plan' | 'code' | 'execute' | 'test';

export interface ModelCall {
  step: Step;
  iteration: number;
  model: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  attempts: number;
  error?: string;
}

/** What the flow reports as it goes. Every hook is optional. */
export interface FlowHooks {
  stepStarted?(step: Step, iteration: number): void;
  stepEnded?(step: Step, iteration: number, outcome: 'ok' | 'failed' | 'cancelled', durationMs: number, summary?: string): void;
  modelCalled?(call: ModelCall): void;
  modelText?(step: Step, delta: string): void;
  output?(stream: 'stdout' | 'stderr', text: string): void;
  egress?(attempt: EgressAttempt): void;
  executed?(result: ExecutionResult, iteration: number): void;
  checksEvaluated?(iteration: number, checks: CheckResult[], verdict: Verdict): void;
}

/**
 * The upstream MCP tools of one task (one budget for all): for a program, whose span is `parent`,
 * and for the planner or coder, through the model's tool calls. Each view lists the tools the
 * caller may call and makes the calls under its policy.
 */
export interface FlowTools {
  forExecution(parent: Context): SandboxToolsV1;
  forAgent(step: Step, parent: Context): SandboxToolsV1;
}

export interface TaskFlowOptions {
  gateway: ModelGatewayV1;
  runner: RunnerV1;
  /** Spans for each step, model call and execution. Default: none. */
  tracing?: RunTracing;
  /** The upstream MCP tools the task's programs and its planner and coder may call. Absent: none. */
  tools?: FlowTools;
  now?: () => number;
  nonce?: () => string;
}

export type FlowResult = Omit<TaskResult, 'runId'>;

export interface TaskFlow {
  /** Runs the task; every program it writes is held to `egress`, the task's accepted policy. */
  run(
    request: ParsedTaskRequest,
    options: {
      egress: EgressPolicyV1;
      hooks?: FlowHooks;
      signal?: AbortSignal;
      /** The span context the steps' spans start under (the run's). */
      traceContext?: Context;
    },
  ): Promise<FlowResult>;
}

class FlowCancelled extends Error {}

/** The flow's own refusal: a task with no model to ask. */
export class TaskFlowError extends UmcaError<'no_model'> {
  override readonly name = 'UMCA_TaskFlowError';
}

const MAX_CHECKS = 12;
const TAIL = 1_500;

function tail(text: string): string {
  return text.length > TAIL ? `…${text.slice(-TAIL)}` : text;
}

function feedbackFor(execution: ExecutionResult, checks: CheckResult[], stdout: string, fenced: boolean): string {
  const parts: string[] = [];
  if (!fenced) parts.push('Your reply had no code block; the whole reply was run as the program.');
  if (execution.status !== 'ok') {
    parts.push(`The program ended "${execution.status}"${execution.reason ? `: ${execution.reason}` : ''}.`);
    if (execution.error?.traceback) parts.push(`Traceback:\n${tail(execution.error.traceback)}`);
    else if (execution.stderr) parts.push(`stderr:\n${tail(execution.stderr)}`);
  }
  const failed = checks.filter((check) => !check.passed);
  if (failed.length)
    parts.push(`Failed checks:\n${failed.map((check) => `- ${check.name}${check.detail ? ` → ${check.detail}` : ''}`).join('\n')}`);
  if (stdout) parts.push(`stdout:\n${tail(stdout)}`);
  return parts.join('\n\n');
}

export function createTaskFlow(options: TaskFlowOptions): TaskFlow {
  const now = options.now ?? (() => performance.now());
  const nonce = options.nonce ?? (() => randomBytes(8).toString('hex'));
  const tracing = options.tracing ?? NO_TRACING;

  return {
    async run(request, { egress, hooks = {}, signal, traceContext = ROOT_CONTEXT }) {
      const started = now();
      // The caller chose the model and its fallbacks (the orchestrator applies the server's defaults).
      const models = [request.model, ...(request.fallbackModels ?? [])].filter((model): model is string => Boolean(model));
      const usage = { calls: 0, promptTokens: 0, completionTokens: 0, latencyMs: 0 };
      const answered = new Set<string>();
      const iterations: TaskIteration[] = [];
      let plan: string[] = [];
      let checks: string[] = [];
      let code = '';
      let stdout = '';

      const guard = () => {
        if (signal?.aborted) throw new FlowCancelled();
      };

      async function step<T>(
        name: Step,
        iteration: number,
        work: (context: Context) => Promise<{ value: T; outcome?: 'ok' | 'failed'; summary?: string }>,
      ): Promise<T> {
        guard();
        const stepStarted = now();
        hooks.stepStarted?.(name, iteration);
        const span = startStepSpan(tracing, traceContext, name, iteration);
        try {
          const { value, outcome = 'ok', summary } = await work(span.context);
          endStepSpan(span, outcome, summary);
          hooks.stepEnded?.(name, iteration, outcome, now() - stepStarted, summary);
          return value;
        } catch (error) {
          const cancelled = error instanceof FlowCancelled || signal?.aborted || (error instanceof UmcaError && error.code === 'cancelled');
          const summary = (error as Error).message.slice(0, 300);
          endStepSpan(span, cancelled ? 'cancelled' : 'failed', summary);
          hooks.stepEnded?.(name, iteration, cancelled ? 'cancelled' : 'failed', now() - stepStarted, summary);
          throw cancelled ? new FlowCancelled() : error;
        }
      }

      async function ask(
        name: Step,
        iteration: number,
        messages: ChatMessage[],
        context: Context,
        tools: readonly ToolDefinition[] = [],
      ): Promise<GatewayResponse> {
        if (models.length === 0) {
          throw new TaskFlowError(
            'no_model',
            'no model was named: pass a model (provider:model, e.g. qwen:qwen-max or local:/path/model.gguf) or set UMCA_MODEL',
          );
        }
        const span = startModelSpan(tracing, context, { models, messages, temperature: 0, maxTokens: request.maxTokens });
        try {
          const response = await options.gateway.chat(
            models,
            { messages, temperature: 0, maxTokens: request.maxTokens, ...(tools.length ? { tools } : {}) },
            {
              ...(signal ? { signal } : {}),
              onText: (delta) => hooks.modelText?.(name, delta),
            },
          );
          endModelSpan(tracing, span, response);
          usage.calls++;
          usage.promptTokens += response.usage.promptTokens;
          usage.completionTokens += response.usage.completionTokens;
          usage.latencyMs += response.latencyMs;
          answered.add(response.modelId);
          hooks.modelCalled?.({
            step: name,
            iteration,
            model: response.modelId,
            promptTokens: response.usage.promptTokens,
            completionTokens: response.usage.completionTokens,
            latencyMs: response.latencyMs,
            attempts: response.attempts.length,
          });
          return response;
        } catch (error) {
          const failure = error as UmcaError;
          failSpan(span, failure);
          hooks.modelCalled?.({
            step: name,
            iteration,
            model: models.at(-1) ?? '',
            promptTokens: 0,
            completionTokens: 0,
            latencyMs: 0,
            attempts: models.length,
            error: failure.message,
          });
          throw error;
        }
      }

      const finish = (status: FlowResult['status'], verdict: Verdict, reason?: string): FlowResult => ({
        status,
        verdict,
        ...(reason ? { reason } : {}),
        plan,
        checks,
        code,
        stdout,
        iterations,
        models: [...answered],
        usage,
        durationMs: now() - started,
      });

      // Read once, when the task starts: the servers up now, and the tools the caller may call.
      const notes = options.tools ? toolNotes(options.tools.forExecution(traceContext).tools, request.language) : '';
      /** A step's model turn, answering the model's tool calls when the task has tools. */
      const askAgent = async (name: Step, iteration: number, messages: ChatMessage[], context: Context) => {
        if (!options.tools) return { response: await ask(name, iteration, messages, context), findings: [] as ToolFinding[] };
        return converseWithTools({
          ask: (turn, tools) => ask(name, iteration, turn, context, tools),
          tools: (options.tools as FlowTools).forAgent(name, context),
          messages,
          ...(signal ? { signal } : {}),
        });
      };
      let findings = '';
      try {
        await step('plan', 0, async (context) => {
          const asked = plannerMessages(request.task, request.language, notes);
          const conversed = await askAgent('plan', 0, asked, context);
          const first = conversed.response;
          findings = findingsNote(conversed.findings);
          let parsed = extractJsonObject(first.text);
          let repaired = false;
          if (stringList(parsed?.checks, MAX_CHECKS).length === 0) {
            // Small models often answer in prose: one more turn, with their answer and the format again.
            const second = await ask('plan', 0, plannerRepairMessages(asked, first.text, request.language), context);
            const again = extractJsonObject(second.text);
            if (again && (stringList(again.checks, MAX_CHECKS).length > 0 || !parsed)) {
              parsed = again;
              repaired = true;
            }
          }
          plan = stringList(parsed?.plan, 20);
          checks = stringList(parsed?.checks, MAX_CHECKS);
          if (!parsed) plan = first.text.trim() ? [first.text.trim().slice(0, 500)] : [];
          return {
            value: undefined,
            summary: parsed
              ? `${plan.length} steps, ${checks.length} checks${repaired ? ' (on the second ask)' : ''}${checks.length ? '' : ': nothing will verify the program'}`
              : 'the planner did not answer in JSON: planning without checks, nothing will verify the program',
          };
        });

        let previous: { code: string; feedback: string } | undefined;
        for (let index = 1; index <= request.maxIterations; index++) {
          const written = await step('code', index, async (context) => {
            const { response } = await askAgent(
              'code',
              index,
              coderMessages({
                task: request.task,
                language: request.language,
                plan,
                checks,
                tools: [notes, findings].filter(Boolean).join('\n\n'),
                ...(previous ? { previous } : {}),
              }),
              context,
            );
            const extracted = extractCode(response.text, request.language);
            return { value: extracted, summary: `${extracted.code.split('\n').length} lines${extracted.fenced ? '' : ' (no code block)'}` };
          });
          code = written.code;

          const harness = buildHarness(written.code, checks, request.language, nonce());
          const execution = await step('execute', index, async (context) => {
            const live = hooks.output ? harness.liveOutput(hooks.output) : undefined;
            // Built here, typed, from the accepted task: nothing to parse again.
            const program: ParsedExecutionRequest = {
              language: request.language,
              code: harness.program,
              ...(request.limits ? { limits: request.limits } : {}),
              ...(request.allowedOutboundHosts ? { allowedOutboundHosts: request.allowedOutboundHosts } : {}),
            };
            const span = startExecutionSpan(tracing, context, { language: request.language, code: harness.program });
            const result = await options.runner
              .execute(
                { request: program, egress },
                {
                  ...(signal ? { signal } : {}),
                  ...(live ? { onOutput: live.write } : {}),
                  ...(hooks.egress ? { onEgress: hooks.egress } : {}),
                  ...(options.tools ? { tools: options.tools.forExecution(span.context) } : {}),
                },
              )
              .catch((error: unknown) => {
                failSpan(span, error);
                throw error;
              });
            endExecutionSpan(tracing, span, result);
            live?.flush();
            hooks.executed?.(result, index);
            if (result.status === 'cancelled') throw new FlowCancelled();
            return {
              value: result,
              outcome: result.status === 'ok' ? 'ok' : 'failed',
              summary: `${result.status}, exit code ${result.exitCode ?? '–'}`,
            };
          });

          const judged = await step('test', index, async () => {
            const read = harness.read(execution.stdout);
            const results: CheckResult[] =
              read.checks ??
              checks.map((check, position) => ({
                name: `check ${position + 1}: ${check}`.slice(0, 200),
                passed: false,
                detail: `the program ended "${execution.status}" before the checks ran`,
              }));
            // Without checks, a program that ran cleanly is unverified, not passed: nothing tested what it does.
            const verdict: Verdict =
              execution.status !== 'ok' || !results.every((check) => check.passed) ? 'fail' : results.length === 0 ? 'unverified' : 'pass';
            hooks.checksEvaluated?.(index, results, verdict);
            const passed = results.filter((check) => check.passed).length;
            return {
              value: { verdict, results, stdout: read.stdout },
              outcome: verdict === 'fail' ? 'failed' : 'ok',
              summary:
                verdict === 'unverified'
                  ? 'unverified: it ran without error, and there were no checks'
                  : execution.status !== 'ok' && results.length === 0
                    ? `fail: the program ended "${execution.status}"`
                    : `${verdict}: ${passed}/${results.length} checks passed`,
            };
          });
          stdout = judged.stdout;
          const feedback = judged.verdict === 'fail' ? feedbackFor(execution, judged.results, judged.stdout, written.fenced) : undefined;
          iterations.push({
            index,
            code: written.code,
            execution: {
              status: execution.status,
              exitCode: execution.exitCode,
              stdout: judged.stdout,
              stderr: execution.stderr,
              ...(execution.error ? { error: execution.error } : {}),
              durationMs: execution.durationMs,
              egress: execution.egress,
            },
            checks: judged.results,
            verdict: judged.verdict,
            ...(feedback ? { feedback } : {}),
          });
          if (judged.verdict === 'pass') return finish('ok', 'pass');
          if (judged.verdict === 'unverified') {
            return finish(
              'ok',
              'unverified',
              'the planner wrote no acceptance checks, so nothing verified what the program does; it ran without error',
            );
          }
          previous = { code: written.code, feedback: feedback ?? '' };
        }
        const last = iterations.at(-1);
        const failed = last?.checks.filter((check) => !check.passed).length ?? 0;
        return finish(
          'error',
          'fail',
          `the program did not pass after ${request.maxIterations} round(s): ${last?.execution.status !== 'ok' ? `it ended "${last?.execution.status}"` : `${failed} check(s) failed`}; raise maxIterations or use a stronger model`,
        );
      } catch (error) {
        if (error instanceof FlowCancelled) return finish('cancelled', 'fail', 'the task was cancelled');
        // Programs' failures are results; an error here is the model's (or no model at all).
        if (error instanceof UmcaError) return finish('error', 'fail', `the model failed: ${error.message}`);
        throw error;
      }
    },
  };
}
