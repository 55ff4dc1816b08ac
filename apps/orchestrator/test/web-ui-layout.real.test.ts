/**
 * The web page at a phone's width (390 px) and a laptop's (1280 px), in a real headless Chromium
 * against a real server: it walks the page's main states in order (the editor; a code run in
 * progress, ended ok and in error; switching language; the task tab; a task refused, one whose
 * model call failed, one that passed; a run page of each kind, with its trace's waterfall (rows
 * opened, failed spans marked); the list of runs, empty and full; the gates' verdicts, none and
 * some, a failed one opened; the MCP servers, one up with its tools opened and one down) and in
 * each, at both widths, fails on anything `findLayoutProblems` sees: sideways scrolling, an
 * element poking out, an empty box or panel, touching badges, a label wrapping. The task's model
 * is the scripted OpenAI-compatible TEST DOUBLE (see its file); the MCP server that is up is the
 * stand-in for RAGFlow (a real MCP server), the one down an address where nothing listens.
 *
 * UMCA_UI_SCREENSHOTS=<directory> also saves a full-page screenshot of every state at both widths.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_VERDICTS_SUBJECT, type UpstreamToolList } from '@umca/contracts';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_GOOD, ADD_PLAN, scriptAgent } from '../../../packages/models/test/support/scripted-agent.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../../packages/models/test/support/scripted-openai-server.js';
import { launchChromium } from './support/launch-chromium.js';
import { findLayoutProblems } from './support/layout-problems.js';
import { useStandInMcpServer } from './support/stand-in-mcp-server.js';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

const SCREENS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
];
const screenshots = process.env.UMCA_UI_SCREENSHOTS;

let model: ScriptedOpenAiServer;
beforeAll(async () => {
  model = await startScriptedOpenAiServer();
});
afterAll(() => model.close());
const standIn = useStandInMcpServer();
// Content tracing on: spans then hold whole prompts and code, the longest values a trace's rows show.
const server = useServer({
  modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }),
  config: () => ({ traceContent: true, mcpServers: [`ragflow=${standIn().url}`, `dify=${standIn().absentUrl}`] }),
});
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: SCREENS[0] });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  if (screenshots) mkdirSync(screenshots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** What is wrong with the page as it is now, at each width; screenshots it when asked to. */
async function layoutProblems(state: string): Promise<string[]> {
  const found: string[] = [];
  for (const screen of SCREENS) {
    await page.setViewportSize(screen);
    if (screenshots) {
      const name = `${state.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${screen.width}.png`;
      await page.screenshot({ path: join(screenshots, name), fullPage: true });
    }
    for (const problem of await page.evaluate(findLayoutProblems)) found.push(`${screen.width} px: ${problem}`);
  }
  return found;
}

async function expectTidy(state: string): Promise<void> {
  expect(await layoutProblems(state), `${state}: what is wrong on the page`).toEqual([]);
}

/** Waits, a bounded number of looks, until the run page's waterfall shows `count` rows. */
async function waitForTrace(count: number): Promise<void> {
  await until(async () => (await page.$$('[data-testid=trace] [data-testid=span]')).length >= count, 100, 100);
  expect(await page.$$eval('[data-testid=trace] [data-testid=span]', (rows) => rows.length)).toBe(count);
}

const codeOf = (page: Page) => page.$eval('[data-testid=code]', (code) => (code as HTMLTextAreaElement).value);
const currentTab = (page: Page) => page.$$eval('nav a.current', (links) => links.map((link) => link.textContent));

