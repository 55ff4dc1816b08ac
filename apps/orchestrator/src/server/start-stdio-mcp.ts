/**
 * @module start-stdio-mcp
 * `umca mcp`: UMCA's MCP server over stdio, for clients that start it as a subprocess (VS Code,
 * Claude Desktop, Dify's local tools). Runs are kept in the same data directory as `umca serve`,
 * so both see them. Everything but MCP messages goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createEmbeddedBus } from '@umca/events';
import { createRunner, type Logger, stderrLogger } from '@umca/runner';
import { openSqliteStore } from '@umca/store';
import { createMcpServer } from '../mcp/create-mcp-server.js';
import { createRunService, endInterruptedRuns } from '../runs/run-service.js';

export async function startStdioMcp(options: {
  dataDir: string;
  logger?: Logger;
  allowReducedIsolation?: boolean;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}): Promise<{ closed: Promise<void> }> {
  const logger = options.logger ?? stderrLogger;
  const store = openSqliteStore({ dataDir: options.dataDir });
  const bus = createEmbeddedBus({ log: store.events });
  await endInterruptedRuns(store, bus);
  const runner = await createRunner({ logger, ...(options.allowReducedIsolation ? { allowReducedIsolation: true } : {}) }).catch(
    async (error) => {
      await store.close();
      throw error;
    },
  );
  const runs = createRunService({ runner, store, bus });
  const server = createMcpServer({ runs, bus });
  const transport = new StdioServerTransport(
    (options.stdin ?? process.stdin) as import('node:stream').Readable,
    (options.stdout ?? process.stdout) as import('node:stream').Writable,
  );
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    (options.stdin ?? process.stdin).once('end', () => resolve());
  }).then(async () => {
    await runs.shutdown();
    await runner.close();
    await store.close();
  });
  await server.connect(transport);
  return { closed };
}
