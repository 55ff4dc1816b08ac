/**
 * @module mcp-servers-view
 * The home page's "MCP servers" panel: the upstream MCP servers UMCA is a client of (`GET
 * /v1/tools`), each with its status and, opened, its tools. It loads each time the home page
 * opens and not otherwise: no polling, since each status says since when it holds. With no
 * server registered the panel is not there at all: most installations have none, and an empty
 * box would only push the runs down.
 */
import type { UpstreamToolList } from '@umca/contracts';
import { umca } from '../api.js';
import { el } from '../dom.js';
import { mcpServerItem } from './mcp-server-item.js';

export interface McpServersView {
  readonly element: HTMLElement;
  /** The home page opened: shows what the last load found, if it found a server, and loads again. */
  open(): void;
  /** Another page opened: the panel goes, and a load under way is dropped. */
  close(): void;
}

export function mcpServersView(): McpServersView {
  const heading = el('h2', { id: 'mcp-servers-heading' }, 'MCP servers');
  const list = el('ul', { class: 'mcp-servers', 'data-testid': 'mcp-server-list', 'aria-labelledby': 'mcp-servers-heading' });
  const note = el('p', { class: 'empty', hidden: true, 'data-testid': 'mcp-servers-note' });
  // Busy until a load has answered: for a screen reader, and for a test to know the panel is settled.
  const element = el('div', { class: 'panel', hidden: true, 'aria-busy': 'true', 'data-testid': 'mcp-servers' }, heading, list, note);
  const opened = new Set<string>();
  let last: UpstreamToolList | undefined;
  let home = false;
  let loading: AbortController | undefined;

  const showIfAny = () => {
    element.hidden = !home || !last?.servers.length;
  };

  async function load(): Promise<void> {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    element.setAttribute('aria-busy', 'true');
    try {
      const found = await umca.listUpstreamTools({ signal: controller.signal });
      // Answered just as a newer load (or leaving the page) dropped it: the newer one decides.
      if (controller.signal.aborted) return;
      last = found;
      list.replaceChildren(
        ...found.servers.map((server) =>
          mcpServerItem(
            server,
            found.tools.filter((tool) => tool.server === server.name),
            opened,
          ),
        ),
      );
      note.hidden = true;
    } catch (error) {
      if (controller.signal.aborted) return;
      // Said only under servers shown before: with none known, the panel stays away rather than
      // put an error box on every home page (a server too old to list tools answers 404).
      note.textContent = `The MCP servers could not be loaded again: ${error instanceof Error ? error.message : String(error)}`;
      note.hidden = false;
    }
    element.setAttribute('aria-busy', 'false');
    showIfAny();
  }

  return {
    element,
    open() {
      home = true;
      showIfAny();
      void load();
    },
    close() {
      home = false;
      loading?.abort();
      showIfAny();
    },
  };
}
