/**
 * @module event-stream
 * Server-Sent Events over the bus. Each event's `id:` is its offset, so a client that reconnects
 * with `Last-Event-ID` (or `?after=`) resumes exactly after the last event it saw: nothing lost,
 * nothing repeated. Comment heartbeats keep proxies from closing an idle stream; `retry:` tells
 * clients how soon to reconnect. A slow client only slows its own stream.
 */
import type { StoredEvent } from '@umca/contracts';
import type { EventBus } from '@umca/events';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { problemResponse } from '../app/problem.js';

export interface EventStreamOptions {
  bus: EventBus;
  after: number;
  subject?: string;
  /** Stop after delivering an event this returns true for (the end of a run). */
  isLast?: (stored: StoredEvent) => boolean;
  heartbeatMs?: number;
  retryMs?: number;
  /** Told when a client connects (+1) and disconnects (-1). */
  onClientChange?: (delta: 1 | -1) => void;
}

export function streamEvents(context: Context, options: EventStreamOptions): Response {
  return streamSSE(context, async (stream) => {
    const controller = new AbortController();
    stream.onAbort(() => controller.abort());
    options.onClientChange?.(1);
    const heartbeat = setInterval(() => {
      void stream.write(': keep-alive\n\n').catch(() => controller.abort());
    }, options.heartbeatMs ?? 15_000);
    try {
      // No data, so no message: the `id` only gives the client its resume point, so a client that
      // connected "from now" and drops before the first event still misses nothing.
      await stream.write(`retry: ${options.retryMs ?? 2_000}\nid: ${options.after}\n\n`);
      for await (const stored of options.bus.subscribe({
        after: options.after,
        signal: controller.signal,
        ...(options.subject ? { subject: options.subject } : {}),
      })) {
        await stream.writeSSE({ id: String(stored.offset), data: JSON.stringify(stored.event) });
        if (options.isLast?.(stored)) break;
      }
    } finally {
      clearInterval(heartbeat);
      controller.abort();
      options.onClientChange?.(-1);
    }
  });
}

/** The offset to resume after: Last-Event-ID wins over `?after=`; `fallback` when neither. */
export function resumeOffset(context: Context, fallback: number): number | 'invalid' {
  const raw = context.req.header('last-event-id') ?? context.req.query('after');
  if (raw === undefined || raw === '') return fallback;
  return /^\d{1,15}$/.test(raw) ? Number(raw) : 'invalid';
}

/** The 400 for a Last-Event-ID (or `?after=`) that is not an offset. */
export function badEventId(context: Context): Response {
  return problemResponse(context, {
    status: 400,
    title: 'Bad event id',
    detail: 'Last-Event-ID (or ?after=) must be an event offset, a whole number',
  });
}
