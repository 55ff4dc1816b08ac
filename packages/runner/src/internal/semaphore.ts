/**
 * @module semaphore
 * Bounded concurrency with a bounded, fair wait queue. A waiter that cannot get in within its
 * timeout, or whose signal aborts, leaves the queue with a reason instead of a slot.
 */

export type AcquireResult = { acquired: true; release: () => void } | { acquired: false; reason: 'busy' | 'timeout' | 'aborted' };

interface Waiter {
  resolve: (result: AcquireResult) => void;
}

export class Semaphore {
  readonly #limit: number;
  readonly #queueLimit: number;
  readonly #waiters: Waiter[] = [];
  #active = 0;

  constructor(limit: number, queueLimit: number) {
    this.#limit = limit;
    this.#queueLimit = queueLimit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiters.length;
  }

  acquire(options: { timeoutMs: number; signal?: AbortSignal }): Promise<AcquireResult> {
    if (options.signal?.aborted) return Promise.resolve({ acquired: false, reason: 'aborted' });
    if (this.#active < this.#limit) {
      this.#active++;
      return Promise.resolve({ acquired: true, release: this.#releaser() });
    }
    if (this.#waiters.length >= this.#queueLimit) return Promise.resolve({ acquired: false, reason: 'busy' });
    return new Promise<AcquireResult>((resolve) => {
      const waiter: Waiter = {
        resolve: (result) => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
      };
      const leave = (reason: 'timeout' | 'aborted') => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        waiter.resolve({ acquired: false, reason });
      };
      const onAbort = () => leave('aborted');
      const timer = setTimeout(() => leave('timeout'), options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.resolve({ acquired: true, release: this.#releaser() });
      else this.#active--;
    };
  }
}
