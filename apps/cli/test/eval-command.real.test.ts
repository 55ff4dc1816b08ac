/**
 * `umca eval run` and `umca gate check` as a CI pipeline runs them: separate processes with the
 * real sandbox, the repository's own suite and gate, the scripted OpenAI-compatible TEST DOUBLE
 * as a good and as a bad model (hosted models cannot be reached from the test machines; see its
 * file), a real Arize Phoenix for the experiment (read back through its REST API), a real
 * `umca serve` on the same data directory showing the verdicts and traces, and the real GGUF
 * model through one small suite end to end.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvalReport, GateVerdictList } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPlannerRequest } from '../../../packages/models/test/support/scripted-agent.js';
import {
  type RecordedRequest,
  type ScriptedOpenAiServer,
  startScriptedOpenAiServer,
} from '../../../packages/models/test/support/scripted-openai-server.js';
import { testGguf } from '../../../packages/models/test/support/test-gguf.js';
import { type RunningPhoenix, startPhoenix } from '../../../test/support/phoenix.js';
import { resolveServerConfig, startServer } from '../../orchestrator/src/index.js';

const BIN = fileURLToPath(new URL('../bin/umca.js', import.meta.url));
const REPO = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'umca-cli-eval-'));
const dataDir = join(work, 'data');

const GOOD: Record<string, string> = {
  add: 'def add(a, b):\n    return a + b\n\nprint(add(2, 3))',
  reverse_words: "def reverse_words(text):\n    return ' '.join(reversed(text.split()))\n\nprint(reverse_words('one two three'))",
  count_vowels:
    "def count_vowels(text):\n    return sum(1 for letter in text.lower() if letter in 'aeiou')\n\nprint(count_vowels('Hello World'))",
};
const WRONG: Record<string, string> = {
  add: 'def add(a, b):\n    return a - b\n\nprint(add(2, 3))',
  reverse_words: 'def reverse_words(text):\n    return text\n\nprint(reverse_words("one two three"))',
  count_vowels: 'def count_vowels(text):\n    return len(text)\n\nprint(count_vowels("Hello World"))',
};

/** Answers as planner, coder (good or wrong code for the function the task names) and judge. */
function scriptModel(server: ScriptedOpenAiServer, programs: Record<string, string>, judgeLabel: string): void {
  server.fallback = (request: RecordedRequest) => {
    const text = request.body.messages.map((message) => message.content).join('\n');
    if (request.body.messages[0]?.content.startsWith('You grade')) return { text: `{"label": "${judgeLabel}", "explanation": "scripted"}` };
    if (isPlannerRequest(request)) return { text: '{"plan": ["write the function"], "checks": ["assert True"]}' };
    const name = Object.keys(programs).find((key) => text.includes(`${key}(`)) ?? 'add';
    return { text: `\`\`\`python\n${programs[name]}\n\`\`\`` };
  };
}

let model: ScriptedOpenAiServer;
let phoenix: RunningPhoenix;
beforeAll(async () => {
  [model, phoenix] = await Promise.all([startScriptedOpenAiServer(), startPhoenix()]);
}, 180_000);
afterAll(async () => {
  await model?.close();
  await phoenix?.stop();
});

function umca(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: work,
        timeout: 600_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl },
      },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const gateCheck = (modelName: string, extra: string[] = []) =>
  umca([
    'gate',
    'check',
    '--suite',
    join(REPO, 'evals/smoke'),
    '--gate',
    join(REPO, 'evals/gates/release.json'),
    '--model',
    modelName,
    '--data-dir',
    dataDir,
    '--evidence',
    join(work, 'evidence'),
    ...extra,
  ]);

function reportFrom(stdout: string): EvalReport {
  const path = /evidence: .*\n\s+(\S+\.json)/.exec(stdout)?.[1];
  if (!path) throw new Error(`no report path in:\n${stdout}`);
  return JSON.parse(readFileSync(resolve(work, path), 'utf8')) as EvalReport;
}

