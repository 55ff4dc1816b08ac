/**
 * @module cache-key
 * The 16-hex name every cache file of the runner carries (the Pyodide snapshot, V8's compiled
 * code, the Wasmtime lane's parts): the first 64 bits of a SHA-256 over everything that shapes the
 * file, so a change to any of it makes a new name instead of loading a stale file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/** The key of `parts`, in order: text as UTF-8, bytes as they are. */
export function cacheKey(parts: ReadonlyArray<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 16);
}

/** A file's bytes for a key, or a marker that it is missing (so its later arrival changes the key). */
export function fileForKey(path: string): string | Uint8Array {
  return existsSync(path) ? readFileSync(path) : `missing ${path}`;
}
