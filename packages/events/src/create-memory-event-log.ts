/**
 * @module create-memory-event-log
 * An event log in memory (`EventLogV1`): the same order and offsets as the store's, gone when the
 * process ends. For tests and for embedding UMCA where nothing needs to outlive the process.
 */
import type { EventLogV1, StoredEvent } from '@umca/contracts';

export function createMemoryEventLog(): EventLogV1 {
  const events: StoredEvent[] = [];
  return {
    specificationVersion: 'v1',
    async append(event) {
      const stored = { offset: events.length + 1, event };
      events.push(stored);
      return stored;
    },
    async read({ after, limit, subject }) {
      const found: StoredEvent[] = [];
      for (let index = Math.max(0, after); index < events.length && found.length < limit; index++) {
        const stored = events[index] as StoredEvent;
        if (!subject || stored.event.subject === subject) found.push(stored);
      }
      return found;
    },
    async lastOffset() {
      return events.length;
    },
  };
}
