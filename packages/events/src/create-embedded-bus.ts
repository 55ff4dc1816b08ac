/**
 * @module create-embedded-bus
 * The bus in one process (`EventBusV1`), over an event log: the store's, or one in memory.
 * Publishing appends to the log first and only then wakes subscribers; each subscriber reads the
 * log from its own offset, so a slow one never holds up a publisher or another subscriber.
 */
import type { EventBusV1, EventLogV1, StoredEvent, SubscribeOptions } from '@umca/contracts';
import { createWaiters, type EventFactoryOptions, eventFactory } from './bus-parts.js';

const BATCH = 256;

export interface EmbeddedBusOptions extends EventFactoryOptions {
  log: EventLogV1;
}

/** Creates the embedded bus. */
export function createEmbeddedBus(options: EmbeddedBusOptions): EventBusV1 {
  const { log } = options;
  const newEvent = eventFactory(options);
  const waiters = createWaiters();
  let published = 0;

  async function* subscribe({ after, subject, signal }: SubscribeOptions): AsyncGenerator<StoredEvent> {
    let cursor = after;
    while (!signal?.aborted) {
      // A publish during the read or while the consumer handles a batch changes `published`:
      // then read again at once instead of waiting, so no event is ever missed.
      const seen = published;
      const batch = await log.read({ after: cursor, limit: BATCH, ...(subject ? { subject } : {}) });
      for (const stored of batch) {
        if (signal?.aborted) return;
        cursor = stored.offset;
        yield stored;
      }
      if (batch.length < BATCH && published === seen) await waiters.next(signal);
    }
  }

  return {
    specificationVersion: 'v1',
    async publish(type, subject, data, publishOptions = {}) {
      const stored = await log.append(newEvent(type, subject, data, publishOptions));
      published++;
      waiters.wakeAll();
      return stored;
    },
    read: (query) => log.read(query),
    subscribe,
    lastOffset: () => log.lastOffset(),
  };
}
