/**
 * @module wasmtime-parts
 * Finds the Wasmtime lane's parts, prepared in UMCA's cache by
 * `node packages/runner/scripts/prepare-wasmtime.mjs` (`npm run prepare:wasmtime`): the host
 * addon, the pre-initialized image, the standard library and matplotlib's data. Says plainly why
 * the lane cannot start when they are missing or were prepared for other guest modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WasmtimeParts } from '../sandbox/runtimes/wasmtime-runtime.js';
import { cacheKey } from './cache-key.js';
import { RUNNER_ROOT } from './sandbox-command.js';

export const PREPARE_COMMAND = 'npm run prepare:wasmtime';

/** The parts, or why the lane cannot start (and whether a preparation is under way, so it may soon). */
export type FoundParts = { parts: WasmtimeParts } | { why: string; preparing?: boolean };

/** Whether the process that holds the preparation's lock still runs. */
function preparerAlive(lock: string): boolean {
  const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The hash the prepare script records of the guest modules baked into the image. */
function guestHash(): string {
  const python = join(RUNNER_ROOT, 'dist', 'sandbox', 'python');
  return cacheKey([readFileSync(join(python, 'umca_guest.py')), readFileSync(join(python, 'umca_wasi.py'))]);
}

/** The folder the prepare script fills: `UMCA_WASMTIME_DIR`, else `wasmtime` in the cache. */
export function wasmtimeDir(cacheDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.UMCA_WASMTIME_DIR ?? join(cacheDir, 'wasmtime');
}

export function findWasmtimeParts(cacheDir: string, env: NodeJS.ProcessEnv = process.env): FoundParts {
  const home = wasmtimeDir(cacheDir, env);
  const manifest = join(home, 'lane.json');
  const lock = join(home, 'prepare.lock');
  if (existsSync(lock) && preparerAlive(lock)) {
    return {
      why: `it is being prepared (about 13 minutes the first time, once); Python that needs it runs on Pyodide until then`,
      preparing: true,
    };
  }
  const failed = join(home, 'prepare.failed');
  if (existsSync(failed)) {
    return { why: `its preparation failed: ${readFileSync(failed, 'utf8').trim()}; run \`${PREPARE_COMMAND}\` to try again` };
  }
  if (!existsSync(manifest)) return { why: `it is not prepared (run \`${PREPARE_COMMAND}\`, about 13 minutes the first time)` };
  let recorded: Partial<Record<keyof WasmtimeParts | 'guestHash', unknown>>;
  try {
    recorded = JSON.parse(readFileSync(manifest, 'utf8')) as typeof recorded;
  } catch (error) {
    return { why: `${manifest} cannot be read (${(error as Error).message}); run \`${PREPARE_COMMAND}\`` };
  }
  const at = (name: unknown) => (typeof name === 'string' ? resolve(home, name) : undefined);
  const parts = {
    addon: at(recorded.addon),
    image: at(recorded.image),
    stdlibDir: at(recorded.stdlibDir),
    mplDataDir: at(recorded.mplDataDir),
  };
  for (const path of [parts.addon, parts.image, parts.stdlibDir && join(parts.stdlibDir, 'python315.zip')]) {
    if (!path || !existsSync(path)) return { why: `${path ?? `a part named in ${manifest}`} is missing; run \`${PREPARE_COMMAND}\`` };
  }
  if (recorded.guestHash !== guestHash()) {
    return { why: `its image was prepared for other guest modules than this UMCA's; run \`${PREPARE_COMMAND}\`` };
  }
  return {
    parts: {
      addon: parts.addon as string,
      image: parts.image as string,
      stdlibDir: parts.stdlibDir as string,
      ...(parts.mplDataDir && existsSync(parts.mplDataDir) ? { mplDataDir: parts.mplDataDir } : {}),
    },
  };
}
