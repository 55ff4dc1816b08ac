/**
 * @module code-cache-file
 * The file a compiled-WebAssembly cache lives in: one line `umca-wasm-code-cache v1 <SHA-256 of
 * the rest, hex>`, then V8's serialized module. The digest catches a file cut short or damaged
 * (a full disk, a crash mid-write, a copy gone wrong); such a file is refused, never handed to
 * V8, and the zygote makes a new one. It is not a signature: whoever can write the cache folder
 * can write a digest too, as they could replace the runner's own files.
 */
import { createHash } from 'node:crypto';

const HEADER = 'umca-wasm-code-cache v1 ';
const DIGEST_HEX = 64;
const HEADER_BYTES = HEADER.length + DIGEST_HEX + 1;

const digestOf = (payload: Uint8Array) => createHash('sha256').update(payload).digest('hex');

/** The file's contents for V8's bytes. */
export function encodeCodeCache(payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${HEADER}${digestOf(payload)}\n`, 'latin1'), payload]);
}

/** V8's bytes from a cache file, or why the file is refused. */
export function readCodeCache(file: Uint8Array): { payload: Uint8Array } | { refused: string } {
  const header = Buffer.from(file.subarray(0, HEADER_BYTES)).toString('latin1');
  if (!header.startsWith(HEADER) || header[HEADER_BYTES - 1] !== '\n') return { refused: 'not a UMCA code cache (unknown header)' };
  const payload = file.subarray(HEADER_BYTES);
  if (payload.byteLength === 0) return { refused: 'the cache is empty' };
  if (digestOf(payload) !== header.slice(HEADER.length, HEADER.length + DIGEST_HEX))
    return { refused: 'its SHA-256 does not match (damaged or cut short)' };
  return { payload };
}
