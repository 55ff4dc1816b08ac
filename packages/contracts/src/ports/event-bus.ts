/**
 * @module event-bus
 * `EventLogV1` and `EventBusV1`: every fact about a run is a umca-events v1 event with an offset.
 * The log keeps them in order; the bus persists first and only then tells subscribers, and each
 * subscriber reads at its own pace from its own offset, so a slow one falls behind and catches up
 * by replay without holding up a publisher or another subscriber. Embedded: a log in the store
 * and a bus in the process; scaled out: Apache RocketMQ behind the same interfaces.
 */
import type { StoredEvent, UmcaEvent, UmcaEventData, UmcaEventType } from '../umca-event.js';

export interface EventQuery {
  /** Events after this offset (exclusive). 0 reads from the beginning. */
  readonly after: number;
  readonly limit: number;
  /** Only events about this run. */
  readonly subject?: string;
}

export interface EventLogV1 {
  readonly specificationVersion: 'v1';
  /** Appends an event and returns it with its offset. Offsets only grow. */
  append(event: UmcaEvent): Promise<StoredEvent>;
  /** Events after an offset, oldest first. */
  read(query: EventQuery): Promise<StoredEvent[]>;
  /** The newest offset, 0 when the log is empty. */
  lastOffset(): Promise<number>;
}

export interface SubscribeOptions {
  /** Deliver events after this offset (exclusive). 0 replays from the beginning. */
  readonly after: number;
  /** Only events about this run. */
  readonly subject?: string;
  /** Ends the subscription. */
  readonly signal?: AbortSignal;
}

export interface EventBusV1 {
  readonly specificationVersion: 'v1';
  /**
   * Persists an event and returns it with its offset. `principal`: the `sub` of who the event is
   * about; `traceparent`: the W3C trace context of its run; both carried on the envelope.
   */
  publish<Type extends UmcaEventType>(
    type: Type,
    subject: string,
    data: UmcaEventData<Type>,
    options?: { readonly principal?: string; readonly traceparent?: string },
  ): Promise<StoredEvent>;
  /** Events after an offset, oldest first. */
  read(query: EventQuery): Promise<StoredEvent[]>;
  /** Every event after `after`, then each new one as it is published, until `signal` aborts. */
  subscribe(options: SubscribeOptions): AsyncIterable<StoredEvent>;
  /** The newest offset (0 for an empty log). */
  lastOffset(): Promise<number>;
}
