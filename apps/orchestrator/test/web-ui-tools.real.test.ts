/**
 * The home page's MCP servers panel in a real headless Chromium against a real `umca serve` that
 * is the MCP client of a real MCP server: the stand-in for RAGFlow (the official Python MCP SDK)
 * registered as `ragflow`, and `dify` registered where nothing listens. The panel shows ragflow
 * up with its tools (each tool's arguments, the required ones marked, once opened) and dify down
 * with the reason; a tool whose name and description hold markup (added to the stand-in before
 * UMCA connects) shows it as text; the panel is the home page's only and loads again each time
 * it opens; a program's calls of its tools are lines of the run's timeline; a server with no
 * MCP server registered has no panel at all.
 */
import type { UpstreamToolList } from '@umca/contracts';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openChromiumPage } from './support/launch-chromium.js';
import { useStandInMcpServer } from './support/stand-in-mcp-server.js';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

/** Markup that would run, and leave a mark on the page, if it were ever parsed rather than shown. */
const HOSTILE = '<img src=x onerror=document.body.dataset.pwned=1 data-injected=1>';

const standIn = useStandInMcpServer();
beforeAll(async () => {
  // The stand-in's add_tool names a tool and writes its description from that name. Added before
  // UMCA starts, so UMCA's first list of the stand-in's tools has it.
  const client = await standIn().connect();
  await client.callTool({ name: 'add_tool', arguments: { name: HOSTILE } });
  await client.close();
});
const server = useServer({ config: () => ({ mcpServers: [`ragflow=${standIn().url}`, `dify=${standIn().absentUrl}`] }) });
const bare = useServer();
const { page, pageErrors } = await openChromiumPage();

interface ShownServer {
  server: string | null;
  state: string | null;
  heading: string;
  facts: string;
  since: string | null;
  detail: string | null;
}

const serversOf = (page: Page): Promise<ShownServer[]> =>
  page.$$eval('[data-testid=mcp-servers] [data-testid=mcp-server]', (items) =>
    items.map((item) => ({
      server: item.getAttribute('data-server'),
      state: item.getAttribute('data-state'),
      heading: item.querySelector('h3')?.textContent ?? '',
      facts: item.querySelector('[data-testid=mcp-server-facts]')?.textContent ?? '',
      since: item.querySelector('[data-testid=mcp-server-facts] time')?.getAttribute('datetime') ?? null,
      detail: item.querySelector('[data-testid=mcp-server-detail]')?.textContent ?? null,
    })),
  );

interface ShownTool {
  name: string;
  description: string | null;
  arguments: string;
  required: string[];
}

const toolsOf = (page: Page, server: string): Promise<ShownTool[]> =>
  page.$$eval(`[data-testid=mcp-server][data-server=${server}] [data-testid=mcp-tool]`, (items) =>
    items.map((item) => ({
      name: item.querySelector('h4')?.textContent ?? '',
      description: item.querySelector('[data-testid=mcp-tool-description]')?.textContent ?? null,
      arguments: item.querySelector('[data-testid=mcp-tool-arguments]')?.textContent ?? '',
      required: [...item.querySelectorAll('[data-testid=mcp-tool-arguments] code[data-required]')].map((code) => code.textContent ?? ''),
    })),
  );

/** Waits, a bounded number of looks, until the panel has answered its load; the caller asserts what it shows. */
const settled = () => until(async () => (await page.getAttribute('[data-testid=mcp-servers]', 'aria-busy')) === 'false', 100, 100);

