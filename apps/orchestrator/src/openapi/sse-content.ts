/**
 * @module sse-content
 * How an event stream is described. Before OpenAPI 3.2 there is no `itemSchema`, and tools read a
 * `text/event-stream` schema two ways: as one event, the object the SSE parsing rules make of it
 * (`id`, `event`, `data`, `retry`; Schemathesis, Speakeasy), or as the whole body (generated
 * clients, which hand it over as text). The schema says both: text, or an event as below. A tool
 * that checks events still checks each one against the event, since an event is never text.
 *
 * Ours: `data` is a umca-events v1 CloudEvent as JSON text, `id` its offset, and `event` is never
 * sent, so every event is a `message` (`EventSource.onmessage` hears them all; the CloudEvent's
 * `type` says what happened).
 */
import { MAX_EVENT_OFFSET } from '@umca/contracts';
import { ref } from './component-schemas.js';

const EVENT = {
  type: 'object',
  description:
    'One Server-Sent Event. The stream opens with a `retry` and an `id` without data (the resume point, no event), sends a comment (`: keep-alive`) every 15 s when idle, and sends each umca-events v1 event as below.',
  required: ['data', 'id'],
  properties: {
    id: {
      type: 'string',
      pattern: `^\\d{1,${String(MAX_EVENT_OFFSET).length}}$`,
      description: "The event's offset, which only grows: send it back as `Last-Event-ID` (or `?after=`) to resume exactly after it.",
    },
    event: { type: 'string', const: 'message', description: 'Not sent: every event is a `message`.' },
    data: {
      type: 'string',
      contentMediaType: 'application/json',
      contentSchema: ref('UmcaEvent'),
      description: 'The event: a umca-events v1 CloudEvent (structured mode, JSON), on one line.',
    },
    retry: { type: 'integer', minimum: 0, description: 'How long a client waits before reconnecting, in ms (sent once, first).' },
  },
};

const EVENT_STREAM_SCHEMA: Record<string, unknown> = {
  anyOf: [{ type: 'string', description: 'The stream as text, for a client that reads the body whole.' }, EVENT],
};

/** The `content` of a 200 that is an event stream. */
export function eventStreamContent() {
  return { 'text/event-stream': { schema: EVENT_STREAM_SCHEMA as { type: 'object' } } };
}
