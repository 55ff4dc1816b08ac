/**
 * @module native-addon
 * Typed access to the sandbox addon (native/umca_sandbox.c), built by `npm run build`.
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
  redirectToDevNull(fds: number[]): void;
  closeFd(fd: number): void;
  setLimits(limits: { cpuSeconds?: number; dataBytes?: number; openFiles?: number; fileSizeBytes?: number }): void;
  dataBytes(): number;
  installSeccomp(): void;
  exit(code: number): never;
  killProcess(pid: number, signal: number): boolean;
}

/** Where the built addon lives, relative to this compiled file (dist/internal). */
export const ADDON_PATH = fileURLToPath(new URL('../../build/umca_sandbox.node', import.meta.url));

let loaded: SandboxAddon | undefined;

/** Loads the addon once; throws with the command that builds it when it is missing. */
export function loadSandboxAddon(): SandboxAddon {
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    throw new Error(`The sandbox addon is not built (${ADDON_PATH} is missing). Run \`npm run build\` in the repository root.`);
  }
  loaded = createRequire(import.meta.url)(ADDON_PATH) as SandboxAddon;
  return loaded;
}
