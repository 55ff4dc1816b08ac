/**
 * @module create-mcp-http-handler
 * Streamable HTTP for MCP at /mcp (protocol 2025-06-18 and 2025-11-25, via the SDK's web-standard
 * transport): one session per client, each with its own server instance, and resumable streams
 * whose events are kept in UMCA's store (so a client can resume after a dropped connection).
 */
import { randomUUID } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type EventStore, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { StreamEventLogV1 } from '@umca/contracts';
import type { AccessGrant } from '@umca/policy';

/** Who sent a request, as the HTTP edge authenticated it; absent on a server without authentication. */
export interface McpCaller {
  readonly grant: AccessGrant;
}

export interface McpHttpHandler {
  /** Handles one request. A session belongs to the principal that initialized it: another's requests get "Session not found". */
  handle(request: Request, caller?: McpCaller): Promise<Response>;
  /** Open sessions, for metrics and tests. */
  sessionCount(): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1_048_576;

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** The SDK's EventStore over UMCA's stream event log. */
export function storeBackedEventStore(log: StreamEventLogV1): EventStore {
  return {
    storeEvent: (streamId, message) => log.append(streamId, message),
    getStreamIdForEventId: (eventId) => log.streamOf(eventId),
    async replayEventsAfter(lastEventId, { send }) {
      const streamId = await log.streamOf(lastEventId);
      if (!streamId) return '';
      for (const { eventId, message } of await log.after(lastEventId)) await send(eventId, message as JSONRPCMessage);
      return streamId;
    },
  };
}

/** The grant as the SDK hands it to tool handlers (`extra.authInfo.extra.grant`). */
function authInfoOf(caller: McpCaller | undefined): { authInfo: AuthInfo } | Record<string, never> {
  if (!caller) return {};
  const { principal } = caller.grant;
  return {
    authInfo: {
      token: '',
      clientId: principal.sub,
      scopes: [],
      ...(principal.expiresAt ? { expiresAt: Math.floor(principal.expiresAt.getTime() / 1_000) } : {}),
      extra: { grant: caller.grant },
    },
  };
}

export function createMcpHttpHandler(options: {
  /** A server for a new session; `grant` is what its principal may do (the tools it lists). */
  createServer: (grant?: AccessGrant) => McpServer;
  streams: StreamEventLogV1;
  maxSessions?: number;
}): McpHttpHandler {
  const sessions = new Map<string, { transport: WebStandardStreamableHTTPServerTransport; server: McpServer; owner: string | undefined }>();
  const maxSessions = options.maxSessions ?? 256;
  const eventStore = storeBackedEventStore(options.streams);

  return {
    async handle(request, caller) {
      const sessionId = request.headers.get('mcp-session-id');
      const owner = caller?.grant.principal.sub;
      if (sessionId) {
        const session = sessions.get(sessionId);
        // Another principal's session is not there for this caller, as one that ended is not.
        if (!session || session.owner !== owner) {
          return jsonRpcError(404, -32001, 'Session not found: it ended or the server restarted; initialize a new session');
        }
        return session.transport.handleRequest(request, authInfoOf(caller));
      }
      if (request.method !== 'POST') return jsonRpcError(400, -32000, 'Bad Request: no session; send an initialize request first');
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > MAX_BODY_BYTES) return jsonRpcError(413, -32000, `Request too large: at most ${MAX_BODY_BYTES} bytes`);
      let body: unknown;
      try {
        const text = await request.text();
        if (text.length > MAX_BODY_BYTES) return jsonRpcError(413, -32000, `Request too large: at most ${MAX_BODY_BYTES} bytes`);
        body = JSON.parse(text);
      } catch {
        return jsonRpcError(400, -32700, 'Parse error: the body is not JSON');
      }
      const initializing = Array.isArray(body) ? body.some((message) => isInitializeRequest(message)) : isInitializeRequest(body);
      if (!initializing) return jsonRpcError(400, -32000, 'Bad Request: no session; send an initialize request first');
      if (sessions.size >= maxSessions)
        return jsonRpcError(503, -32000, `Too many sessions (${maxSessions}); close one or try again later`);
      const server = options.createServer(caller?.grant);
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        eventStore,
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, server, owner });
        },
        onsessionclosed: (id) => {
          sessions.delete(id);
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await server.connect(transport);
      return transport.handleRequest(request, { parsedBody: body, ...authInfoOf(caller) });
    },
    sessionCount: () => sessions.size,
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map(({ server }) => server.close()));
    },
  };
}
