/**
 * @module run-end-watcher
 * Waiting for runs that end elsewhere (on a worker): one subscription to the bus for the whole
 * service, from the offset it started at, that settles each awaited run at its `run.ended`,
 * however many runs are awaited.
 */
import type { EventBusV1 } from '@umca/contracts';

export interface RunEndWatcher {
  /** Resolves at the run's `run.ended`; call it before the run can end (before its work is sent). */
  ended(runId: string): Promise<void>;
  close(): void;
}

export async function watchRunEnds(bus: EventBusV1, onError: (error: unknown) => void): Promise<RunEndWatcher> {
  const waiting = new Map<string, () => void>();
  const controller = new AbortController();
  let after = await bus.lastOffset();
  void (async () => {
    // The bus may fail (the store is down): start again from where it was.
    while (!controller.signal.aborted) {
      try {
        for await (const stored of bus.subscribe({ after, signal: controller.signal })) {
          after = stored.offset;
          if (stored.event.type !== 'dev.umca.run.ended.v1') continue;
          const resolve = waiting.get(stored.event.subject);
          waiting.delete(stored.event.subject);
          resolve?.();
        }
      } catch (error) {
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  })();
  return {
    ended: (runId) => new Promise<void>((resolve) => waiting.set(runId, resolve)),
    close: () => controller.abort(),
  };
}