describe('the MCP servers panel on the home page', () => {
  it('shows ragflow up with its tools and their arguments once opened, and dify down with the reason', async () => {
    // Once UMCA has found the one up and the other down: the page shows them as of when it opens.
    let listed: UpstreamToolList = { servers: [], tools: [] };
    await until(
      async () => {
        listed = (await (await fetch(`${server().url}/v1/tools`)).json()) as UpstreamToolList;
        const state = (name: string) => listed.servers.find((entry) => entry.name === name)?.status;
        return state('ragflow') === 'up' && state('dify') === 'down';
      },
      300,
      100,
    );
    await page.goto(server().url);
    await settled();
    const ragflow = listed.servers.find((entry) => entry.name === 'ragflow');
    expect(await serversOf(page)).toEqual([
      {
        server: 'ragflow',
        state: 'up',
        heading: 'up ragflow',
        facts: expect.stringMatching(/^http · 7\u00a0tools · came up .+$/),
        since: ragflow?.since,
        detail: null,
      },
      {
        server: 'dify',
        state: 'down',
        heading: 'down dify',
        facts: expect.stringMatching(/^http · went down .+$/),
        since: expect.any(String),
        detail: expect.stringMatching(/^cannot connect: .*; trying again in \d+ s$/),
      },
    ]);
    // Headings and lists, for a screen reader as for the eye.
    expect(await page.textContent('[data-testid=mcp-servers] h2')).toBe('MCP servers');
    expect(await page.$$eval('[data-testid=mcp-server-list] > li > h3', (headings) => headings.length)).toBe(2);
    // Above the gates, in the column beside the editor.
    expect(await page.$$eval('aside.side > *', (panels) => panels.map((panel) => panel.getAttribute('data-testid')))).toEqual([
      'mcp-servers',
      'gates',
      'runs-panel',
    ]);

    // Its tools are folded until opened; a down server has none to open.
    const retrieval = '[data-testid=mcp-tool][data-tool=ragflow_ragflow_retrieval]';
    expect(await page.isVisible(retrieval)).toBe(false);
    expect(await page.$$('[data-testid=mcp-server][data-server=dify] summary')).toHaveLength(0);
    expect(await page.textContent('[data-testid=mcp-server][data-server=ragflow] summary')).toBe('Its tools');
    await page.click('[data-testid=mcp-server][data-server=ragflow] summary');
    expect(await page.isVisible(retrieval)).toBe(true);
    const tools = await toolsOf(page, 'ragflow');
    expect(tools.map((tool) => tool.name)).toEqual(listed.tools.filter((tool) => tool.server === 'ragflow').map((tool) => tool.name));
    expect(tools.find((tool) => tool.name === 'ragflow_ragflow_retrieval')).toEqual({
      name: 'ragflow_ragflow_retrieval',
      description: "Retrieve the chunks of the knowledge base most relevant to a question (RAGFlow's retrieval).",
      arguments: 'Arguments: question (required), top_k',
      required: ['question'],
    });
    expect(tools.find((tool) => tool.name === 'ragflow_failing')).toMatchObject({ arguments: 'No arguments', required: [] });
    expect(await page.$$eval('[data-testid=mcp-tool-list] > li > h4', (headings) => headings.length)).toBe(7);
  });

  it('shows a tool name and description holding markup as text, and makes no element of either', async () => {
    const hostile = (await toolsOf(page, 'ragflow')).find((tool) => tool.name === `ragflow_${HOSTILE}`);
    expect(hostile).toEqual({
      name: `ragflow_${HOSTILE}`,
      description: `Added at run time: ${HOSTILE}.`,
      arguments: 'No arguments',
      required: [],
    });
    expect(await page.$$('[data-injected]'), 'no element made from a tool’s text').toHaveLength(0);
    expect(await page.$$('[data-testid=mcp-servers] img')).toHaveLength(0);
    expect(await page.evaluate(() => document.body.dataset.pwned), 'no handler of a tool’s text ran').toBeUndefined();
    // Each tool item holds exactly what the panel builds: a heading, a description, its arguments.
    expect(
      await page.$$eval('[data-testid=mcp-tool]', (items) =>
        items.every((item) => [...item.querySelectorAll('*')].every((node) => ['H4', 'P', 'CODE'].includes(node.tagName))),
      ),
    ).toBe(true);
  });

  it('is the home page’s only, and loads again each time the home page opens', async () => {
    await page.click('[data-testid=nav-task]');
    await page.waitForSelector('[data-testid=task]');
    expect(await page.isVisible('[data-testid=mcp-servers]')).toBe(false);
    const loaded = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/tools');
    await page.click('[data-testid=nav-code]');
    expect((await loaded).status()).toBe(200);
    await settled();
    expect(await page.isVisible('[data-testid=mcp-servers]')).toBe(true);
    expect((await serversOf(page)).map((shown) => `${shown.server} ${shown.state}`)).toEqual(['ragflow up', 'dify down']);
    // What the reader opened stays open across the reload.
    expect(await page.isVisible('[data-testid=mcp-tool][data-tool=ragflow_ragflow_retrieval]')).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('shows a program’s tool calls in the run’s timeline as they happen, a failed one as an error', async () => {
    await page.goto(server().url);
    await page.waitForSelector('#connection[data-state=live]');
    await page.selectOption('[data-testid=language]', 'python');
    await page.fill(
      '[data-testid=code]',
      [
        'import umca_tools',
        'from umca_tools import ragflow',
        'print(ragflow.ragflow_retrieval(question="How long do refunds take?", top_k=1)["chunks"][0]["title"])',
        'try:',
        '    umca_tools.call("ragflow_failing")',
        'except umca_tools.ToolError as error:',
        '    print("failed:", error)',
      ].join('\n'),
    );
    await page.click('[data-testid=run]');
    await page.waitForSelector('[data-testid=run-status] [data-status=ok]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=output]')).toMatch(/^Refunds\nfailed: .*the upstream tool broke/);
    const calls = await page.$$eval('[data-testid=timeline] li[data-type="dev.umca.tool.called.v1"]', (items) =>
      items.map((item) => ({ kind: item.getAttribute('data-kind'), text: item.querySelector('.type')?.textContent ?? '' })),
    );
    expect(calls).toEqual([
      { kind: 'allowed', text: expect.stringMatching(/^tool ragflow_ragflow_retrieval: answered, /) },
      { kind: 'error', text: expect.stringMatching(/^tool ragflow_failing: failed, .*: .*the upstream tool broke/) },
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('is not there at all on a server with no MCP server registered', async () => {
    const loaded = page.waitForResponse((response) => new URL(response.url()).pathname === '/v1/tools');
    await page.goto(bare().url);
    expect(await (await loaded).json()).toEqual({ servers: [], tools: [] });
    await settled();
    expect(await page.isHidden('[data-testid=mcp-servers]')).toBe(true);
    expect(await page.$$('[data-testid=mcp-server]')).toHaveLength(0);
    // The rest of the home page is there: the gates' panel has loaded.
    await until(async () => (await page.textContent('[data-testid=gate-verdicts-note]'))?.startsWith('No gate') === true, 100, 100);
    expect(await page.isVisible('[data-testid=gates]')).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