describe('the web UI at a phone and a laptop width', () => {
  it('the code editor before anything ran, beside an empty list of runs', async () => {
    await page.goto(server().url);
    await page.waitForSelector('#connection[data-state=live]');
    await page.waitForFunction(() => document.getElementById('isolation')?.textContent !== '…');
    expect(await page.textContent('[data-testid=runs-panel]')).toContain('No runs yet');
    await page.waitForFunction(() => document.querySelector('[data-testid=gate-verdicts-note]')?.textContent?.startsWith('No gate'));
    await expectTidy('editor');
  });

  it('the header with the longest words its pills can show', async () => {
    // What main.ts writes on a server with reduced isolation whose stream is reconnecting.
    const shown = await page.evaluate(() => {
      const texts = ['connection', 'isolation'].map((id) => document.getElementById(id)?.textContent);
      document.getElementById('connection')!.textContent = 'reconnecting';
      document.getElementById('isolation')!.textContent = 'REDUCED isolation';
      return texts;
    });
    const problems = await layoutProblems('header with long pills');
    await page.evaluate(([connection, isolation]) => {
      document.getElementById('connection')!.textContent = connection ?? '';
      document.getElementById('isolation')!.textContent = isolation ?? '';
    }, shown);
    expect(problems, 'header with long pills: what is wrong on the page').toEqual([]);
  });

  it('a code run in progress, then cancelled', async () => {
    await page.fill('[aria-label="Timeout (ms)"]', '120000');
    await page.fill('[data-testid=code]', 'import time\nprint("waiting to be cancelled", flush=True)\ntime.sleep(100)\n');
    await page.click('[data-testid=run]');
    await page.waitForFunction(() => document.querySelector('[data-testid=output]')?.textContent?.includes('waiting'));
    expect(await page.textContent('[data-testid=run-status]')).toBe('running');
    const whileRunning = await layoutProblems('code run in progress');
    await page.click('[data-testid=cancel]');
    await page.waitForSelector('[data-testid=run-status] [data-status=cancelled]');
    expect(whileRunning, 'code run in progress: what is wrong on the page').toEqual([]);
    await expectTidy('code run cancelled');
  });

  it('a code run that ended ok', async () => {
    await page.fill('[data-testid=code]', 'print("hello from the sandbox")\n');
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=run-status] [data-status=ok]');
    await expectTidy('code run ok');
  });

  it('a code run that ended in an error, and its run page under the Code tab', async () => {
    await page.fill(
      '[data-testid=code]',
      'def parse(text):\n    return int(text)\n\nprint("reading the numbers")\nparse("forty-two-and-a-very-long-word-that-does-not-break-anywhere-at-all")\n',
    );
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=run-status] [data-status=error]');
    await expectTidy('code run error');
    await page.click('text=open run →');
    await page.waitForSelector('[data-testid=run-output]');
    expect(await currentTab(page)).toEqual(['Code']);
    await waitForTrace(2);
    await expectTidy('run page of a code run that failed');
  });

  it('switching language swaps an untouched example, and says so when it keeps code of the other language', async () => {
    await page.goto(`${server().url}/#/`);
    await page.reload(); // a fresh page: the editor holds the Python example nobody touched
    await page.waitForSelector('[data-testid=code]');
    const pythonExample = await codeOf(page);
    await page.selectOption('[data-testid=language]', 'javascript');
    const javascriptExample = await codeOf(page);
    expect(javascriptExample).toContain('console.log');
    expect(await page.isVisible('[data-testid=language-notice]')).toBe(false);
    await page.selectOption('[data-testid=language]', 'python');
    expect(await codeOf(page)).toBe(pythonExample);

    const mine = 'print(sum(range(10)))\n';
    await page.fill('[data-testid=code]', mine);
    await page.selectOption('[data-testid=language]', 'javascript');
    expect(await codeOf(page)).toBe(mine);
    expect(await page.textContent('[data-testid=language-notice]')).toContain('The code above is Python');
    await expectTidy('editor holding code of the other language');

    await page.click('[data-testid=use-example]');
    expect(await codeOf(page)).toBe(javascriptExample);
    expect(await page.isVisible('[data-testid=language-notice]')).toBe(false);
    await page.selectOption('[data-testid=language]', 'python');
    expect(await codeOf(page), 'the code set aside for the example comes back').toBe(mine);

    await page.selectOption('[data-testid=language]', 'javascript');
    await page.click('[data-testid=keep-language]');
    expect(await page.inputValue('[data-testid=language]')).toBe('python');
    expect(await page.isVisible('[data-testid=language-notice]')).toBe(false);
  });

  it('a JavaScript run denied the network, and its run page with the outbound requests', async () => {
    await page.selectOption('[data-testid=language]', 'javascript');
    await page.fill(
      '[data-testid=code]',
      'try { await fetch("http://169.254.169.254/latest/meta-data/iam/security-credentials/some-role-name-that-is-long") } catch (e) { console.log("refused") }',
    );
    expect(await page.isVisible('[data-testid=language-notice]'), 'editing the code makes it the chosen language').toBe(false);
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=run-status] [data-status=ok]');
    await expectTidy('javascript run denied the network');
    await page.click('text=open run →');
    await page.waitForSelector('[data-testid=egress]');
    await expectTidy('run page with outbound requests');
  });

  it('the task tab before any task', async () => {
    await page.goto(`${server().url}/#/task`);
    await page.waitForSelector('[data-testid=task]');
    expect(await currentTab(page)).toEqual(['Task']);
    await expectTidy('task tab');
  });

  it('a task refused for having no model: the reason, and no empty output or result', async () => {
    await page.fill('[data-testid=model]', '');
    await page.click('[data-testid=run-task]');
    await page.waitForSelector('[data-testid=task-problem]');
    expect(await page.textContent('[data-testid=task-problem]')).toContain('no model');
    expect(await page.textContent('[data-testid=task-status]')).toBe('');
    await expectTidy('task refused for having no model');
  });

  it('a task whose model call failed: the summary counts the call it tried and says it failed', async () => {
    model.fallback = () => ({ status: 401, errorMessage: 'invalid api key' });
    await page.fill('[data-testid=model]', 'scripted:coder');
    await page.click('[data-testid=run-task]');
    await page.waitForSelector('[data-testid=task-result] [data-testid=verdict]');
    expect(await page.textContent('[data-testid=task-timeline]')).toContain('failed');
    expect(await page.textContent('[data-testid=task-result] [data-testid=model-use]')).toMatch(/^1 call tried, 1 failed/);
    await expectTidy('task whose model call failed');
    await page.click('text=open run →');
    await page.waitForSelector('[data-testid=task-text]');
    // It counts once the run's events are in; until then it says "counting…".
    await page.waitForFunction(() => document.querySelector('[data-testid=model-use]')?.textContent !== 'counting…').catch(() => undefined);
    expect(await page.textContent('[data-testid=model-use]'), 'the run page counts from the same events').toMatch(
      /^1 call tried, 1 failed/,
    );
    await until(async () => (await page.$$('[data-testid=trace] li[data-status=error]')).length >= 3, 100, 100);
    await page.click('li[data-name=plan] > details > summary');
    await expectTidy('run page of a task whose model call failed, its failed spans marked');
    await page.goto(`${server().url}/#/task`);
  });

  it('a task that passed, its run page under the Task tab, and the list of runs', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_GOOD]);
    await page.click('[data-testid=run-task]');
    await page.waitForSelector('[data-testid=task-result] [data-testid=verdict]');
    expect(await page.textContent('[data-testid=task-result] [data-testid=verdict]')).toBe('pass');
    expect(await page.textContent('[data-testid=task-result] [data-testid=model-use]')).toMatch(/^2 calls tried, none failed/);
    await expectTidy('task that passed');
    await page.click('text=open run →');
    await page.waitForSelector('[data-testid=task-text]');
    expect(await currentTab(page)).toEqual(['Task']);
    // Four code runs and two tasks, from the all-runs stream, which may trail the run's own.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs] li').length >= 6).catch(() => undefined);
    expect(await page.$$eval('[data-testid=runs] li', (items) => items.length)).toBe(6);
    await waitForTrace(8);
    // Open rows: a model call's (its whole prompt, with content tracing on) and the execution's.
    await page.click('li[data-name=code] > ol > li[data-kind=LLM] > details > summary');
    await page.click('li[data-kind=TOOL] > details > summary');
    await expectTidy('run page of a task, its trace with rows open, and the list of runs');
  });

  it("the home page with the MCP servers, one's tools opened, and the gates' verdicts above the list of runs, a failed one opened", async () => {
    // As `umca gate check` publishes them, with the longest words a verdict holds: a model name
    // with no place to break, and each kind of threshold message.
    const publish = (verdict: 'pass' | 'fail', model: string) =>
      server().bus.publish('dev.umca.gate.evaluated.v1', GATE_VERDICTS_SUBJECT, {
        evaluationId: `eval_${verdict}_${model.length}`,
        gate: { name: 'release-candidate-with-a-long-name', revision: 12 },
        suite: { name: 'smoke', revision: 3 },
        model,
        verdict,
        thresholds: [
          {
            metric: 'task_success',
            min: 0.8,
            value: 0.5,
            passed: verdict === 'pass',
            message: 'task_success 0.5 is below the minimum 0.8',
          },
          { metric: 'latency_p95_s', max: 120, value: 31.2, passed: true, message: 'latency_p95_s 31.2 is ≤ 120' },
          {
            metric: 'judge_quality',
            min: 0.7,
            value: null,
            passed: verdict === 'pass',
            message: 'judge_quality was not measured: nothing in the evaluation measured it (set "ifMissing": "skip" to allow that)',
          },
          {
            metric: 'rag_relevance',
            min: 0.5,
            value: null,
            passed: true,
            skipped: true,
            message: 'rag_relevance was not measured, and the gate skips it',
          },
        ],
        runs: 12,
      });
    await publish('pass', 'scripted:coder');
    await publish('fail', 'openai-compatible:org-models/qwen2.5-coder-32b-instruct-q4_k_m-gguf-with-a-very-long-name');
    // Once UMCA has found the stand-in up and the absent server down (with its reason).
    await until(
      async () => {
        const { servers } = (await (await fetch(`${server().url}/v1/tools`)).json()) as UpstreamToolList;
        return servers.map((entry) => entry.status).join() === 'up,down';
      },
      300,
      100,
    );
    await page.goto(`${server().url}/#/`);
    await until(async () => (await page.$$('[data-testid=gate-verdict]')).length >= 2, 100, 100);
    await until(async () => (await page.$$('[data-testid=mcp-server][data-state=down]')).length === 1, 100, 100);
    await page.click('[data-testid=mcp-server][data-server=ragflow] summary');
    expect(await page.isVisible('[data-testid=mcp-tool][data-tool=ragflow_ragflow_retrieval]')).toBe(true);
    expect(await page.$$eval('[data-testid=gate-verdict]', (items) => items.map((item) => item.getAttribute('data-verdict')))).toEqual([
      'fail',
      'pass',
    ]);
    await page.click('[data-testid=gate-verdict][data-verdict=fail] summary');
    await expectTidy('home page with gate verdicts, a failed one opened');
    expect(pageErrors).toEqual([]);
  });
});