describe('umca gate check', () => {
  let good: EvalReport;

  it('passes a good model, writes the evidence and logs the experiment to Phoenix', async () => {
    scriptModel(model, GOOD, 'correct');
    const { code, stdout, stderr } = await gateCheck('scripted:good', ['--phoenix', phoenix.url]);
    expect(stderr).toMatch(/task 1\/3 add: success \(3\/3 checks\), judge correct/);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('gate release r1: PASS');
    expect(stdout).toMatch(/pass {2}task_success 1 is ≥ 0\.8/);
    good = reportFrom(stdout);
    expect(good.metrics).toMatchObject({ task_success: 1, code_executed: 1, judge_quality: 1, g3_violations: 0 });
    expect(good.tasks.every((task) => /^[0-9a-f]{32}$/.test(task.traceId ?? ''))).toBe(true);
    const markdown = readFileSync(resolve(work, /evidence: (\S+\.md)/.exec(stdout)?.[1] ?? ''), 'utf8');
    expect(markdown).toContain('## Gate release (revision 1): PASS');

    // Phoenix has the suite as a dataset and the evaluation as an experiment on it, read back.
    const dataset = (await phoenix.datasets()).find((entry) => entry.name === 'umca-eval-smoke');
    expect(dataset).toMatchObject({ example_count: 3 });
    const [experiment] = await phoenix.experiments(dataset?.id ?? '');
    expect(experiment?.id).toBe(good.phoenix?.experimentId);
    expect(experiment?.metadata).toMatchObject({ evaluationId: good.id, model: 'scripted:good' });
    const records = await phoenix.experimentRecords(experiment?.id ?? '');
    expect(records).toHaveLength(3);
    for (const record of records) {
      expect(good.tasks.map((task) => task.traceId)).toContain(record.trace_id);
      const scores = Object.fromEntries(record.annotations.map((annotation) => [annotation.name, annotation.score]));
      expect(scores).toEqual({ task_success: 1, code_executed: 1, judge_quality: 1 });
    }
  });

  it('fails a model that writes wrong code: exit 1, each failed threshold with its figure', async () => {
    scriptModel(model, WRONG, 'incorrect');
    const { code, stdout } = await gateCheck('scripted:bad');
    expect(code).toBe(1);
    expect(stdout).toContain('gate release r1: FAIL');
    expect(stdout).toContain('FAIL  task_success 0 is below the minimum 0.8');
    expect(stdout).toContain('FAIL  judge_quality 0 is below the minimum 0.7');
    expect(reportFrom(stdout).gate?.verdict).toBe('fail');
  });

  it('leaves its verdicts and traces where `umca serve` on the same data directory shows them', async () => {
    const server = await startServer(resolveServerConfig({ flags: { port: 0, dataDir }, env: {} }), {
      logger: { info() {}, warn() {}, error() {} },
    });
    try {
      const { verdicts } = (await (await fetch(`${server.url}/v1/gates/verdicts`)).json()) as GateVerdictList;
      expect(verdicts.map((verdict) => [verdict.model, verdict.verdict])).toEqual([
        ['scripted:bad', 'fail'],
        ['scripted:good', 'pass'],
      ]);
      expect(verdicts[1]).toMatchObject({
        evaluationId: good.id,
        gate: { name: 'release', revision: 1 },
        suite: { name: 'smoke', revision: 1 },
        runs: 3,
      });
      const task = good.tasks[0];
      const trace = (await (await fetch(`${server.url}/v1/runs/${task?.runId}/trace`)).json()) as {
        traceId: string;
        spans: Array<{ name: string }>;
      };
      expect(trace.traceId).toBe(task?.traceId);
      expect(trace.spans.map((span) => span.name)).toContain('invoke_agent umca-task-flow');
    } finally {
      await server.close();
    }
  });

  it('runs beside a live `umca serve` on the same data directory without touching its runs in progress', async () => {
    const server = await startServer(resolveServerConfig({ flags: { port: 0, dataDir }, env: {} }), {
      logger: { info() {}, warn() {}, error() {} },
    });
    try {
      const started = await fetch(`${server.url}/v1/executions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify({ language: 'python', code: 'import time\ntime.sleep(25)', limits: { timeoutMs: 60_000 } }),
      });
      const { runId } = (await started.json()) as { runId: string };
      scriptModel(model, GOOD, 'correct');
      const suite = join(work, 'one.json');
      writeFileSync(
        suite,
        JSON.stringify({ name: 'one', revision: 1, tasks: [{ id: 'add', task: 'write add(a, b)', checks: ['assert add(2, 3) == 5'] }] }),
      );
      const { code, stdout } = await umca([
        'eval',
        'run',
        suite,
        '--model',
        'scripted:good',
        '--data-dir',
        dataDir,
        '--evidence',
        join(work, 'evidence'),
      ]);
      expect(code).toBe(0);
      // The server's run is still running (not "recovered" as cancelled), and the eval's run is on its list.
      expect(((await (await fetch(`${server.url}/v1/runs/${runId}`)).json()) as { status: string }).status).toBe('running');
      const { runs } = (await (await fetch(`${server.url}/v1/runs?limit=5`)).json()) as { runs: Array<{ id: string }> };
      expect(runs.map((run) => run.id)).toContain(reportFrom(stdout).tasks[0]?.runId);
      await fetch(`${server.url}/v1/runs/${runId}/cancel`, { method: 'POST' });
    } finally {
      await server.close();
    }
  });

  it('refuses a missing suite, a bad gate and an unusable model before anything runs, leaving nothing behind', async () => {
    const fresh = join(work, 'untouched');
    const bad = join(work, 'bad-gate.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', revision: 1, thresholds: [{ metric: 'vibes', min: 1 }] }));
    const cases: Array<[string[], RegExp]> = [
      [['eval', 'run', join(work, 'no-such-suite'), '--model', 'scripted:good'], /there is no suite at .*no-such-suite/],
      [
        ['gate', 'check', '--suite', join(REPO, 'evals/smoke'), '--gate', bad, '--model', 'scripted:good'],
        /bad-gate.json is not a valid umca.gate.v1: thresholds\[0\]\.metric must be one of/,
      ],
      [['eval', 'run', join(REPO, 'evals/smoke'), '--model', 'nosuch:model'], /--model: .*nosuch/],
      [['eval', 'run', join(REPO, 'evals/smoke')], /name the model the suite runs on: --model/],
      [
        ['eval', 'run', join(REPO, 'evals/smoke'), '--model', 'scripted:good', '--phoenix', 'phoenix.local'],
        /--phoenix "phoenix.local": must be Phoenix's http\(s\) base URL/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await umca([...args, '--data-dir', fresh, '--evidence', join(fresh, 'evidence')]);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(message);
    }
    expect(existsSync(fresh)).toBe(false);
  });
});

describe('umca eval run with the real GGUF model', () => {
  it('runs a small suite end to end and reports it', async () => {
    const suite = join(work, 'tiny.json');
    writeFileSync(
      suite,
      JSON.stringify({
        name: 'tiny',
        revision: 1,
        maxIterations: 1,
        maxTokens: 96,
        tasks: [{ id: 'add', task: 'Write a Python function add(a, b) that returns a + b.', checks: ['assert add(2, 3) == 5'] }],
      }),
    );
    const { code, stdout, stderr } = await umca([
      'eval',
      'run',
      suite,
      '--model',
      `local:${testGguf()}`,
      '--no-judge',
      '--data-dir',
      dataDir,
      '--evidence',
      join(work, 'evidence'),
    ]);
    expect(code, stderr).toBe(0);
    const report = reportFrom(stdout);
    expect(report).toMatchObject({
      model: `local:${testGguf()}`,
      suite: { name: 'tiny' },
      metrics: { judge_quality: null, rag_relevance: null },
    });
    expect(report.tasks).toHaveLength(1);
    expect(report.tasks[0]?.runId).toMatch(/^run_/);
    expect(report.tasks[0]?.tokens.completion).toBeGreaterThan(0);
    expect(report.metrics.task_success === 0 || report.metrics.task_success === 1).toBe(true);
    expect(readdirSync(join(work, 'evidence', 'tiny'))).toHaveLength(2);
  });
});
