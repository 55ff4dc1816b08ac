/**
 * @module upstream-connection
 * One upstream MCP server, kept connected: the official SDK's client over Streamable HTTP or
 * stdio, its tools listed (every page) and refreshed when it says they changed, and, when the
 * connection fails or closes, `down` with the reason and a new attempt after a back-off that
 * doubles up to a ceiling. A stdio server gets only PATH and HOME of UMCA's environment, plus
 * what its entry gives it: UMCA's secrets are not passed down.
 */

import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type Tool, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Logger, UpstreamCallResult, UpstreamServer, UpstreamServerState } from '@umca/contracts';
import { UpstreamError } from './upstream-error.js';

export interface BackoffOptions {
  /** First wait after a failure (default 1 s). */
  readonly initialMs: number;
  /** Longest wait (default 30 s). */
  readonly maxMs: number;
}

export interface UpstreamConnectionOptions {
  readonly server: UpstreamServer;
  readonly logger: Logger;
  /** Told when the server's status or tools change. */
  readonly onChange: () => void;
  readonly backoff?: BackoffOptions;
  /** How often a server that is up is pinged (default 15 s): HTTP has no connection to lose, so a dead one is found this way. */
  readonly healthIntervalMs?: number;
  readonly now?: () => Date;
}

export interface UpstreamConnection {
  state(): UpstreamServerState;
  /** Its tools as its server lists them (empty unless up). */
  tools(): readonly Tool[];
  call(tool: string, args: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<UpstreamCallResult>;
  close(): Promise<void>;
}

const STDERR_LINES = 20;

function transportFor(server: UpstreamServer, stderr: string[]): Transport {
  if (server.transport === 'stdio') {
    const transport = new StdioClientTransport({
      command: server.command,
      args: server.args,
      env: {
        ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
        ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
        ...server.env,
      },
      ...(server.cwd ? { cwd: server.cwd } : {}),
      stderr: 'pipe',
    });
    // Its last lines say why a stdio server died; kept short, never logged in full.
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      stderr.splice(0, Math.max(0, stderr.length - STDERR_LINES));
    });
    return transport;
  }
  const headers: Record<string, string> = { ...server.headers };
  if (server.auth?.type === 'bearer') headers.Authorization = `Bearer ${server.auth.token}`;
  return new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers },
    ...(server.auth?.type === 'client-credentials'
      ? {
          authProvider: new ClientCredentialsProvider({
            clientId: server.auth.clientId,
            clientSecret: server.auth.clientSecret,
            ...(server.auth.scope ? { scope: server.auth.scope } : {}),
          }),
        }
      : {}),
  });
}

