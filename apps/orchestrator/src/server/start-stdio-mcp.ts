/**
 * @module start-stdio-mcp
 * `umca mcp`: UMCA's MCP server over stdio, for clients that start it as a subprocess (VS Code,
 * Claude Desktop, Dify's local tools). Runs are kept in the same data directory as `umca serve`,
 * so both see them. Everything but MCP messages goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Logger } from '@umca/contracts';
import { stderrLogger } from '@umca/runner';
import { createMcpServer } from '../mcp/create-mcp-server.js';
import { openService } from './open-service.js';

export async function startStdioMcp(options: {
  dataDir: string;
  logger?: Logger;
  allowReducedIsolation?: boolean;
  model?: string;
  fallbackModels?: readonly string[];
  allowSampling?: boolean;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}): Promise<{ closed: Promise<void> }> {
  const service = await openService(
    {
      dataDir: options.dataDir,
      ...(options.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
      ...(options.model ? { model: options.model } : {}),
      ...(options.fallbackModels ? { fallbackModels: options.fallbackModels } : {}),
    },
    // An editor starts this beside a `umca serve` on the same data directory, whose runs in
    // progress are not ours to end; `umca serve` records stopped processes' runs when it starts.
    { logger: options.logger ?? stderrLogger, recoverInterrupted: false },
  );
  const server = createMcpServer({
    runs: service.runs,
    bus: service.bus,
    ...(service.sessions ? { sessions: service.sessions } : {}),
    allowSampling: options.allowSampling ?? true,
    ...(options.model ? { defaultModel: options.model } : {}),
  });
  const transport = new StdioServerTransport(
    (options.stdin ?? process.stdin) as import('node:stream').Readable,
    (options.stdout ?? process.stdout) as import('node:stream').Writable,
  );
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    (options.stdin ?? process.stdin).once('end', () => resolve());
  }).then(() => service.close());
  await server.connect(transport);
  return { closed };
}
