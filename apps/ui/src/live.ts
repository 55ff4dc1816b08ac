/**
 * @module live
 * Live events through the client's iterators. They reconnect by themselves after a dropped
 * connection or a server restart and resume after the last event, so the page misses nothing
 * and shows nothing twice.
 */
import { type FollowOptions, type StreamState, UmcaClientError } from '@umca/client';
import type { StoredEvent, UmcaEvent } from '@umca/contracts';
import { umca } from './api.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** How long to wait before trying again when the server could not be reached at all. */
const RETRY_MS = 2_000;

/** Follows one run's events until it ends; returns a function that stops following. */
export function followRun(runId: string, onEvent: (event: UmcaEvent) => void): () => void {
  return follow((options) => umca.followRun(runId, options), onEvent);
}

/** Follows every run's events from now on, for as long as the page is open. */
export function followAllRuns(onEvent: (event: UmcaEvent) => void, onState: (state: ConnectionState) => void): () => void {
  return follow((options) => umca.events(options), onEvent, onState);
}

function follow(
  open: (options: FollowOptions) => AsyncIterable<StoredEvent>,
  onEvent: (event: UmcaEvent) => void,
  onState?: (state: ConnectionState) => void,
): () => void {
  const controller = new AbortController();
  const onStateChange = (state: StreamState) => onState?.(state === 'open' ? 'live' : state);
  void (async () => {
    let after: number | undefined;
    while (!controller.signal.aborted) {
      try {
        const options = { signal: controller.signal, reconnect: { attempts: Number.POSITIVE_INFINITY }, onStateChange };
        for await (const { offset, event } of open(after === undefined ? options : { ...options, after })) {
          after = offset;
          onEvent(event);
        }
        return; // a run's events end with the run
      } catch (error) {
        // Once connected, the client reconnects by itself; a first connection that finds no
        // server is tried again here, as a browser's EventSource would. Anything else is final.
        if (controller.signal.aborted) return;
        onState?.('connecting');
        if (!(error instanceof UmcaClientError && error.code === 'server_unreachable')) return;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  })();
  return () => controller.abort();
}
