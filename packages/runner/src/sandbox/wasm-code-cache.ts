/**
 * @module wasm-code-cache
 * The zygote's side of V8's compiled-WebAssembly cache (native/umca_wasm_cache.cc): an
 * interpreter's module loaded together with the optimised code a previous zygote had tiered up,
 * so a zygote is at full speed without a second of warm-up. The host keeps the cache
 * (host/wasm-code-cache-file.ts); the zygote reads it and, when it had none, makes one.
 */
import { loadNativeAddon } from '../internal/native-addon.js';
import { releaseBuffer } from './zygote-memory.js';

interface WasmCacheAddon {
  compileWithCache(bytes: Uint8Array, cache?: Uint8Array): Promise<WebAssembly.Module>;
  cacheAccepted(): boolean;
  serializeModule(module: WebAssembly.Module): Buffer;
  seal(): void;
}

function loadAddon(): WasmCacheAddon {
  return loadNativeAddon<WasmCacheAddon>('umca_wasm_cache.node', 'the WebAssembly cache addon');
}

export interface CachedLoad<T> {
  loaded: T;
  /** The interpreter's module, compiled (from the cache or not). */
  module: WebAssembly.Module | undefined;
  /** Whether V8 took the cache: its optimised code is in the module from the start. */
  cacheUsed: boolean;
}

/**
 * Runs `load` (an interpreter's loader) with WebAssembly.instantiate compiling its module through
 * V8's cache, and releasing the module's bytes afterwards (V8 keeps its own copy; the loader's
 * stayed referenced for as long as the zygote lived). Only the first module instantiated from
 * bytes is the interpreter's; any other is instantiated as usual.
 */
export async function loadWithCodeCache<T>(cache: Uint8Array | undefined, load: () => Promise<T>): Promise<CachedLoad<T>> {
  const addon = loadAddon();
  const instantiate = WebAssembly.instantiate;
  let module: WebAssembly.Module | undefined;
  let cacheUsed = false;
  const viaCache = async (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : ArrayBuffer.isView(source) ? source : undefined;
    if (module || !bytes) return (instantiate as (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown>)(source, imports);
    module = await addon.compileWithCache(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), cache);
    cacheUsed = cache !== undefined && addon.cacheAccepted();
    releaseBuffer(bytes);
    return { module, instance: await instantiate(module, imports) };
  };
  WebAssembly.instantiate = viaCache as typeof WebAssembly.instantiate;
  try {
    return { loaded: await load(), module, cacheUsed };
  } finally {
    WebAssembly.instantiate = instantiate;
  }
}

/** The module's compiled code as V8 serializes it: the optimised functions, the rest left lazy. */
export function serializeModule(module: WebAssembly.Module): Buffer {
  return loadAddon().serializeModule(module);
}

/**
 * Closes the cache for good in this process and every child it forks: hostile code that reaches
 * the addon can then neither hand V8 machine code of its own nor read the interpreter's.
 */
export function sealCodeCache(): void {
  loadAddon().seal();
}
