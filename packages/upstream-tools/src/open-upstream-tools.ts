/**
 * @module open-upstream-tools
 * `UpstreamToolsV1` over the configured servers: one kept connection each, started at once and
 * never awaited (a server that is down must not stop UMCA from starting; readiness says so), and
 * their tools under UMCA's names (the server's prefix, then the tool's own name). A name two
 * servers would both claim goes to the first, and the second's tool is left out with a warning.
 */
import type { Logger, UpstreamServer, UpstreamTool, UpstreamToolsV1 } from '@umca/contracts';
import { type BackoffOptions, openUpstreamConnection, type UpstreamConnection } from './upstream-connection.js';
import { UpstreamError } from './upstream-error.js';

export interface OpenUpstreamToolsOptions {
  readonly servers: readonly UpstreamServer[];
  readonly logger: Logger;
  readonly backoff?: BackoffOptions;
  /** How often servers that are up are pinged (default 15 s). */
  readonly healthIntervalMs?: number;
  /** Told when a server's status or tools change (the web UI, metrics). */
  readonly onChange?: () => void;
}

export function openUpstreamTools(options: OpenUpstreamToolsOptions): UpstreamToolsV1 {
  const { logger } = options;
  const connections = new Map<string, { server: UpstreamServer; connection: UpstreamConnection }>();
  for (const server of options.servers) {
    connections.set(server.name, {
      server,
      connection: openUpstreamConnection({
        server,
        logger,
        onChange: () => options.onChange?.(),
        ...(options.backoff ? { backoff: options.backoff } : {}),
        ...(options.healthIntervalMs ? { healthIntervalMs: options.healthIntervalMs } : {}),
      }),
    });
  }

  /** Every tool by UMCA's name, with where it lives. */
  function catalogue(): Map<string, UpstreamTool> {
    const byName = new Map<string, UpstreamTool>();
    for (const { server, connection } of connections.values()) {
      const prefix = server.toolPrefix ?? `${server.name.replace(/-/g, '_')}_`;
      for (const tool of connection.tools()) {
        const name = `${prefix}${tool.name}`;
        if (byName.has(name)) {
          logger.warn(
            `MCP server ${server.name}: its tool ${tool.name} is named ${name} like another server's; it is left out (give it a toolPrefix)`,
          );
          continue;
        }
        byName.set(name, {
          name,
          server: server.name,
          tool: tool.name,
          description: tool.description ?? '',
          inputSchema: tool.inputSchema as Record<string, unknown>,
          ...(tool.outputSchema ? { outputSchema: tool.outputSchema as Record<string, unknown> } : {}),
        });
      }
    }
    return byName;
  }

  return {
    specificationVersion: 'v1',
    servers: () => [...connections.values()].map(({ connection }) => connection.state()),
    tools: () => [...catalogue().values()],
    async call(name, args, callOptions = {}) {
      const tool = catalogue().get(name);
      if (!tool) {
        const down = [...connections.values()]
          .filter(({ connection }) => connection.state().status !== 'up')
          .map(({ server }) => server.name);
        throw new UpstreamError(
          'unknown_tool',
          `there is no upstream tool ${name}${down.length ? ` (the MCP servers ${down.join(', ')} are not up, and may have it)` : ''}; GET /v1/tools lists them`,
        );
      }
      return (connections.get(tool.server) as { connection: UpstreamConnection }).connection.call(tool.tool, args, callOptions.signal);
    },
    async close() {
      await Promise.all([...connections.values()].map(({ connection }) => connection.close()));
    },
  };
}
