/**
 * @module native-addon
 * Loading the runner's native addons (native/*.c, *.cc), built by `npm run build`, and typed
 * access to the sandbox addon (native/umca_sandbox.c).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type ZygoteEvent = { fd?: number; payload?: Buffer; exited?: Array<[number, number]> } | null;

export interface ForkOptions {
  ownNamespaces: boolean;
  runId: number;
}

export interface SandboxAddon {
  socketPair(): [number, number];
  sendFd(socket: number, fd: number, payload: Buffer): void;
  waitEvent(control: number, timeoutMs: number): ZygoteEvent;
  /** Forks; with `ownNamespaces` the child enters a run's own namespaces (as `runId`, or the zygote's id when -1). */
  fork(options?: ForkOptions): number;
  /** Forks a throwaway child that enters a run's namespaces; null when it could, else what failed. */
  checkRunNamespaces(options: ForkOptions): string | null;
  /** Gives each run forked with its own namespaces an empty tmpfs of at most `bytes` at `path`. */
  setRunWorkdir(workdir: { path: string; bytes: number }): void;
  /** True in a child that `fork` made, false in the zygote. */
  isForkedChild(): boolean;
  hardenProcess(): void;
  /** SCHED_BATCH for the calling thread (on), or SCHED_OTHER again: a batch thread does not preempt a running one when it wakes. */
  batchScheduling(on: boolean): void;
  redirectToDevNull(fds: number[]): void;
  closeFd(fd: number): void;
  setLimits(limits: { cpuSeconds?: number; dataBytes?: number; openFiles?: number; fileSizeBytes?: number }): void;
  dataBytes(): number;
  installSeccomp(): void;
  /** Ends this process at once; with `idle`, under SCHED_IDLE, so its teardown yields to any other work. */
  exit(code: number, idle?: boolean): never;
  killProcess(pid: number, signal: number): boolean;
}

/**
 * Loads `build/<file>` (Node keeps it loaded); throws with the command that builds it when it is
 * missing. `what` names the addon in that message ("the sandbox addon").
 */
export function loadNativeAddon<T>(file: string, what: string): T {
  const path = fileURLToPath(new URL(`../../build/${file}`, import.meta.url));
  if (!existsSync(path)) {
    const named = what.charAt(0).toUpperCase() + what.slice(1);
    throw new Error(`${named} is not built (${path} is missing). Run \`npm run build\` in the repository root.`);
  }
  return createRequire(import.meta.url)(path) as T;
}

let loaded: SandboxAddon | undefined;

/** Loads the sandbox addon once. */
export function loadSandboxAddon(): SandboxAddon {
  loaded ??= loadNativeAddon<SandboxAddon>('umca_sandbox.node', 'the sandbox addon');
  return loaded;
}
