/**
 * The agent flow with a real runner (real sandbox) and a scripted OpenAI-compatible server (a
 * test double for hosted models; see its file) that answers as planner and coder.
 */
import type { ParsedTaskRequest } from '@umca/contracts';
import { createModelGateway } from '@umca/models';
import { createEgressPolicy } from '@umca/policy';
import { createRunner, type Runner } from '@umca/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_GOOD, ADD_PLAN, ADD_WRONG, isPlannerRequest, scriptAgent } from '../../models/test/support/scripted-agent.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../models/test/support/scripted-openai-server.js';
import { createTaskFlow, type FlowHooks } from '../src/index.js';

let server: ScriptedOpenAiServer;
let runner: Runner;
beforeAll(async () => {
  server = await startScriptedOpenAiServer();
  runner = await createRunner({ logger: { info() {}, warn() {}, error() {} }, warmChildren: 1 });
});
afterAll(async () => {
  await server.close();
  await runner.close();
});

/** No program of these tasks may reach the network. */
const egress = createEgressPolicy([]);

const script = (planner: string, coder: string[]) => scriptAgent(server, planner, coder);

const gateway = () => createModelGateway({ env: { UMCA_PROVIDER_SCRIPTED_BASE_URL: server.baseUrl }, maxRetries: 1 });
const task = (extra: Partial<ParsedTaskRequest> = {}): ParsedTaskRequest => ({
  task: 'write add(a, b) that returns the sum',
  model: 'scripted:coder',
  language: 'python',
  maxIterations: 3,
  maxTokens: 1_024,
  ...extra,
});

function recordingHooks() {
  const log: string[] = [];
  const hooks: FlowHooks = {
    stepStarted: (step, iteration) => log.push(`start ${step} ${iteration}`),
    stepEnded: (step, iteration, outcome) => log.push(`end ${step} ${iteration} ${outcome}`),
    modelCalled: (call) => log.push(`model ${call.step} ${call.model} ${call.promptTokens + call.completionTokens > 0}`),
    checksEvaluated: (iteration, checks, verdict) =>
      log.push(`checks ${iteration} ${checks.filter((check) => check.passed).length}/${checks.length} ${verdict}`),
  };
  return { log, hooks };
}

