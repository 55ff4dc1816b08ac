/**
 * POST /v1/tasks against a real server (real runner and sandbox, real SQLite) whose model is the
 * scripted OpenAI-compatible TEST DOUBLE (hosted models cannot be reached from the test machines;
 * see its file): the flow's result, its events in order, the run record, bad input and cancelling.
 */
import { createClient } from '@umca/client';
import type { UmcaEvent } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_GOOD, ADD_PLAN, ADD_WRONG, scriptAgent } from '../../../packages/models/test/support/scripted-agent.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../../packages/models/test/support/scripted-openai-server.js';
import { useServer } from './support/use-server.js';

let model: ScriptedOpenAiServer;
beforeAll(async () => {
  model = await startScriptedOpenAiServer();
});
afterAll(() => model.close());
const server = useServer({ modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }) });

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server().url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const runCount = async () => ((await (await fetch(`${server().url}/v1/runs?limit=500`)).json()) as { runs: unknown[] }).runs.length;

async function eventsOf(runId: string): Promise<UmcaEvent[]> {
  const events: UmcaEvent[] = [];
  for await (const { event } of createClient({ baseUrl: server().url }).followRun(runId)) events.push(event);
  return events;
}

describe('POST /v1/tasks', () => {
  it('plans, writes, runs and checks code, answering with the result; the run is kept as a task', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_WRONG, ADD_GOOD]);
    const response = await post('/v1/tasks', { task: 'write add(a, b)', model: 'scripted:coder' });
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result).toMatchObject({
      runId: expect.stringMatching(/^run_/),
      status: 'ok',
      verdict: 'pass',
      plan: ['write add', 'return a + b'],
      checks: ['assert add(2, 3) == 5', 'assert add(-1, 1) == 0'],
      stdout: '5\n',
      models: ['scripted:coder'],
    });
    expect(result.iterations.map((iteration: { verdict: string }) => iteration.verdict)).toEqual(['fail', 'pass']);
    expect(result.usage.calls).toBe(3);

    const run = await (await fetch(`${server().url}/v1/runs/${result.runId}`)).json();
    expect(run).toMatchObject({ id: result.runId, kind: 'task', status: 'ok', request: { task: 'write add(a, b)', maxIterations: 3 } });
    expect(run.result).toEqual(result);
    const list = await (await fetch(`${server().url}/v1/runs?limit=1`)).json();
    expect(list.runs[0]).toMatchObject({ id: result.runId, kind: 'task', verdict: 'pass', language: 'python' });
  });

  it('publishes every step in order: task, plan, code, execute, test, with the model calls and the checks', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_GOOD]);
    const accepted = await post('/v1/tasks', { task: 'write add(a, b)', model: 'scripted:coder' }, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const { runId } = await accepted.json();
    const events = await eventsOf(runId);
    const lines = events.map((event) => {
      const data = event.data as { step?: string; iteration?: number; verdict?: string };
      return [event.type.replace(/^dev\.umca\.|\.v1$/g, ''), data.step, event.type.includes('checks') ? data.verdict : undefined]
        .filter(Boolean)
        .join(' ');
    });
    expect(lines).toEqual([
      'task.created',
      'run.started',
      'step.started plan',
      'model.called plan',
      'step.ended plan',
      'step.started code',
      'model.called code',
      'step.ended code',
      'step.started execute',
      'output.appended',
      'code.executed',
      'step.ended execute',
      'step.started test',
      'checks.evaluated pass',
      'step.ended test',
      'run.ended',
    ]);
    expect(events.every((event) => event.subject === runId)).toBe(true);
    const called = events.find((event) => event.type === 'dev.umca.model.called.v1');
    expect(called?.data).toMatchObject({ model: 'scripted:coder', attempts: 1, promptTokens: expect.any(Number) });
    expect(events[0]?.data).toMatchObject({ task: 'write add(a, b)', models: ['scripted:coder'], maxIterations: 3 });
  });

  it.each([
    [{ task: 'x', model: 'nosuch:model' }, 'nosuch'],
    [{ task: 'x', model: 'qwen:qwen-max' }, 'DASHSCOPE_API_KEY'],
    [{ task: 'x' }, 'UMCA_MODEL'],
    [{ task: 'x', model: 'scripted:coder', maxIterations: 0 }, 'maxIterations'],
    [{ task: '', model: 'scripted:coder' }, 'task'],
    [{ task: 'x', model: 'scripted:coder', language: 'wasi' }, 'language'],
    [{ task: 'x', model: 'scripted:coder', allowedOutboundHosts: ['example.com'] }, 'has no scheme'],
    [{ task: 'x', model: 'scripted:coder', fallbackModels: ['local:/nowhere/model.gguf'] }, '/nowhere/model.gguf'],
  ])('refuses %j with a 400 that names the problem, and records nothing', async (body, fragment) => {
    const before = await runCount();
    const response = await post('/v1/tasks', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect((await response.json()).detail).toContain(fragment);
    expect(await runCount()).toBe(before);
  });

  it("keeps the model's code off the network: the attempt is denied, published and counted", async () => {
    const sneaky =
      '```python\nimport urllib.request\ntry:\n    urllib.request.urlopen("http://169.254.169.254/latest/meta-data/")\nexcept Exception as error:\n    print("blocked")\n\ndef add(a, b):\n    return a + b\n```';
    scriptAgent(model, ADD_PLAN, [sneaky]);
    const result = await (await post('/v1/tasks', { task: 'write add(a, b)', model: 'scripted:coder' })).json();
    expect(result).toMatchObject({ verdict: 'pass', stdout: 'blocked\n' });
    expect(result.iterations[0].execution.egress).toMatchObject([{ verdict: 'denied', url: 'http://169.254.169.254/latest/meta-data/' }]);
    const events = await eventsOf(result.runId);
    expect(events.filter((event) => event.type === 'dev.umca.egress.denied.v1')).toHaveLength(1);
    const list = await (await fetch(`${server().url}/v1/runs?limit=1`)).json();
    expect(list.runs[0]).toMatchObject({ id: result.runId, egressDenied: 1 });
  });

  it('refuses an oversized body with 413 before reading it, and records nothing', async () => {
    const before = await runCount();
    const response = await post('/v1/tasks', { task: 'x'.repeat(2_000_000), model: 'scripted:coder' });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await runCount()).toBe(before);
  });

  it('ends the task as failed, with the reason, when the model keeps failing', async () => {
    model.fallback = () => ({ status: 500, errorMessage: 'the model server fell over' });
    const response = await post('/v1/tasks', { task: 'write add(a, b)', model: 'scripted:coder' });
    const result = await response.json();
    expect(result).toMatchObject({ status: 'error', verdict: 'fail', reason: expect.stringContaining('the model failed') });
    const events = await eventsOf(result.runId);
    const called = events.find((event) => event.type === 'dev.umca.model.called.v1');
    expect(called?.data).toMatchObject({ error: expect.any(String) });
    expect(events.at(-1)).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: 'error' } });
  });

  it('cancels a task while the model is answering', async () => {
    scriptAgent(model, { text: ADD_PLAN, delayMs: 200, chunks: 50 }, [ADD_GOOD]);
    const { runId } = await (
      await post('/v1/tasks', { task: 'write add(a, b)', model: 'scripted:coder' }, { prefer: 'respond-async' })
    ).json();
    const events: UmcaEvent[] = [];
    for await (const { event } of createClient({ baseUrl: server().url }).followRun(runId)) {
      events.push(event);
      if (events.length === 3) expect((await post(`/v1/runs/${runId}/cancel`, {})).status).toBe(202);
    }
    expect(events.at(-1)).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: 'cancelled' } });
    const run = await (await fetch(`${server().url}/v1/runs/${runId}`)).json();
    expect(run).toMatchObject({ status: 'cancelled', result: { verdict: 'fail' } });
  });
});
