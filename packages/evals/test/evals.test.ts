/**
 * Evaluations in process: suite and gate files read and refused in the user's words, the
 * evaluators over a scripted target and judge (test doubles of the run service and the model
 * gateway: no sandbox, no model), the metrics, the gate's verdicts, the evidence files. The real
 * tier runs the same through `umca eval run` and `umca gate check` with the real sandbox,
 * Phoenix and a GGUF model.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EvalTaskResult, ExecutionResult, GatewayResponse, ModelGatewayV1, TaskResult } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import {
  checkGate,
  computeMetrics,
  type EvalTarget,
  parseJudgeReply,
  percentile,
  readGate,
  readSuite,
  reportMarkdown,
  runSuite,
  writeEvidence,
} from '../src/index.js';

const REPO = resolve(import.meta.dirname, '../../..');
const folder = () => mkdtempSync(join(tmpdir(), 'umca-evals-'));

function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

const suiteOf = (tasks: unknown[]) => ({ name: 'mini', revision: 2, tasks });
const ADD = {
  id: 'add',
  task: 'write add(a, b)',
  checks: ['assert add(2, 3) == 5', 'assert add(1, 1) == 2'],
  reference: 'def add(a, b): return a + b',
};

describe('suite and gate files', () => {
  it('read the suites and gates this repository ships', () => {
    const suite = readSuite(join(REPO, 'evals/smoke'));
    expect(suite.path).toBe(join(REPO, 'evals/smoke/suite.json'));
    expect(suite.value).toMatchObject({ name: 'smoke', language: 'python', maxIterations: 2 });
    expect(suite.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readGate(join(REPO, 'evals/gates/release.json')).value.thresholds.map((threshold) => threshold.metric)).toContain(
      'task_success',
    );
  });

  it('are refused naming the file and each field that is wrong', () => {
    const dir = folder();
    expect(() => readSuite(join(dir, 'nope'))).toThrow(
      `there is no suite at ${join(dir, 'nope')}: give a suite file, or a folder holding suite.json`,
    );
    expect(() => readSuite(dir)).toThrow(`there is no suite at ${join(dir, 'suite.json')}`);
    expect(() => readSuite(writeJson(dir, 'broken.json', '{"name": '))).toThrow(/broken.json is not valid JSON/);
    const bad = writeJson(
      dir,
      'bad.json',
      suiteOf([
        { ...ADD, checks: [] },
        { ...ADD, extra: 1 },
      ]),
    );
    expect(() => readSuite(bad)).toThrow(
      /bad.json is not a valid umca.eval.suite.v1: tasks\[0\]\.checks is needed at least 1 time\(s\).*tasks\[1\] Unrecognized key: "extra"/,
    );
    const twice = writeJson(dir, 'twice.json', suiteOf([ADD, ADD]));
    expect(() => readSuite(twice)).toThrow(/tasks task ids must be unique/);
    const gate = writeJson(dir, 'gate.json', {
      name: 'g',
      revision: 1,
      thresholds: [{ metric: 'vibes', min: 1 }, { metric: 'task_success' }],
    });
    expect(() => readGate(gate)).toThrow(
      /thresholds\[0\]\.metric must be one of: task_success, .*thresholds\[1\] give min or max \(or both\)/,
    );
  });
});

describe('the gate', () => {
  const metrics = computeMetrics([]);
  it('passes only when every threshold holds, saying each comparison with its figure', () => {
    const gate = {
      name: 'release',
      revision: 3,
      thresholds: [
        { metric: 'task_success' as const, min: 0.8, ifMissing: 'fail' as const },
        { metric: 'latency_p95_s' as const, max: 10, ifMissing: 'fail' as const },
        { metric: 'g3_violations' as const, max: 0, ifMissing: 'fail' as const },
      ],
    };
    const failing = checkGate(gate, { ...metrics, task_success: 0.6667, latency_p95_s: 4.2, g3_violations: 1 });
    expect(failing.verdict).toBe('fail');
    expect(failing.thresholds.map((threshold) => [threshold.passed, threshold.message])).toEqual([
      [false, 'task_success 0.6667 is below the minimum 0.8'],
      [true, 'latency_p95_s 4.2 is ≤ 10'],
      [false, 'g3_violations 1 is above the maximum 0'],
    ]);
    expect(checkGate(gate, { ...metrics, task_success: 0.8, latency_p95_s: 10, g3_violations: 0 }).verdict).toBe('pass');
  });

  it('never passes on a metric nothing measured, unless the threshold says to skip it', () => {
    const judged = (ifMissing: 'fail' | 'skip') => ({
      name: 'g',
      revision: 1,
      thresholds: [{ metric: 'judge_quality' as const, min: 0.7, ifMissing }],
    });
    const missing = checkGate(judged('fail'), { ...metrics, judge_quality: null });
    expect(missing).toMatchObject({ verdict: 'fail', thresholds: [{ value: null, passed: false }] });
    expect(missing.thresholds[0]?.message).toContain('judge_quality was not measured');
    expect(checkGate(judged('skip'), { ...metrics, judge_quality: null })).toMatchObject({
      verdict: 'pass',
      thresholds: [{ skipped: true }],
    });
  });
});

describe('the metrics', () => {
  it('are shares, means and nearest-rank percentiles, null when nothing measured them', () => {
    expect(percentile([1, 2, 3, 4, 100], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 100], 95)).toBe(100);
    expect(percentile([], 50)).toBeNull();
    const task = (
      success: number,
      judge: number | null,
      latencyMs: number,
      g3 = { egressDenied: 0, limitStops: 0, sandboxFailures: 0 },
    ): EvalTaskResult => ({
      id: `t${latencyMs}`,
      status: 'ok',
      checks: [],
      scores: { task_success: success, code_executed: 1, judge_quality: judge, rag_relevance: null },
      startedAt: '2026-01-01T00:00:00Z',
      latencyMs,
      tokens: { prompt: 90, completion: 10 },
      g3,
      code: '',
    });
    const metrics = computeMetrics([
      task(1, 1, 1_000),
      task(0, 0.5, 3_000, { egressDenied: 2, limitStops: 1, sandboxFailures: 0 }),
      task(1, null, 2_000),
    ]);
    expect(metrics).toEqual({
      task_success: 0.6667,
      code_executed: 1,
      judge_quality: 0.75,
      rag_relevance: null,
      latency_p50_s: 2,
      latency_p95_s: 3,
      tokens_per_task: 100,
      g3_egress_denied: 2,
      g3_limit_stops: 1,
      g3_sandbox_failures: 0,
      g3_violations: 3,
    });
  });
});

describe('the judge’s reply', () => {
  it('is read from its JSON, else from the one label it names; anything else has no label', () => {
    expect(parseJudgeReply('{"label": "correct", "explanation": "it adds"}')).toEqual({ label: 'correct', explanation: 'it adds' });
    expect(parseJudgeReply('```json\n{"label": "Partially Correct"}\n```').label).toBe('partially_correct');
    expect(parseJudgeReply('I think this is partially correct.').label).toBe('partially_correct');
    expect(parseJudgeReply('incorrect').label).toBe('incorrect');
    expect(parseJudgeReply('correct or incorrect, hard to say').label).toBeNull();
    expect(parseJudgeReply('def add(a, b): return a + b').label).toBeNull();
  });
});

/** A scripted target: each task's final program as given; the checks pass when the program holds `good`. */
function scriptedTarget(programs: Record<string, string>, execution: Partial<ExecutionResult> = {}): EvalTarget & { codeRuns: string[] } {
  const codeRuns: string[] = [];
  const base = {
    exitCode: 0,
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    files: [],
    egress: [],
    lane: 'wasm',
    isolation: 'os',
    durationMs: 2,
    timings: { queuedMs: 0, executeMs: 2 },
  } as const;
  return {
    codeRuns,
    async runTask(request) {
      if (request.task.includes('refuse')) throw new Error('the model is not allowed');
      const code = programs[request.task] ?? '';
      const result: TaskResult = {
        runId: `run_${request.task.length}`,
        status: 'ok',
        verdict: 'pass',
        plan: [],
        checks: [],
        code,
        stdout: '5\n',
        iterations: [
          {
            index: 1,
            code,
            execution: {
              status: execution.status ?? 'ok',
              exitCode: 0,
              stdout: '5\n',
              stderr: '',
              durationMs: 2,
              egress: execution.egress ?? [],
            },
            checks: [],
            verdict: 'pass',
          },
        ],
        models: ['scripted:m'],
        usage: { calls: 2, promptTokens: 100, completionTokens: 20, latencyMs: 5 },
        durationMs: 1_500,
      };
      return { result, traceId: 'c'.repeat(32) };
    },
    async runCode(request) {
      const code = 'code' in request ? request.code : '';
      codeRuns.push(code);
      // The harness prints its marker line; a good program passes every check it carries.
      const marker = /@@UMCA_CHECKS_[0-9a-f]+@@/.exec(code)?.[0] ?? '';
      const checks = [...code.matchAll(/\["(check \d+: [^"]+)"/g)].map((match) => ({ name: match[1], passed: code.includes('good') }));
      return { ...base, status: 'ok', stdout: `5\n\n${marker}${JSON.stringify(checks)}\n`, ...execution } as ExecutionResult;
    },
  };
}

function scriptedJudge(reply: string): ModelGatewayV1 & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    specificationVersion: 'v1',
    prompts,
    resolve: () => {
      throw new Error('not used');
    },
    providers: () => [],
    preflight: () => {},
    async chat(_models, request): Promise<GatewayResponse> {
      prompts.push(request.messages.map((message) => message.content).join('\n'));
      return {
        text: reply,
        toolCalls: [],
        usage: { promptTokens: 50, completionTokens: 5 },
        finishReason: 'stop',
        modelId: 'scripted:judge',
        provider: 'scripted',
        model: 'judge',
        latencyMs: 1,
        attempts: [],
      };
    },
  };
}

