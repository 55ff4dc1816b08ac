/**
 * @module sandbox-pool
 * Keeps children forked and ready ahead of demand, so a run pays no interpreter start and no fork.
 * Restarts the zygote if it dies, with a growing pause between attempts.
 */
import type { Logger } from '@umca/contracts';
import { SandboxChild } from './sandbox-child.js';
import type { SandboxCommand } from './sandbox-command.js';
import { ZygoteProcess } from './zygote-process.js';

/** Children that may be tearing down at once before the next one must do it at normal priority. */
export const MAX_IDLE_TEARDOWNS = 4;

/**
 * How many children to start forking now, with `idle` ready and `forking` on their way, to keep
 * `warm` ready. While a ready one is left, one at a time: a fork and the new child's start
 * (prefaulting the pages a run writes) each keep a core busy for 1-3 ms in the kernel, and two at
 * once had the run being handed over waiting for a core (trivial runs back to back: latency
 * 0.87-0.96× without the second). With none left, as many as are missing, at once.
 */
export function forksToStart(idle: number, forking: number, warm: number): number {
  const missing = warm - idle - forking;
  if (missing <= 0) return 0;
  return idle === 0 ? missing : Math.max(0, Math.min(missing, 1 - forking));
}

export interface SandboxPoolOptions {
  command: SandboxCommand;
  /** Children kept forked and ready. */
  warmChildren: number;
  logger: Logger;
}

export class SandboxPool {
  readonly #options: SandboxPoolOptions;
  #zygote: Promise<ZygoteProcess> | undefined;
  readonly #idle: SandboxChild[] = [];
  #forking = 0;
  #closed = false;
  #restarts = 0;
  readonly #children = new Map<number, SandboxChild>();
  #startupMs: number | undefined;

  constructor(options: SandboxPoolOptions) {
    this.#options = options;
  }

  /** Time the zygote took to load and warm its interpreters, once it has started. */
  get startupMs(): number | undefined {
    return this.#startupMs;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /**
   * Whether the next run's child may tear itself down under SCHED_IDLE (protocol.ts, `exitIdle`):
   * only while fewer than MAX_IDLE_TEARDOWNS children are still tearing down. On a busy host an
   * idle teardown waits; without the bound, children that had ended piled up holding their
   * memory and their sandbox uids (17-50 with two busy loops beside).
   */
  get mayExitIdle(): boolean {
    let tearingDown = 0;
    for (const child of this.#children.values()) if (child.tearingDown && ++tearingDown >= MAX_IDLE_TEARDOWNS) return false;
    return true;
  }

  /** Starts the zygote and the first ready children. */
  async start(): Promise<void> {
    await this.#currentZygote();
    this.#refill();
  }

  /** A ready child for one run. */
  async acquire(): Promise<SandboxChild> {
    for (;;) {
      const child = this.#idle.shift();
      this.#refill();
      if (child) {
        if (child.exitStatus === undefined) return child;
        continue;
      }
      const fresh = await this.#forkChild();
      await fresh.ready;
      return fresh;
    }
  }

  close(): void {
    this.#closed = true;
    this.#idle.length = 0;
    void this.#zygote?.then(
      (zygote) => zygote.close(),
      () => {},
    );
  }

  #currentZygote(): Promise<ZygoteProcess> {
    if (this.#closed) return Promise.reject(new Error('the runner is closed'));
    this.#zygote ??= this.#startZygote();
    return this.#zygote;
  }

  async #startZygote(): Promise<ZygoteProcess> {
    if (this.#restarts > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** this.#restarts)));
    let zygote: ZygoteProcess;
    try {
      zygote = await ZygoteProcess.start(this.#options.command, this.#options.logger);
    } catch (error) {
      this.#zygote = undefined;
      this.#restarts++;
      throw error;
    }
    this.#startupMs = await zygote.startupMs;
    zygote.on('exited', (pid, status) => {
      this.#children.get(pid)?.noteExit(status);
      this.#children.delete(pid);
    });
    zygote.once('closed', (reason) => {
      if (this.#closed) return;
      this.#options.logger.warn(`${reason}; restarting the sandbox`);
      this.#idle.length = 0;
      this.#children.clear();
      this.#zygote = undefined;
      this.#restarts++;
      this.#refill();
    });
    return zygote;
  }

  async #forkChild(): Promise<SandboxChild> {
    const zygote = await this.#currentZygote();
    const { pid, socket } = await zygote.fork();
    const child = new SandboxChild(zygote, pid, socket);
    this.#children.set(pid, child);
    return child;
  }

  #refill(): void {
    if (this.#closed) return;
    for (let count = forksToStart(this.#idle.length, this.#forking, this.#options.warmChildren); count > 0; count--) {
      this.#forking++;
      this.#forkChild()
        .then(async (child) => {
          await child.ready;
          if (this.#closed) child.kill('shutdown', 'the runner closed');
          else this.#idle.push(child);
          return true;
        })
        .catch((error: Error) => {
          if (!this.#closed) this.#options.logger.debug?.(`forking a sandbox child failed: ${error.message}`);
          return false;
        })
        .then((made) => {
          this.#forking--;
          // The next one, if the pool is still short; after a failure, only at the next run.
          if (made) this.#refill();
        });
    }
  }
}
