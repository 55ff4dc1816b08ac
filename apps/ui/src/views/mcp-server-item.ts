/**
 * @module mcp-server-item
 * One upstream MCP server in the MCP servers panel: its status in words (the badge's colour only
 * repeats it) and its name as the item's heading; its transport, how many tools it offers (when
 * up) and since when it has been in that status; why, when it is down; then its tools behind a
 * summary, each with the name UMCA calls it by, its description and its arguments. Names,
 * descriptions, schemas and reasons all come from other servers: `el` sets them as text, never
 * as markup.
 */
import type { UpstreamServerState, UpstreamTool } from '@umca/contracts';
import { el, timeAgo } from '../dom.js';
import { toolArguments } from './tool-arguments.js';

type Status = UpstreamServerState['status'];

/** The badge's colour, in the classes every status badge of the page uses. */
const BADGE: Record<Status, string> = { up: 'ok', connecting: 'running', down: 'error' };

/** What happened at `since`, read before "5 minutes ago". */
const CHANGE: Record<Status, string> = { up: 'came up', connecting: 'started connecting', down: 'went down' };

// No-break spaces: "6" and "tools" on different lines would read as two facts.
const count = (tools: number) => (tools === 0 ? 'no\u00a0tools' : `${tools}\u00a0${tools === 1 ? 'tool' : 'tools'}`);

/** "Arguments: question (required), top_k": the names as code, "required" in words. */
function argumentsLine(tool: UpstreamTool): HTMLElement {
  const found = toolArguments(tool.inputSchema);
  const parts = found.flatMap((argument, index) => [
    index > 0 && ', ',
    el('code', argument.required ? { 'data-required': true } : {}, argument.name),
    argument.required && ' (required)',
  ]);
  return el(
    'p',
    { class: 'mcp-tool-arguments', 'data-testid': 'mcp-tool-arguments' },
    ...(found.length ? ['Arguments: ', ...parts] : ['No arguments']),
  );
}

function toolItem(tool: UpstreamTool): HTMLLIElement {
  return el(
    'li',
    { 'data-testid': 'mcp-tool', 'data-tool': tool.name },
    el('h4', { class: 'mcp-tool-name', 'data-testid': 'mcp-tool-name' }, tool.name),
    tool.description.trim()
      ? el('p', { class: 'mcp-tool-description', 'data-testid': 'mcp-tool-description' }, tool.description)
      : undefined,
    argumentsLine(tool),
  );
}

/**
 * The tools, folded: a server may offer dozens. `listed` may be fewer than the server offers (the
 * reader's roles allow only some, or a name clashed with another server's), and the summary says so.
 */
function toolsPart(server: UpstreamServerState, listed: readonly UpstreamTool[], open: Set<string>): HTMLElement | undefined {
  if (server.status !== 'up' || server.tools === 0) return undefined;
  if (listed.length === 0) return el('p', { class: 'mcp-server-facts' }, 'None of its tools is listed for you.');
  const details = el(
    'details',
    { class: 'mcp-tools', open: open.has(server.name) },
    el('summary', {}, listed.length === server.tools ? 'Its tools' : `${listed.length} of its ${server.tools} tools are listed for you`),
    el('ul', { class: 'mcp-tool-list', 'data-testid': 'mcp-tool-list', 'aria-label': `Tools of ${server.name}` }, ...listed.map(toolItem)),
  );
  details.addEventListener('toggle', () => {
    if (details.open) open.add(server.name);
    else open.delete(server.name);
  });
  return details;
}

/** `open`: the servers whose tools the reader has opened, kept open across reloads of the panel. */
export function mcpServerItem(server: UpstreamServerState, listed: readonly UpstreamTool[], open: Set<string>): HTMLLIElement {
  return el(
    'li',
    { 'data-testid': 'mcp-server', 'data-server': server.name, 'data-state': server.status },
    el(
      'h3',
      { class: 'mcp-server-title' },
      el('span', { class: 'status', 'data-status': BADGE[server.status], 'data-testid': 'mcp-server-status' }, server.status),
      ' ',
      el('span', { class: 'mcp-server-name', 'data-testid': 'mcp-server-name' }, server.name),
    ),
    el(
      'p',
      { class: 'mcp-server-facts', 'data-testid': 'mcp-server-facts' },
      // Only an up server's count is news: one that is down or still connecting offers none yet.
      `${server.transport} · ${server.status === 'up' ? `${count(server.tools)} · ` : ''}${CHANGE[server.status]} `,
      timeAgo(server.since),
    ),
    server.status === 'down' && server.detail
      ? el('p', { class: 'mcp-server-detail', 'data-testid': 'mcp-server-detail' }, server.detail)
      : undefined,
    toolsPart(server, listed, open),
  );
}
