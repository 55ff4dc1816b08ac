/**
 * @module tool-support
 * What UMCA's MCP tools share: lenient optional arguments, results as text and structured
 * content, the client's logging level, and a run's output as logging messages.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { ANONYMOUS_PRINCIPAL, type EventBusV1, type Logger, UmcaError, type UmcaEvent } from '@umca/contracts';
import { type AccessGrant, createRunQuota, type RunQuota, unrestrictedGrant } from '@umca/policy';
import type { RunService, SessionService } from '@umca/runs';
import { z } from 'zod';
import { isPolicyRefusal, publishPolicyDenied } from '../auth/publish-policy-denied.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const SILENT: Logger = { info() {}, warn() {}, error() {} };

/** What UMCA's tools are built from. */
export interface ToolDeps {
  runs: RunService;
  bus: EventBusV1;
  /** How much each principal may run at once (shared with the HTTP API). */
  quota: RunQuota;
  /** Sessions (create_session, run_code's sessionId); absent where the server holds none. */
  sessions?: SessionService;
  logger?: Logger;
}

/** Tool deps for a server whose every caller may do everything (stdio, a loopback server without authentication). */
export function openToolDeps(deps: {
  runs: RunService;
  bus: EventBusV1;
  quota?: RunQuota;
  sessions?: SessionService;
  logger?: Logger;
}): ToolDeps {
  return { ...deps, quota: deps.quota ?? createRunQuota() };
}

/** The grant the request came with (the HTTP edge puts it in authInfo); over stdio or without authentication, everything. */
export function grantOf(extra: Pick<ToolExtra, 'authInfo'>): AccessGrant {
  return (extra.authInfo?.extra?.grant as AccessGrant | undefined) ?? unrestrictedGrant(ANONYMOUS_PRINCIPAL);
}

/** A refusal the caller can fix, as a tool error (a tool result with isError): the message is the fix. */
export function toolError(error: Pick<UmcaError, 'message'>) {
  return { isError: true, content: [{ type: 'text' as const, text: error.message }] };
}

/**
 * An UmcaError from starting or reading a run, as a tool error; a refusal by the policy is also
 * a `policy.denied` event. Anything else is rethrown (a defect of ours).
 */
export function refusalAsToolError(deps: ToolDeps, extra: ToolExtra, error: unknown) {
  if (!(error instanceof UmcaError)) throw error;
  if (isPolicyRefusal(error)) {
    const requestId = `mcp_${extra.sessionId ?? 'stdio'}_${String(extra.requestId)}`;
    publishPolicyDenied(deps.bus, deps.logger ?? SILENT, { requestId, principal: grantOf(extra).principal, error });
  }
  return toolError(error);
}

/** Optional arguments as some clients send them: absent, null, "" or []. All mean "not given". */
export const optional = <Schema extends z.ZodType>(schema: Schema) =>
  z.preprocess(
    (value) => (value === null || value === '' || (Array.isArray(value) && value.length === 0) ? undefined : value),
    schema.optional(),
  );

export function asText(value: unknown) {
  return [{ type: 'text' as const, text: JSON.stringify(value, null, 2) }];
}

/** Whether the client's logging level (logging/setLevel) filters out messages at `level`. */
export function loggingIgnored(server: McpServer, level: 'info' | 'warning', sessionId?: string): boolean {
  return (
    (server.server as unknown as { isMessageIgnored?: (level: string, sessionId?: string) => boolean }).isMessageIgnored?.(
      level,
      sessionId,
    ) ?? false
  );
}

/** The program's output as logging messages (stdout info, stderr warning). */
export async function relayOutput(server: McpServer, event: UmcaEvent, extra: ToolExtra): Promise<void> {
  if (event.type !== 'dev.umca.output.appended.v1') return;
  const level = event.data.stream === 'stderr' ? 'warning' : 'info';
  if (loggingIgnored(server, level, extra.sessionId)) return;
  await extra.sendNotification({
    method: 'notifications/message',
    params: { level, logger: `umca.${event.data.stream}`, data: event.data.text },
  });
}
