/**
 * @module open-shared-bus
 * The bus for many replicas (`EventBusV1`) over one shared event log (PostgreSQL's): the log hands
 * out the offsets, so an SSE `id:` means the same on every replica, and a signal (RocketMQ) tells
 * the other replicas that there is something new. Each replica reads what is new once, into a
 * window of recent events in memory, and its subscribers are served from that window; a subscriber
 * that is further behind replays from the log. If no signal comes (the broker is down), the
 * replica looks at the log on its own every `pollIntervalMs` while anyone is subscribed, so a
 * subscriber is late then, never stuck, and never misses an event.
 */
import type { EventBusV1, EventLogV1, StoredEvent, SubscribeOptions } from '@umca/contracts';
import { createWaiters, type EventFactoryOptions, eventFactory } from './bus-parts.js';

/** How replicas tell each other that the log has grown. */
export interface BusSignal {
  /** Tells the other replicas about an event just appended here. A failure is reported, never thrown at the publisher. */
  announce(stored: StoredEvent): Promise<void>;
  /** Calls `listener` for each announcement of another replica (and may for this replica's own). */
  listen(listener: (offset: number) => void): void;
  /** Whether the last exchange with the broker worked, and if not, what failed (readiness). */
  state(): { readonly up: boolean; readonly detail?: string };
  close(): Promise<void>;
}

export interface SharedBusOptions extends EventFactoryOptions {
  log: EventLogV1;
  signal: BusSignal;
  /** How often a replica with subscribers reads the log when no signal came (default 1000 ms). */
  pollIntervalMs?: number;
  /** Recent events kept in memory for subscribers (default 4096). */
  windowSize?: number;
  /** Told when an announcement failed (the event is stored; other replicas see it at their next poll). */
  onAnnounceFailed?: (error: unknown, stored: StoredEvent) => void;
}

export interface SharedBus extends EventBusV1 {
  /** The signal's state (readiness). */
  signalState(): { readonly up: boolean; readonly detail?: string };
  /** Stops polling and closes the signal. */
  close(): Promise<void>;
}

/** No broker: replicas find new events by polling the log (a single server on PostgreSQL, or a broker's stand-in while it is down). */
export const POLLING_ONLY: BusSignal = {
  announce: async () => {},
  listen: () => {},
  state: () => ({ up: true }),
  close: async () => {},
};

const BATCH = 256;

export async function openSharedBus(options: SharedBusOptions): Promise<SharedBus> {
  const { log, signal } = options;
  const newEvent = eventFactory(options);
  const windowSize = options.windowSize ?? 4096;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;

  /** Recent events with consecutive offsets, `windowEnd` the newest read (0: none yet). */
  let window: StoredEvent[] = [];
  let windowEnd = await log.lastOffset();
  const windowStart = () => windowEnd - window.length + 1;
  const waiters = createWaiters();
  const wakeAll = waiters.wakeAll;
  let subscribers = 0;
  let closed = false;

  /**
   * Adds the event that comes next, and only that one: a read that started before this replica's
   * own publish came back may hold events already taken, and the window's offsets must stay
   * consecutive (subscribers index into it by offset). True when taken.
   */
  const take = (stored: StoredEvent): boolean => {
    if (stored.offset !== windowEnd + 1) return false;
    window.push(stored);
    windowEnd = stored.offset;
    if (window.length > windowSize * 2) window = window.slice(-windowSize);
    return true;
  };

  /** Reads what is new in the log into the window: one reader per replica, however many subscribers. */
  let refreshing: Promise<void> | undefined;
  let again = false;
  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        for (;;) {
          const batch = await log.read({ after: windowEnd, limit: BATCH });
          let taken = 0;
          for (const stored of batch) if (take(stored)) taken++;
          if (taken > 0) wakeAll();
          if (batch.length < BATCH) break;
        }
      } while (again);
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
  const refreshQuietly = () => void refresh().catch(() => {}); // the log is down: the next signal or poll tries again

  signal.listen((offset) => {
    if (offset > windowEnd) refreshQuietly();
  });
  const poll = setInterval(() => {
    if (subscribers > 0) refreshQuietly();
  }, pollIntervalMs);
  poll.unref();

  /** Each run's announcements in flight, chained so that a run's events reach the topic in order. */
  const announcing = new Map<string, Promise<void>>();

  async function* subscribe({ after, subject, signal: abort }: SubscribeOptions): AsyncGenerator<StoredEvent> {
    let cursor = after;
    subscribers++;
    try {
      while (!abort?.aborted && !closed) {
        if (cursor >= windowStart() - 1 && cursor < windowEnd) {
          // Served from memory: everything after the cursor up to the window's end.
          const from = cursor - windowStart() + 1;
          const end = windowEnd;
          for (const stored of window.slice(from)) {
            if (abort?.aborted) return;
            if (stored.offset > end) break;
            cursor = stored.offset;
            if (!subject || stored.event.subject === subject) yield stored;
          }
          continue;
        }
        if (cursor >= windowEnd) {
          await waiters.next(abort);
          continue;
        }
        // Behind the window: replay from the log. A run's events are read by subject; then the
        // cursor may move to the log's end as it was before the read, since offsets commit in order.
        const end = subject ? await log.lastOffset() : undefined;
        const batch = await log.read({ after: cursor, limit: BATCH, ...(subject ? { subject } : {}) });
        for (const stored of batch) {
          if (abort?.aborted) return;
          cursor = stored.offset;
          yield stored;
        }
        if (end !== undefined && batch.length < BATCH) cursor = Math.max(cursor, end);
        if (end === undefined && batch.length === 0) await waiters.next(abort);
      }
    } finally {
      subscribers--;
    }
  }

  return {
    specificationVersion: 'v1',
    async publish(type, subject, data, publishOptions = {}) {
      const stored = await log.append(newEvent(type, subject, data, publishOptions));
      if (take(stored)) wakeAll();
      else if (stored.offset > windowEnd) refreshQuietly();
      // After the event is stored, in publish order within its run (the topic's message group);
      // runs do not wait for one another, and the publisher does not wait for the broker.
      const previous = announcing.get(subject) ?? Promise.resolve();
      const next = previous.then(() => signal.announce(stored).catch((error: unknown) => options.onAnnounceFailed?.(error, stored)));
      announcing.set(subject, next);
      void next.then(() => {
        if (announcing.get(subject) === next) announcing.delete(subject);
      });
      return stored;
    },
    read: (query) => log.read(query),
    subscribe,
    lastOffset: () => log.lastOffset(),
    signalState: () => signal.state(),
    async close() {
      closed = true;
      clearInterval(poll);
      wakeAll();
      await Promise.all(announcing.values());
      await signal.close();
    },
  };
}
