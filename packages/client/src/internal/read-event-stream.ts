/**
 * @module read-event-stream
 * One connection's Server-Sent Events, as messages, parsed by the eventsource-parser package.
 *
 * UMCA opens every stream with its resume point: an `id:` without data. By the SSE standard that
 * sets the last event id but dispatches nothing, and eventsource-parser (which reports only
 * dispatched messages) drops it, so the opening block is read here, before the parser sees it.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

const MAX_OPENING_CHARS = 1_024;

export interface StreamHandlers {
  /** The server's `retry:`, how long to wait before reconnecting. */
  onRetry(ms: number): void;
  /** The id of the stream's opening message when it carries no data: where it starts from. */
  onOpeningId(id: string): void;
}

/** Yields the stream's messages until it ends; a dropped connection rejects. */
export async function* readEventStream(body: ReadableStream<Uint8Array>, handlers: StreamHandlers): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message), onRetry: handlers.onRetry });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let opening: string | undefined = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const text = decoder.decode(value, { stream: true });
      if (opening !== undefined) {
        opening += text;
        const block = opening.match(/^([\s\S]*?)(?:\r\n\r\n|\n\n|\r\r)/)?.[1];
        if (block !== undefined || opening.length > MAX_OPENING_CHARS) {
          const id = block?.match(/^id: ?(.*)$/m)?.[1];
          if (id !== undefined && !/^data/m.test(block ?? '')) handlers.onOpeningId(id);
          opening = undefined;
        }
      }
      parser.feed(text);
      while (queue.length > 0) yield queue.shift() as EventSourceMessage;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
