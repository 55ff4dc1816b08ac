/**
 * @module live
 * Live events through the browser's EventSource. It reconnects on its own after a dropped
 * connection or a server restart and sends Last-Event-ID, so the page misses nothing.
 */
import type { UmcaEvent } from '@umca/contracts';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

export function follow(
  url: string,
  onEvent: (event: UmcaEvent, offset: number) => void,
  onState?: (state: ConnectionState) => void,
): () => void {
  const source = new EventSource(url);
  onState?.('connecting');
  source.onopen = () => onState?.('live');
  source.onerror = () => onState?.(source.readyState === EventSource.CLOSED ? 'connecting' : 'reconnecting');
  source.onmessage = (message) => onEvent(JSON.parse(message.data) as UmcaEvent, Number(message.lastEventId));
  return () => source.close();
}
