/**
 * @module tool-support
 * What UMCA's MCP tools share: lenient optional arguments, results as text and structured
 * content, and following a run while a tool call waits for it (its events relayed to the client,
 * the run cancelled when the client cancels the call).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { UmcaEvent } from '@umca/contracts';
import type { EventBus } from '@umca/events';
import { z } from 'zod';
import type { RunService } from '../runs/run-service.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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

/**
 * Waits for a submitted run while relaying its events through `onEvent`; cancels the run if the
 * client cancels the call. Returns the run's result once the relay has caught up (or after a
 * second, so a slow client never holds the result back).
 */
export async function followRun<Result>(
  deps: { runs: RunService; bus: EventBus },
  submitted: { runId: string; done: Promise<Result> },
  extra: ToolExtra,
  onEvent: (event: UmcaEvent) => Promise<void>,
): Promise<Result> {
  const { runId } = submitted;
  const onCancel = () => void deps.runs.cancel(runId).catch(() => {});
  extra.signal.addEventListener('abort', onCancel, { once: true });
  const streaming = new AbortController();
  const relay = (async () => {
    for await (const { event } of deps.bus.subscribe({ after: 0, subject: runId, signal: streaming.signal })) {
      await onEvent(event);
      if (event.type === 'dev.umca.run.ended.v1') break;
    }
  })().catch(() => {});
  try {
    const result = await submitted.done;
    await Promise.race([relay, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    return result;
  } finally {
    streaming.abort();
    extra.signal.removeEventListener('abort', onCancel);
  }
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
