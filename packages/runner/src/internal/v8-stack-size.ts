/**
 * @module v8-stack-size
 * How much of the main thread's stack V8 may use in a sandbox process. WebAssembly frames live on
 * V8's stack, not on the interpreter's own (linear-memory) stack that CPython watches, so V8's
 * default of 984 KiB overflows first: after ~680 levels of Python recursion through C code
 * (`functools.lru_cache`), or when freeing a traceback ~6,500 frames long. The real stack is
 * usually 8 MiB (RLIMIT_STACK), seven times as deep.
 */
import { readFileSync } from 'node:fs';

/** V8's own default, in KiB. */
export const DEFAULT_V8_STACK_KIB = 984;
/** The most we ask for: 8 MiB stacks less room for the native frames beneath V8's. */
const MAX_V8_STACK_KIB = 7_168;
/** Left to native (C/C++) frames below and around V8's part of the stack. */
const NATIVE_MARGIN_KIB = 1_024;

/** The soft RLIMIT_STACK in bytes from `/proc/self/limits` text; Infinity for "unlimited". */
export function softStackLimit(limitsText: string): number | undefined {
  const soft = limitsText.match(/^Max stack size\s+(\S+)/m)?.[1];
  if (soft === undefined) return undefined;
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/**
 * The `--stack-size` flag for a sandbox's Node, or none when the stack is too small to be worth
 * more than V8's default. Sandboxes inherit this process's RLIMIT_STACK (bubblewrap keeps it).
 */
export function v8StackSizeFlags(limitsText = readOwnLimits()): string[] {
  const bytes = softStackLimit(limitsText);
  if (bytes === undefined || Number.isNaN(bytes)) return [];
  const kib = Math.min(MAX_V8_STACK_KIB, Math.floor(bytes / 1024) - NATIVE_MARGIN_KIB);
  return kib > DEFAULT_V8_STACK_KIB ? [`--stack-size=${kib}`] : [];
}

/** The `--stack-size` a Node process runs with (its own default when none was given), in KiB. */
export function v8StackKib(execArgv: readonly string[] = process.execArgv): number {
  const flag = execArgv.findLast((argument) => argument.startsWith('--stack-size='));
  const kib = Number(flag?.slice('--stack-size='.length));
  return Number.isInteger(kib) && kib > 0 ? kib : DEFAULT_V8_STACK_KIB;
}

function readOwnLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}
