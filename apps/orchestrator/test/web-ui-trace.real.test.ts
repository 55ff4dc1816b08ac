/**
 * The run page's trace waterfall in a real headless Chromium against real servers: a task (its
 * model the scripted OpenAI-compatible TEST DOUBLE; see its file) shows its agent, step, model
 * call and execution spans nested in order; a code run opened while it runs fills in once it
 * ends; a failed step is marked with its reason; attributes holding markup show as text; and a
 * run made on a server with tracing off says it has no trace, and nothing else.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_GOOD, ADD_PLAN, scriptAgent } from '../../../packages/models/test/support/scripted-agent.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../../packages/models/test/support/scripted-openai-server.js';
import { openChromiumPage } from './support/launch-chromium.js';
import { until } from './support/until.js';
import { type TestServer, useServer } from './support/use-server.js';

let model: ScriptedOpenAiServer;
beforeAll(async () => {
  model = await startScriptedOpenAiServer();
});
afterAll(() => model.close());
// Content tracing on: the task's text lands in a span attribute, where the page must show it as text.
const traced = useServer({ modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }), config: { traceContent: true } });
const untraced = useServer({ config: { tracing: 'off' } });
const { page, pageErrors } = await openChromiumPage();

async function post(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ runId: string }> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { runId: string };
}

interface Row {
  name: string;
  kind: string;
  depth: number;
}

/** The waterfall's rows as the page shows them, top to bottom. */
const rowsOf = (page: Page): Promise<Row[]> =>
  page.$$eval('[data-testid=trace] [data-testid=span]', (items) =>
    items.map((item) => {
      const data = (item as HTMLElement).dataset;
      return { name: data.name ?? '', kind: data.kind ?? '', depth: Number(data.depth) };
    }),
  );

/** Opens a run's page and waits, a bounded number of looks, for `count` rows; the caller asserts them. */
async function openRun(server: TestServer, runId: string, count: number): Promise<Row[]> {
  await page.goto(`${server.url}/#/runs/${runId}`);
  await until(async () => (await rowsOf(page)).length >= count, 100, 100);
  return rowsOf(page);
}

describe('the trace waterfall on the run page', () => {
  it("shows a task's spans nested in order, with kinds, times, the trace id and each span's attributes", async () => {
    scriptAgent(model, ADD_PLAN, [ADD_GOOD]);
    const { runId } = await post(traced(), '/v1/tasks', { task: 'write add(a, b) <img src=x data-injected=1>', model: 'scripted:coder' });
    const rows = await openRun(traced(), runId, 8);
    expect(rows).toEqual([
      { name: 'invoke_agent umca-task-flow', kind: 'AGENT', depth: 0 },
      { name: 'plan', kind: 'CHAIN', depth: 1 },
      { name: 'chat coder', kind: 'LLM', depth: 2 },
      { name: 'code', kind: 'CHAIN', depth: 1 },
      { name: 'chat coder', kind: 'LLM', depth: 2 },
      { name: 'execute', kind: 'CHAIN', depth: 1 },
      { name: 'execute_tool run_code', kind: 'TOOL', depth: 2 },
      { name: 'test', kind: 'CHAIN', depth: 1 },
    ]);
    // The nesting is in the markup (lists in lists), not only in the indent.
    expect(await page.$$eval('li[data-name=plan] > ol > li', (items) => items.map((item) => item.getAttribute('data-name')))).toEqual([
      'chat coder',
    ]);
    const run = (await (await fetch(`${traced().url}/v1/runs/${runId}`)).json()) as { traceId: string };
    expect(await page.textContent('[data-testid=trace-id]')).toBe(run.traceId);
    expect(await page.textContent('[data-testid=trace] .trace-facts')).toContain('· 8 spans ·');
    // Every bar is hidden from screen readers; its numbers are in the row's text.
    expect(await page.$$eval('[data-testid=trace] svg.span-track', (bars) => bars.map((bar) => bar.getAttribute('aria-hidden')))).toEqual(
      Array(8).fill('true'),
    );
    expect(await page.textContent('li[data-name=execute] > details > summary')).toMatch(/starts at \+[\d.]+ m?s, lasts [\d.]+ m?s/);

    const llm = 'li[data-name=code] > ol > li[data-name="chat coder"] > details';
    expect(await page.isVisible(`${llm} dl`)).toBe(false);
    await page.click(`${llm} > summary`);
    const attributes = await page.textContent(`${llm} dl`);
    expect(attributes).toContain('gen_ai.request.modelcoder');
    expect(attributes).toContain('gen_ai.response.finish_reasons["stop"]');

    const agent = 'li[data-name="invoke_agent umca-task-flow"] > details';
    await page.click(`${agent} > summary`);
    expect(await page.textContent(`${agent} dl`)).toContain('write add(a, b) <img src=x data-injected=1>');
    expect(await page.$$('[data-injected]')).toHaveLength(0);
  });

  it('fills in a code run opened while it runs, once its spans land after it ends', async () => {
    const code = 'import time\ntime.sleep(1.5)\nprint("done")\n';
    const { runId } = await post(traced(), '/v1/executions', { language: 'python', code }, { prefer: 'respond-async' });
    const rows = await openRun(traced(), runId, 2);
    expect(rows).toEqual([
      { name: 'run python', kind: 'CHAIN', depth: 0 },
      { name: 'execute_tool run_code', kind: 'TOOL', depth: 1 },
    ]);
    expect(await page.textContent('[data-testid=run-output]')).toBe('done\n');
    expect(await page.textContent('li[data-name="execute_tool run_code"] .span-note')).toContain('ok, exit 0');
  });

  it('marks a failed span, with the reason in its title', async () => {
    model.fallback = () => ({ status: 401, errorMessage: 'invalid api key' });
    const { runId } = await post(traced(), '/v1/tasks', { task: 'write add(a, b)', model: 'scripted:coder' });
    await page.goto(`${traced().url}/#/runs/${runId}`);
    await until(async () => (await page.$$('[data-testid=trace] li[data-name=plan][data-status=error]')).length > 0, 100, 100);
    const badge = 'li[data-name=plan] > details > summary .status[data-status=error]';
    expect(await page.textContent(badge)).toBe('error');
    expect(await page.getAttribute(badge, 'title')).toContain('refused the API key (401)');
    expect(await page.getAttribute('li[data-name=plan] > details > summary', 'title')).toBe(await page.getAttribute(badge, 'title'));
  });

  it('says plainly that a run made with tracing off has no trace, and shows nothing else', async () => {
    const { runId } = await post(untraced(), '/v1/executions', { language: 'python', code: 'print(1)' });
    await page.goto(`${untraced().url}/#/runs/${runId}`);
    await until(async () => (await page.$$('[data-testid=trace-off]')).length > 0, 100, 100);
    expect(await page.textContent('[data-testid=trace-off]')).toBe('No trace: tracing was off when this run ran.');
    expect(await page.$$eval('[data-testid=trace] > :not(h2)', (parts) => parts.map((part) => (part as HTMLElement).innerText))).toEqual([
      'No trace: tracing was off when this run ran.',
    ]);
    expect(await page.$$('[data-testid=trace-id], [data-testid=waterfall]')).toHaveLength(0);
    expect(pageErrors).toEqual([]);
  });
});
