/**
 * @module bus-parts
 * What every bus here does the same way: making the envelope of an event it publishes, and
 * subscribers waiting for the next change (woken all at once, or by their own abort).
 */
import { randomUUID } from 'node:crypto';
import { createUmcaEvent, type EventBusV1, type UmcaEvent } from '@umca/contracts';

export interface EventFactoryOptions {
  /** Clock for event times. Default: the system clock. */
  now?: () => Date;
  /** Event ids. Default: random UUIDs. */
  newId?: () => string;
  /** `source` of the events. */
  source?: string;
}

/** The envelope `publish` stores, from its arguments. */
export function eventFactory(options: EventFactoryOptions) {
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  return (...[type, subject, data, publishOptions = {}]: Parameters<EventBusV1['publish']>): UmcaEvent =>
    createUmcaEvent({
      type,
      subject,
      data,
      id: newId(),
      time: now(),
      ...(options.source ? { source: options.source } : {}),
      ...(publishOptions.principal === undefined ? {} : { principal: publishOptions.principal }),
      ...(publishOptions.traceparent === undefined ? {} : { traceparent: publishOptions.traceparent }),
    });
}

/** Subscribers waiting for the next change. */
export function createWaiters() {
  let waiters: Array<() => void> = [];
  return {
    /** Settles at the next `wakeAll` (or when `signal` aborts). */
    next(signal?: AbortSignal): Promise<void> {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const wake = () => {
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        waiters.push(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    },
    wakeAll(): void {
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
  };
}