async function listAllTools(client: Client, timeout: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

function describe(error: unknown): string {
  return (error as Error)?.message?.split('\n')[0]?.slice(0, 300) ?? String(error);
}

export function openUpstreamConnection(options: UpstreamConnectionOptions): UpstreamConnection {
  const { server, logger } = options;
  const now = options.now ?? (() => new Date());
  const backoff = options.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
  let status: UpstreamServerState['status'] = 'connecting';
  let detail: string | undefined;
  let since = now().toISOString();
  let tools: Tool[] = [];
  let client: Client | undefined;
  let closed = false;
  let wait = backoff.initialMs;
  let retry: NodeJS.Timeout | undefined;
  let health: NodeJS.Timeout | undefined;
  const stderr: string[] = [];
  /** Calls in flight: when the server is found dead they fail at once rather than at their timeout. */
  const inFlight = new Set<AbortController>();

  const set = (next: UpstreamServerState['status'], why?: string) => {
    if (next !== status || why !== detail) since = now().toISOString();
    status = next;
    detail = why;
    options.onChange();
  };

  function fail(why: string): void {
    if (closed) return;
    const tail = server.transport === 'stdio' && stderr.length ? ` (its last output: ${stderr.slice(-3).join(' | ').slice(0, 300)})` : '';
    tools = [];
    const old = client;
    client = undefined;
    if (health) clearInterval(health);
    for (const call of inFlight)
      call.abort(new UpstreamError('server_down', `the MCP server ${server.name} stopped answering during the call: ${why}`));
    void old?.close().catch(() => {});
    set('down', `${why}${tail}; trying again in ${Math.round(wait / 1000)} s`);
    logger.warn(`MCP server ${server.name}: ${why}${tail}; trying again in ${Math.round(wait / 1000)} s`);
    retry = setTimeout(() => void connect(), wait);
    retry.unref?.();
    wait = Math.min(wait * 2, backoff.maxMs);
  }

  /** Pings a server that is up; one that does not answer in its timeout is down. */
  async function checkHealth(): Promise<void> {
    const current = client;
    if (!current || status !== 'up') return;
    try {
      await current.ping({ timeout: Math.min(server.timeoutMs, 5_000) });
    } catch (error) {
      if (client === current) fail(`it stopped answering: ${describe(error)}`);
    }
  }

  async function connect(): Promise<void> {
    if (closed) return;
    stderr.length = 0;
    const next = new Client({ name: 'umca', version: '0.1.0' });
    // Followed whether or not the server advertised `tools.listChanged`: some send it without.
    next.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (client !== next) return;
      try {
        tools = await listAllTools(next, server.timeoutMs);
        options.onChange();
      } catch (error) {
        logger.warn(`MCP server ${server.name}: refreshing its tools failed: ${describe(error)}`);
      }
    });
    try {
      await next.connect(transportFor(server, stderr), { timeout: server.timeoutMs });
      const listed = await listAllTools(next, server.timeoutMs);
      if (closed) {
        await next.close().catch(() => {});
        return;
      }
      client = next;
      tools = listed;
      wait = backoff.initialMs;
      // Set after the first list, so a closed connection during it counts as a failure, not a flap.
      next.onclose = () => {
        if (client === next) fail('the connection closed');
      };
      // A Streamable HTTP stream cut under a call (the server died) is only reported here: the
      // SDK retries the stream and leaves the call waiting. Ask at once whether the server is
      // still there, rather than at the next ping, so its calls fail now, not up to 15 s later.
      next.onerror = () => {
        if (client === next) void checkHealth();
      };
      set('up');
      health = setInterval(() => void checkHealth(), options.healthIntervalMs ?? 15_000);
      health.unref?.();
    } catch (error) {
      await next.close().catch(() => {});
      fail(`cannot connect: ${describe(error)}`);
    }
  }

  void connect();

  return {
    state: () => ({
      name: server.name,
      transport: server.transport,
      status,
      ...(detail ? { detail } : {}),
      tools: tools.length,
      since,
    }),
    tools: () => (status === 'up' ? tools : []),
    async call(tool, args, signal) {
      const current = client;
      if (!current || status !== 'up') {
        throw new UpstreamError('server_down', `the MCP server ${server.name} is ${status}${detail ? `: ${detail}` : ''}`);
      }
      const started = performance.now();
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      inFlight.add(controller);
      try {
        const result = await current.callTool({ name: tool, arguments: { ...args } }, undefined, {
          timeout: server.timeoutMs,
          signal: controller.signal,
        });
        const content = Array.isArray(result.content) ? result.content : [];
        const text = content
          .filter((part): part is { type: 'text'; text: string } => part.type === 'text' && typeof part.text === 'string')
          .map((part) => part.text)
          .join('\n');
        const structured = result.structuredContent as Record<string, unknown> | undefined;
        return { text, ...(structured ? { structured } : {}), isError: result.isError === true, durationMs: performance.now() - started };
      } catch (error) {
        if (signal?.aborted) throw new UpstreamError('cancelled', `the call to ${server.name}.${tool} was cancelled`, { cause: error });
        if (controller.signal.reason instanceof UpstreamError) throw controller.signal.reason;
        // Is the server still there? Found dead, it is down and reconnected, and its other calls fail now.
        void checkHealth();
        const code = (error as { code?: unknown }).code;
        if (code === -32001) {
          throw new UpstreamError('timeout', `${server.name}.${tool} did not answer within ${server.timeoutMs} ms (its timeoutMs)`, {
            cause: error,
          });
        }
        throw new UpstreamError('call_failed', `${server.name}.${tool} failed: ${describe(error)}`, { cause: error });
      } finally {
        inFlight.delete(controller);
        signal?.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      if (health) clearInterval(health);
      const old = client;
      client = undefined;
      await old?.close().catch(() => {});
    },
  };
}
