/**
 * A raw Server-Sent Events reader for the tests of the SSE wire itself (event-stream.real.test.ts):
 * fetch plus eventsource-parser, so a test sees `retry:`, comments and ids, and controls
 * reconnects and Last-Event-ID exactly as a browser's EventSource would send them. Tests that only
 * follow runs use @umca/client, as users do; the server's wire is not checked with the logic of
 * the client that reads it.
 */
import { createParser } from 'eventsource-parser';

export interface SseMessage {
  id: string;
  data: string;
}

export interface SseConnection {
  readonly status: number;
  readonly messages: SseMessage[];
  readonly comments: string[];
  retry: number | undefined;
  /** Resolves when the server ends the stream (or the connection drops). */
  readonly ended: Promise<void>;
  /** Waits until `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<SseMessage[]>;
  close(): void;
}

export async function connectSse(url: string, options: { lastEventId?: string } = {}): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}) },
    signal: controller.signal,
  });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  let notify = () => {};
  const connection: SseConnection = {
    status: response.status,
    messages,
    comments,
    retry: undefined,
    ended: Promise.resolve(),
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${messages.length} of ${count} SSE messages arrived`);
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 100);
        });
      }
      return messages.slice(0, count);
    },
    close: () => controller.abort(),
  };
  const parser = createParser({
    onEvent: (event) => {
      messages.push({ id: event.id ?? '', data: event.data });
      notify();
    },
    onComment: (comment) => comments.push(comment),
    onRetry: (retry) => {
      connection.retry = retry;
    },
  });
  (connection as { ended: Promise<void> }).ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted or dropped
    }
  })();
  return connection;
}