describe('an evaluation', () => {
  const suite = (tasks: unknown[]) => readSuite(writeJson(folder(), 'suite.json', suiteOf(tasks)));

  it("scores each task with the suite's own checks in the sandbox, the judge, latency, tokens and G3", async () => {
    const target = scriptedTarget({
      'write add(a, b)': 'def add(a, b): return a + b  # good',
      'write sub': 'def sub(a, b): return a + b  # wrong',
    });
    const judge = scriptedJudge('{"label": "correct", "explanation": "it adds"}');
    const seen: string[] = [];
    const report = await runSuite({
      suite: suite([
        ADD,
        { id: 'sub', task: 'write sub', checks: ['assert sub(3, 1) == 2'] },
        { id: 'refused', task: 'refuse me', checks: ['assert True'] },
      ]),
      model: 'scripted:m',
      target,
      judge: { gateway: judge, model: 'scripted:judge' },
      onTask: (result, index, total) => seen.push(`${index + 1}/${total} ${result.id}`),
    });
    expect(seen).toEqual(['1/3 add', '2/3 sub', '3/3 refused']);
    const [add, sub, refused] = report.tasks;
    expect(add).toMatchObject({
      id: 'add',
      runId: 'run_15',
      traceId: 'c'.repeat(32),
      scores: { task_success: 1, code_executed: 1, judge_quality: 1 },
      judge: { label: 'correct' },
      latencyMs: 1_500,
      tokens: { prompt: 100, completion: 20 },
    });
    expect(add?.checks.map((check) => check.name)).toEqual(['check 1: assert add(2, 3) == 5', 'check 2: assert add(1, 1) == 2']);
    expect(sub).toMatchObject({ scores: { task_success: 0 }, checks: [{ passed: false }] });
    expect(refused).toMatchObject({
      status: 'not_started',
      scores: { task_success: 0, judge_quality: null },
      error: 'the task could not run: the model is not allowed',
    });
    // The checks ran on the final program, appended by the harness; the planner never saw them.
    expect(target.codeRuns[0]).toContain('def add(a, b): return a + b  # good');
    expect(target.codeRuns[0]).toContain('assert add(2, 3) == 5');
    expect(judge.prompts[0]).toContain('Reference solution:\ndef add(a, b): return a + b');
    expect(report.metrics).toMatchObject({ task_success: 0.3333, judge_quality: 1, latency_p50_s: 1.5, g3_violations: 0 });
    expect(report).toMatchObject({
      version: 'umca.eval.report.v1',
      model: 'scripted:m',
      judgeModel: 'scripted:judge',
      suite: { name: 'mini', revision: 2 },
    });
  });

  it('counts G3 evidence from the runner: denied egress, limit stops, sandbox failures', async () => {
    const denied = { url: 'https://example.com/', host: 'example.com', verdict: 'denied', reason: 'not allowed' };
    const target = scriptedTarget({ 'write add(a, b)': 'x = 1 # good' }, { status: 'timeout', egress: [denied] as never });
    const report = await runSuite({ suite: suite([ADD]), model: 'scripted:m', target });
    // Once in the flow's execution and once in the checks' run of the same program.
    expect(report.tasks[0]?.g3).toEqual({ egressDenied: 2, limitStops: 2, sandboxFailures: 0 });
    expect(report.metrics).toMatchObject({ g3_violations: 4, code_executed: 0, judge_quality: null });
  });

  it('writes its evidence as JSON and Markdown, whole, without overwriting an earlier one', async () => {
    const report = await runSuite({
      suite: suite([ADD]),
      model: 'local:/models/tiny.gguf',
      target: scriptedTarget({ 'write add(a, b)': 'good' }),
    });
    const dir = folder();
    const first = writeEvidence(dir, {
      ...report,
      gate: checkGate({ name: 'g', revision: 1, thresholds: [{ metric: 'task_success', min: 1, ifMissing: 'fail' }] }, report.metrics),
    });
    const second = writeEvidence(dir, { ...report, id: 'eval_other123' });
    expect(first.json).toMatch(/mini\/.*-local-tiny\.gguf-.{8}\.json$/);
    expect(first.json).not.toBe(second.json);
    expect(readdirSync(join(dir, 'mini')).sort()).toHaveLength(4);
    expect(JSON.parse(readFileSync(first.json, 'utf8'))).toMatchObject({ id: report.id, gate: { verdict: 'pass' } });
    const markdown = readFileSync(first.markdown, 'utf8');
    expect(markdown).toContain('## Gate g (revision 1): PASS');
    expect(markdown).toContain('| add | yes (2/2) | yes |');
    expect(reportMarkdown(report)).not.toContain('## Gate');
  });
});
