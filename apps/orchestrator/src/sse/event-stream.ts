/**
 * @module event-stream
 * Server-Sent Events over the bus. Each event's `id:` is its offset, so a client that reconnects
 * with `Last-Event-ID` (or `?after=`) resumes exactly after the last event it saw: nothing lost,
 * nothing repeated. Comment heartbeats keep proxies from closing an idle stream; `retry:` tells
 * clients how soon to reconnect. A slow client only slows its own stream.
 */
import { type EventBusV1, eventOffsetSchema, type StoredEvent } from '@umca/contracts';

import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { readRequestPart } from '../app/read-request-part.js';

export interface EventStreamOptions {
  bus: EventBusV1;
  after: number;
  subject?: string;
  /** Stop after delivering an event this returns true for (the end of a run). */
  isLast?: (stored: StoredEvent) => boolean;
  /** Only events this returns true for are sent (the caller's own runs). */
  filter?: (stored: StoredEvent) => boolean;
  /** End the stream at this time (when the token that opened it expires). */
  until?: Date;
  heartbeatMs?: number;
  retryMs?: number;
  /** Told when a client connects (+1) and disconnects (-1). */
  onClientChange?: (delta: 1 | -1) => void;
}

export function streamEvents(context: Context, options: EventStreamOptions): Response {
  // HEAD gets the headers alone. Hono answers HEAD by running GET and dropping the body, which
  // would leave a subscription nobody reads, open for good: one per HEAD request.
  if (context.req.method === 'HEAD') {
    return context.body(null, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  }
  return streamSSE(context, async (stream) => {
    const controller = new AbortController();
    stream.onAbort(() => controller.abort());
    options.onClientChange?.(1);
    const heartbeat = setInterval(() => {
      void stream.write(': keep-alive\n\n').catch(() => controller.abort());
    }, options.heartbeatMs ?? 15_000);
    // Capped so a far expiry still fits setTimeout; the client resumes with a fresh token.
    const expiry = options.until
      ? setTimeout(() => controller.abort(), Math.min(Math.max(0, options.until.getTime() - Date.now()), 2_147_483_647))
      : undefined;
    try {
      // No data, so no message: the `id` only gives the client its resume point, so a client that
      // connected "from now" and drops before the first event still misses nothing.
      await stream.write(`retry: ${options.retryMs ?? 2_000}\nid: ${options.after}\n\n`);
      for await (const stored of options.bus.subscribe({
        after: options.after,
        signal: controller.signal,
        ...(options.subject ? { subject: options.subject } : {}),
      })) {
        if (options.filter && !options.filter(stored)) continue;
        await stream.writeSSE({ id: String(stored.offset), data: JSON.stringify(stored.event) });
        if (options.isLast?.(stored)) break;
      }
    } finally {
      clearInterval(heartbeat);
      clearTimeout(expiry);
      controller.abort();
      options.onClientChange?.(-1);
    }
  });
}

/** `?after=N`: resume after event N. */
export const RESUME_QUERY = z.object({ after: eventOffsetSchema });
/** `Last-Event-ID: N`, as EventSource sends it on a reconnect; it wins over `?after=`. */
export const RESUME_HEADERS = z.object({ 'last-event-id': eventOffsetSchema });

/** The offset to resume after: Last-Event-ID wins over `?after=`; `fallback` when neither. Throws EdgeError on a bad one. */
export function resumeOffset(context: Context, fallback: number): number {
  // Both are checked, whichever is used: a bad one is a mistake worth hearing about.
  const header = readRequestPart(context, 'header', RESUME_HEADERS)['last-event-id'];
  const { after } = readRequestPart(context, 'query', RESUME_QUERY);
  return header ?? after ?? fallback;
}
