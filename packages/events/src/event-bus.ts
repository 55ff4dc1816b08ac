/**
 * @module event-bus
 * The bus every part talks through. Publishing persists first and only then tells subscribers;
 * each subscriber reads the log at its own pace from its own offset, so a slow one falls behind
 * and catches up by replay without ever holding up a publisher or another subscriber. A broker
 * (RocketMQ) implements the same interface.
 */
import type { StoredEvent, UmcaEventData, UmcaEventType } from '@umca/contracts';

export interface SubscribeOptions {
  /** Deliver events after this offset (exclusive). 0 replays from the beginning. */
  after: number;
  /** Only events about this run. */
  subject?: string;
  /** Ends the subscription. */
  signal?: AbortSignal;
}

export interface EventBus {
  /** Persists an event and returns it with its offset. */
  publish<Type extends UmcaEventType>(type: Type, subject: string, data: UmcaEventData<Type>): Promise<StoredEvent>;
  /** Events after an offset, oldest first. */
  read(query: { after: number; limit: number; subject?: string }): Promise<StoredEvent[]>;
  /** Every event after `after`, then each new one as it is published, until `signal` aborts. */
  subscribe(options: SubscribeOptions): AsyncIterable<StoredEvent>;
  /** The newest offset (0 for an empty log). */
  lastOffset(): Promise<number>;
}
