/**
 * @module follow-event-stream
 * An event stream that survives dropped connections with exact resume: it remembers the offset
 * of the last event (each event's SSE `id`) and reconnects with `Last-Event-ID`, waiting what
 * the server's `retry:` asks, so that nothing is lost and nothing repeated. Reconnects are
 * bounded; the first connection is not retried, so a wrong address fails at once.
 */
import type { StoredEvent, UmcaEvent } from '@umca/contracts';
import { UmcaApiError } from '../umca-api-error.js';
import type { FollowOptions } from '../umca-client.js';
import { UmcaClientError } from '../umca-client-error.js';
import { anySignal, sleep } from './abort.js';
import type { Http } from './create-http.js';
import { readEventStream } from './read-event-stream.js';

export const DEFAULT_RECONNECT_ATTEMPTS = 10;
export const DEFAULT_RECONNECT_DELAY_MS = 1_000;

export async function* followEventStream(
  http: Http,
  path: string,
  options: FollowOptions,
  isLast: (event: UmcaEvent) => boolean = () => false,
): AsyncGenerator<StoredEvent, void, undefined> {
  const attempts = options.reconnect?.attempts ?? DEFAULT_RECONNECT_ATTEMPTS;
  let delayMs = options.reconnect?.delayMs ?? DEFAULT_RECONNECT_DELAY_MS;
  let last = options.after;
  let connected = false;
  let failures = 0;
  // The caller's signal or the client's: either ends the stream with its reason.
  const stop = anySignal(http.signal, options.signal);
  options.onStateChange?.('connecting');
  for (;;) {
    const connection = new AbortController();
    const signal = anySignal(stop, connection.signal);
    try {
      let response: Response;
      try {
        response = await http.stream(path, { lastEventId: last, signal });
      } catch (error) {
        if (!connected || !isPassing(error)) throw error;
        if (++failures > attempts) {
          throw new UmcaClientError(
            'server_unreachable',
            `lost the event stream at ${http.baseUrl}${path} and ${attempts} reconnects failed; the last: ${(error as Error).message}`,
            { cause: error },
          );
        }
        await sleep(delayMs, stop);
        continue;
      }
      if (response.status === 204) return; // the run has ended and nothing is after `last`
      connected = true;
      failures = 0;
      options.onStateChange?.('open');
      try {
        const messages = readEventStream(response.body as ReadableStream<Uint8Array>, {
          onRetry: (ms) => {
            delayMs = ms;
          },
          onOpeningId: (id) => {
            if (/^\d+$/.test(id) && last === undefined) last = Number(id);
          },
        });
        for await (const message of messages) {
          if (!/^\d{1,15}$/.test(message.id ?? '')) throw unexpected(http, path, `an event whose id is not an offset (${message.id})`);
          const offset = Number(message.id);
          if (last !== undefined && offset <= last) continue;
          const event = parseEvent(message.data, () => unexpected(http, path, 'an event that is not JSON'));
          last = offset;
          yield { offset, event };
          if (isLast(event)) return;
        }
      } catch (error) {
        if (stop?.aborted) throw stop.reason;
        if (error instanceof UmcaClientError) throw error;
        // Anything else is the connection dropping: reconnect below.
      }
    } finally {
      connection.abort();
    }
    options.onStateChange?.('reconnecting');
    await sleep(delayMs, stop);
  }
}

/** A failure that may pass by reconnecting: no answer, or a gateway's while the server restarts. */
function isPassing(error: unknown): boolean {
  if (error instanceof UmcaApiError) return error.status === 502 || error.status === 503 || error.status === 504;
  return error instanceof UmcaClientError && error.code === 'server_unreachable';
}

function parseEvent(data: string, fail: () => Error): UmcaEvent {
  try {
    return JSON.parse(data) as UmcaEvent;
  } catch {
    throw fail();
  }
}

function unexpected(http: Http, path: string, what: string): UmcaClientError {
  return new UmcaClientError('unexpected_response', `${http.baseUrl}${path} sent ${what}; is ${http.baseUrl} a UMCA server?`);
}
