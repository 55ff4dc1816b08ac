/**
 * @module wasm-code-cache-file
 * Where the host keeps each zygote's compiled-WebAssembly cache (sandbox/wasm-code-cache.ts), and
 * how it stores one a zygote sent. The file name carries a hash of everything V8's code depends
 * on (Node and so V8, the zygote's flags, the CPU, the interpreter's package, the warm-up that
 * chose what to optimise), so an upgrade makes a new file instead of loading a stale one; V8
 * checks its own header too and compiles afresh when it does not match. Deleting them is safe.
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCodeCache } from '../sandbox/code-cache-file.js';
import { cacheKey, fileForKey } from './cache-key.js';

/** The first processor's model and feature flags: V8's code uses what the CPU offers. */
function cpuIdentity(): string {
  try {
    const first = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0] ?? '';
    return first
      .split('\n')
      .filter((line) => /^(vendor_id|model name|flags)\s*:/.test(line))
      .join('\n');
  } catch {
    return 'unknown cpu';
  }
}

export interface CodeCacheInputs {
  /** Which zygote: its interpreter. */
  kind: 'pyodide' | 'quickjs';
  /** Files whose contents shape the code: the interpreter's package.json, the warm-up module. */
  files: string[];
  /** The zygote's Node flags: V8 refuses code made under other flags. */
  nodeFlags: readonly string[];
}

/** The cache file for one kind of zygote. */
export function codeCacheFile(cacheDir: string, inputs: CodeCacheInputs): string {
  const key = cacheKey([
    `${process.version}\n${process.arch}\n${inputs.nodeFlags.join(' ')}\n${cpuIdentity()}\n`,
    ...inputs.files.map(fileForKey),
  ]);
  return join(cacheDir, `wasm-code-${inputs.kind}-${key}.cache`);
}

/**
 * Stores V8's bytes a zygote sent (base64) in `path`, whole or not at all: written beside it,
 * then renamed over it, readable by all (as root the sandbox reads it as another uid).
 */
export function keepCodeCache(path: string, base64: string): number {
  const payload = Buffer.from(base64, 'base64');
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, encodeCodeCache(payload));
  chmodSync(partial, 0o644);
  renameSync(partial, path);
  return payload.byteLength;
}