describe('the task flow', () => {
  it('plans, writes, runs and checks the code, and reports every step', async () => {
    script(ADD_PLAN, [ADD_GOOD]);
    const { log, hooks } = recordingHooks();
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task(), { egress, hooks });
    expect(result).toMatchObject({
      status: 'ok',
      verdict: 'pass',
      plan: ['write add', 'return a + b'],
      checks: ['assert add(2, 3) == 5', 'assert add(-1, 1) == 0'],
      code: 'def add(a, b):\n    return a + b\n\nprint(add(2, 3))',
      stdout: '5\n',
      models: ['scripted:coder'],
    });
    expect(result.iterations).toHaveLength(1);
    expect(result.iterations[0]?.checks.every((check) => check.passed)).toBe(true);
    expect(result.usage.calls).toBe(2);
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    expect(log).toEqual([
      'start plan 0',
      'model plan scripted:coder true',
      'end plan 0 ok',
      'start code 1',
      'model code scripted:coder true',
      'end code 1 ok',
      'start execute 1',
      'end execute 1 ok',
      'start test 1',
      'checks 1 2/2 pass',
      'end test 1 ok',
    ]);
  });

  it('gives the coder the evidence when the checks fail, and passes on the next round', async () => {
    script(ADD_PLAN, [ADD_WRONG, ADD_GOOD]);
    const before = server.requests.length;
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task(), { egress });
    expect(result).toMatchObject({ status: 'ok', verdict: 'pass' });
    expect(result.iterations.map((iteration) => iteration.verdict)).toEqual(['fail', 'pass']);
    expect(result.iterations[0]?.feedback).toContain('assert add(2, 3) == 5');
    expect(result.iterations[0]?.feedback).toContain('AssertionError');
    const secondCoderCall = server.requests.slice(before).filter((request) => !isPlannerRequest(request))[1];
    expect(secondCoderCall?.body.messages.at(-1)?.content).toContain('did not pass');
    expect(secondCoderCall?.body.messages.at(-2)?.content).toContain('return a - b');
  });

  it('checks JavaScript programs too', async () => {
    script('{"plan": ["write add"], "checks": ["add(2, 3) === 5", "add(1, 1) === 3"]}', [
      '```javascript\nfunction add(a, b) { return a + b }\nconsole.log(add(2, 3))\n```',
    ]);
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task({ language: 'javascript', maxIterations: 1 }), { egress });
    expect(result.iterations[0]?.checks.map((check) => check.passed)).toEqual([true, false]);
    expect(result.iterations[0]?.checks[1]?.detail).toContain('false');
    expect(result.stdout).toBe('5\n');
    expect(result.verdict).toBe('fail');
  });

  it('works from malformed model output: a plan in prose, code without a fence', async () => {
    script('Sure! First I will think about it carefully.', ['def add(a, b):\n    return a + b\nprint("no fence", add(1, 1))']);
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task(), { egress });
    // Nothing checked it, so it is not called a pass.
    expect(result).toMatchObject({ status: 'ok', verdict: 'unverified', checks: [], stdout: 'no fence 2\n' });
    expect(result.reason).toContain('no acceptance checks');
    expect(result.iterations).toHaveLength(1);
    expect(result.plan[0]).toContain('Sure!');
    expect(result.usage.calls).toBe(3); // plan, plan again, code
  });

  it('asks the planner once more when its first answer has no checks, and uses the second', async () => {
    const before = server.requests.length;
    script(ADD_PLAN, [ADD_GOOD]);
    server.script.push({ text: 'I would write a function that adds.' });
    const { log, hooks } = recordingHooks();
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task(), { egress, hooks });
    expect(result).toMatchObject({ verdict: 'pass', checks: ['assert add(2, 3) == 5', 'assert add(-1, 1) == 0'] });
    expect(log.slice(0, 4)).toEqual(['start plan 0', 'model plan scripted:coder true', 'model plan scripted:coder true', 'end plan 0 ok']);
    const repair = server.requests[before + 1]?.body.messages;
    expect(repair?.at(-2)).toMatchObject({ role: 'assistant', content: 'I would write a function that adds.' });
    expect(repair?.at(-1)?.content).toContain('at least two checks');
  });

  it('stops after maxIterations and says why', async () => {
    script(ADD_PLAN, [ADD_WRONG]);
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task({ maxIterations: 2 }), { egress });
    expect(result).toMatchObject({ status: 'error', verdict: 'fail' });
    expect(result.iterations).toHaveLength(2);
    expect(result.reason).toContain('did not pass after 2 round(s)');
    expect(result.reason).toContain('check(s) failed');
  });

  it('reports a program that crashes before its checks', async () => {
    script(ADD_PLAN, ['```python\nraise RuntimeError("boom")\n```', ADD_GOOD]);
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task(), { egress });
    expect(result.iterations[0]?.checks.every((check) => !check.passed && check.detail?.includes('before the checks ran'))).toBe(true);
    expect(result.iterations[0]?.feedback).toContain('RuntimeError: boom');
    expect(result.verdict).toBe('pass');
  });

  it('falls back to the next model when the first fails', async () => {
    script(ADD_PLAN, [ADD_GOOD]);
    server.fallback = (request) =>
      request.body.model === 'broken'
        ? { status: 500, headers: { 'retry-after-ms': '1' } }
        : isPlannerRequest(request)
          ? { text: ADD_PLAN }
          : { text: ADD_GOOD };
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(
      task({ model: 'scripted:broken', fallbackModels: ['scripted:backup'] }),
      { egress },
    );
    expect(result).toMatchObject({ status: 'ok', models: ['scripted:backup'] });
  });

  it('ends with the model error, named, when no model answers', async () => {
    const result = await createTaskFlow({ gateway: createModelGateway({ env: {} }), runner }).run(task({ model: 'qwen:qwen-max' }), {
      egress,
    });
    expect(result).toMatchObject({ status: 'error', verdict: 'fail', iterations: [] });
    expect(result.reason).toContain('DASHSCOPE_API_KEY');
    const none = await createTaskFlow({ gateway: gateway(), runner }).run({ ...task(), model: undefined } as ParsedTaskRequest, { egress });
    expect(none.reason).toContain('UMCA_MODEL');
  });

  it('stops during an execution when cancelled', async () => {
    script(ADD_PLAN, ['```python\nprint("spinning", flush=True)\nwhile True:\n    pass\n```']);
    const controller = new AbortController();
    const executions: string[] = [];
    // Aborts once the program shows it is running; the flow must end the execution itself (status
    // `cancelled`), not wait for its time limit (status `timeout`) and notice the abort afterwards.
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task({ limits: { timeoutMs: 30_000 } }), {
      egress,
      signal: controller.signal,
      hooks: {
        output: (_stream, text) => text.includes('spinning') && controller.abort(),
        executed: (execution) => executions.push(execution.status),
      },
    });
    expect(result).toMatchObject({ status: 'cancelled', verdict: 'fail' });
    expect(executions).toEqual(['cancelled']);
  });

  it('stops during a model call when cancelled', async () => {
    server.fallback = () => ({ text: ADD_PLAN, chunks: 20, delayMs: 100 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await createTaskFlow({ gateway: gateway(), runner }).run(task(), { egress, signal: controller.signal });
    expect(result.status).toBe('cancelled');
    expect(result.iterations).toHaveLength(0);
  });
});
