/**
 * @module run-id-pool
 * Hands each live run an id of its own from a fixed range (the ids the zygote's user namespace
 * maps to unprivileged host ids), so no two live runs, and no run and the zygote, share a host uid.
 * An id returns to the pool when its run's process has ended.
 */
export interface RunIdPool {
  /** An id no live run holds, or undefined when all are taken. */
  take(): number | undefined;
  /** Records which process holds `id`, so `release` can find it by pid. */
  assign(id: number, pid: number): void;
  /** Frees the id held by the process that ended. */
  release(pid: number): void;
  /** Frees an id that was taken but never assigned (the fork failed). */
  giveBack(id: number): void;
}

/** A pool of `count` ids starting at `first`, taken round-robin so a freed id rests before reuse. */
export function createRunIdPool(first: number, count: number): RunIdPool {
  const taken = new Set<number>();
  const byPid = new Map<number, number>();
  let next = 0;
  return {
    take() {
      for (let tried = 0; tried < count; tried++) {
        const id = first + ((next + tried) % count);
        if (taken.has(id)) continue;
        taken.add(id);
        next = (next + tried + 1) % count;
        return id;
      }
      return undefined;
    },
    assign(id, pid) {
      byPid.set(pid, id);
    },
    release(pid) {
      const id = byPid.get(pid);
      if (id === undefined) return;
      byPid.delete(pid);
      taken.delete(id);
    },
    giveBack(id) {
      taken.delete(id);
    },
  };
}
