/**
 * @module create-embedded-bus
 * The bus in one process (`EventBusV1`), over an event log: the store's, or one in memory.
 * Publishing appends to the log first and only then wakes subscribers; each subscriber reads the
 * log from its own offset, so a slow one never holds up a publisher or another subscriber.
 */
import { randomUUID } from 'node:crypto';
import { createUmcaEvent, type EventBusV1, type EventLogV1, type StoredEvent, type SubscribeOptions } from '@umca/contracts';

const BATCH = 256;

export interface EmbeddedBusOptions {
  log: EventLogV1;
  /** Clock for event times. Default: the system clock. */
  now?: () => Date;
  /** Event ids. Default: random UUIDs. */
  newId?: () => string;
  /** `source` of the events this bus publishes. */
  source?: string;
}

/** Creates the embedded bus. */
export function createEmbeddedBus(options: EmbeddedBusOptions): EventBusV1 {
  const { log } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  let waiters: Array<() => void> = [];
  let published = 0;

  /** A promise that settles at the next publish (or when `signal` aborts). */
  const nextPublish = (signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const wake = () => {
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      waiters.push(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });

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
      if (batch.length < BATCH && published === seen) await nextPublish(signal);
    }
  }

  return {
    specificationVersion: 'v1',
    async publish(type, subject, data, publishOptions = {}) {
      const stored = await log.append(
        createUmcaEvent({
          type,
          subject,
          data,
          id: newId(),
          time: now(),
          ...(options.source ? { source: options.source } : {}),
          ...(publishOptions.principal === undefined ? {} : { principal: publishOptions.principal }),
        }),
      );
      published++;
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
      return stored;
    },
    read: (query) => log.read(query),
    subscribe,
    lastOffset: () => log.lastOffset(),
  };
}
