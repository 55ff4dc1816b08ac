/**
 * @module create-embedded-bus
 * The bus in one process, over the store's event log.
 */
import { randomUUID } from 'node:crypto';
import { createUmcaEvent, type StoredEvent } from '@umca/contracts';
import type { EventLog } from '@umca/store';
import type { EventBus, SubscribeOptions } from './event-bus.js';

const BATCH = 256;

export interface EmbeddedBusOptions {
  log: EventLog;
  /** Clock for event times. Default: the system clock. */
  now?: () => Date;
  /** Event ids. Default: random UUIDs. */
  newId?: () => string;
  /** `source` of the events this bus publishes. */
  source?: string;
}

/** Creates the embedded bus. */
export function createEmbeddedBus(options: EmbeddedBusOptions): EventBus {
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
    async publish(type, subject, data) {
      const stored = await log.append(
        createUmcaEvent({ type, subject, data, id: newId(), time: now(), ...(options.source ? { source: options.source } : {}) }),
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
