/**
 * @module run-suite
 * An evaluation: every task of a suite through the agent flow on one model, then the evaluators
 * on what it produced: the suite's own checks on the final program (task success, run in the
 * sandbox, never shown to the planner), whether it ran cleanly, the judge's grade, latency,
 * tokens, and G3's evidence from the runner (egress denials, limit stops, sandbox failures).
 * Tasks run one after another: the model is the bottleneck, and a local one serves one at a time.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { buildHarness } from '@umca/agents';
import type {
  CheckResult,
  EvalReport,
  EvalSuite,
  EvalTask,
  EvalTaskResult,
  ExecutionRequest,
  ExecutionResult,
  ModelGatewayV1,
  TaskRequest,
  TaskResult,
} from '@umca/contracts';
import { computeMetrics } from './compute-metrics.js';
import { judgeAnswer } from './judge-quality.js';
import type { Definition } from './read-definition.js';

/** Where the tasks run: this process's run service, or a UMCA server through its API. */
export interface EvalTarget {
  /** Runs an agent task to its end; rejects when it is refused. */
  runTask(request: TaskRequest, signal?: AbortSignal): Promise<{ result: TaskResult; traceId?: string }>;
  /** Runs a program in the sandbox (the suite's checks on the final program). */
  runCode(request: ExecutionRequest, signal?: AbortSignal): Promise<ExecutionResult>;
}

export interface RunSuiteOptions {
  readonly suite: Definition<EvalSuite>;
  /** provider:model the tasks run on. */
  readonly model: string;
  readonly target: EvalTarget;
  /** The judge (LLM-as-judge); without it judge_quality is null. */
  readonly judge?: { readonly gateway: ModelGatewayV1; readonly model: string };
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Told about each task as it is scored. */
  readonly onTask?: (result: EvalTaskResult, index: number, total: number) => void;
  readonly signal?: AbortSignal;
}

const LIMIT_STOPS = new Set(['timeout', 'memory_limit', 'output_limit']);
const SANDBOX_FAILURES = new Set(['crashed', 'busy']);

/** The suite's checks on the final program, in the sandbox; each fails with the reason when they could not run. */
async function runChecks(
  target: EvalTarget,
  task: EvalTask,
  language: 'python' | 'javascript',
  code: string,
  signal?: AbortSignal,
): Promise<{ checks: CheckResult[]; execution?: ExecutionResult }> {
  const failAll = (detail: string) =>
    task.checks.map((check, index) => ({ name: `check ${index + 1}: ${check}`.slice(0, 200), passed: false, detail }));
  if (!code.trim()) return { checks: failAll('no program was written') };
  const harness = buildHarness(code, task.checks, language, randomBytes(8).toString('hex'));
  const execution = await target.runCode({ language, code: harness.program }, signal);
  const read = harness.read(execution.stdout);
  return { checks: read.checks ?? failAll(`the program ended "${execution.status}" before the checks ran`), execution };
}

function g3Of(executions: ReadonlyArray<Pick<ExecutionResult, 'status' | 'egress'>>) {
  return {
    egressDenied: executions.reduce((sum, execution) => sum + execution.egress.filter((attempt) => attempt.verdict === 'denied').length, 0),
    limitStops: executions.filter((execution) => LIMIT_STOPS.has(execution.status)).length,
    sandboxFailures: executions.filter((execution) => SANDBOX_FAILURES.has(execution.status)).length,
  };
}

async function evaluateTask(options: RunSuiteOptions, task: EvalTask, startedAt: string): Promise<EvalTaskResult> {
  const suite = options.suite.value;
  const language = task.language ?? suite.language;
  const request: TaskRequest = {
    task: task.task,
    model: options.model,
    language,
    maxIterations: suite.maxIterations,
    maxTokens: suite.maxTokens,
  };
  let ran: { result: TaskResult; traceId?: string };
  try {
    ran = await options.target.runTask(request, options.signal);
  } catch (error) {
    const message = (error as Error).message;
    return {
      id: task.id,
      status: 'not_started',
      checks: task.checks.map((check, index) => ({ name: `check ${index + 1}: ${check}`.slice(0, 200), passed: false, detail: message })),
      scores: { task_success: 0, code_executed: 0, judge_quality: null, rag_relevance: null },
      startedAt,
      latencyMs: 0,
      tokens: { prompt: 0, completion: 0 },
      g3: { egressDenied: 0, limitStops: 0, sandboxFailures: 0 },
      code: '',
      error: `the task could not run: ${message}`,
    };
  }
  const { result } = ran;
  const last = result.iterations.at(-1);
  let checked: Awaited<ReturnType<typeof runChecks>>;
  let error: string | undefined;
  try {
    checked = await runChecks(options.target, task, language, result.code, options.signal);
  } catch (failure) {
    error = `the suite's checks could not run: ${(failure as Error).message}`;
    checked = {
      checks: task.checks.map((check, index) => ({
        name: `check ${index + 1}: ${check}`.slice(0, 200),
        passed: false,
        detail: error ?? '',
      })),
    };
  }
  const judged =
    options.judge && result.code.trim()
      ? await judgeAnswer(
          options.judge.gateway,
          options.judge.model,
          {
            task: task.task,
            ...(task.reference ? { reference: task.reference } : {}),
            code: result.code,
            stdout: result.stdout,
            status: last?.execution.status ?? result.status,
          },
          options.signal,
        )
      : undefined;
  const executions = [...result.iterations.map((iteration) => iteration.execution), ...(checked.execution ? [checked.execution] : [])];
  return {
    id: task.id,
    runId: result.runId,
    ...(ran.traceId ? { traceId: ran.traceId } : {}),
    status: result.status,
    verdict: result.verdict,
    checks: checked.checks,
    scores: {
      task_success: checked.checks.length > 0 && checked.checks.every((check) => check.passed) ? 1 : 0,
      code_executed: last?.execution.status === 'ok' ? 1 : 0,
      judge_quality: judged?.score ?? null,
      // No task retrieves context yet (retrieval comes with MCP client tools): nothing to grade.
      rag_relevance: null,
    },
    ...(judged ? { judge: { label: judged.label, explanation: judged.explanation } } : {}),
    startedAt,
    latencyMs: result.durationMs,
    tokens: { prompt: result.usage.promptTokens, completion: result.usage.completionTokens },
    g3: g3Of(executions),
    code: result.code,
    ...(error ? { error } : {}),
  };
}

/** Runs every task and scores it; the report has no gate verdict yet (`checkGate` adds one). */
export async function runSuite(options: RunSuiteOptions): Promise<EvalReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const { tasks } = options.suite.value;
  const results: EvalTaskResult[] = [];
  for (const [index, task] of tasks.entries()) {
    if (options.signal?.aborted) break;
    const result = await evaluateTask(options, task, now().toISOString());
    results.push(result);
    options.onTask?.(result, index, tasks.length);
  }
  return {
    version: 'umca.eval.report.v1',
    id: options.newId?.() ?? `eval_${randomUUID()}`,
    suite: {
      name: options.suite.value.name,
      revision: options.suite.value.revision,
      path: options.suite.path,
      sha256: options.suite.sha256,
    },
    model: options.model,
    ...(options.judge ? { judgeModel: options.judge.model } : {}),
    startedAt,
    endedAt: now().toISOString(),
    tasks: results,
    metrics: computeMetrics(results),
  };
}
