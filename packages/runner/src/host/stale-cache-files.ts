/**
 * @module stale-cache-files
 * Keeps the cache folder from growing with every upgrade. The Pyodide snapshot (~30 MiB) and the
 * compiled-code caches (~2.6 MiB) carry a key in their names, so each new version writes new
 * files beside the old ones. Each start marks the files it uses as used now (their modification
 * time) and removes the runner's files of other keys that no start has used for `keepMs` (seven
 * days), and half-written files a crashed start left an hour ago or more. So another version that
 * shares the folder and starts now and then keeps its files; one that comes back after longer
 * builds them again (seconds). Only these file names are touched: the folder holds other things
 * (the Wasmtime lane's parts, which its preparation prunes itself).
 */
import { readdirSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';

const DAY_MS = 86_400_000;
/** How long a file no start has used is kept. */
export const KEEP_UNUSED_MS = 7 * DAY_MS;
/** How old a half-written file must be before it counts as left behind (a build takes seconds). */
export const LEFTOVER_AFTER_MS = 3_600_000;

const OWN_NAME = '(?:pyodide-[0-9a-f]{16}\\.snapshot|wasm-code-(?:pyodide|quickjs)-[0-9a-f]{16}\\.cache)';
const OWN = new RegExp(`^${OWN_NAME}$`);
/** What pyodide-snapshot.ts and wasm-code-cache-file.ts write before renaming: `<name>.<pid>.tmp|partial`. */
const LEFTOVER = new RegExp(`^${OWN_NAME}\\.\\d+\\.(?:tmp|partial)$`);

export interface PrunedCacheFiles {
  /** The names removed. */
  readonly removed: readonly string[];
  readonly bytes: number;
}

export interface PruneOptions {
  readonly now?: number;
  readonly keepMs?: number;
}

/** Marks `inUse` (paths in `cacheDir`; missing ones are skipped) as used now and removes what is stale. */
export function pruneStaleCacheFiles(cacheDir: string, inUse: readonly string[], options: PruneOptions = {}): PrunedCacheFiles {
  const now = options.now ?? Date.now();
  const keepMs = options.keepMs ?? KEEP_UNUSED_MS;
  const used = new Set(inUse.map((path) => basename(path)));
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return { removed: [], bytes: 0 };
  }
  const removed: string[] = [];
  let bytes = 0;
  for (const name of names) {
    const own = OWN.test(name);
    if (!own && !LEFTOVER.test(name)) continue;
    const path = join(cacheDir, name);
    try {
      if (own && used.has(name)) {
        utimesSync(path, new Date(now), new Date(now));
        continue;
      }
      const stats = statSync(path);
      if (!stats.isFile() || now - stats.mtimeMs < (own ? keepMs : LEFTOVER_AFTER_MS)) continue;
      unlinkSync(path);
      removed.push(name);
      bytes += stats.size;
    } catch {
      // Not ours to touch (another user's file, a read-only folder) or gone already: left as it is.
    }
  }
  return { removed, bytes };
}
