/**
 * @module limits
 * Hard limits for one execution. Every field has a default and a ceiling; the ceiling is what the
 * runner will accept at most, so a caller cannot ask a shared runner for unbounded resources.
 */
import { z } from 'zod';

/** Defaults applied to any limit the request leaves out. */
export const DEFAULT_LIMITS = {
  timeoutMs: 10_000,
  memoryMb: 256,
  outputBytes: 1_048_576,
} as const;

/** The smallest value each limit may take. */
export const MIN_LIMITS = {
  timeoutMs: 1,
  memoryMb: 16,
  outputBytes: 1,
} as const;

/** The largest value each limit may take. */
export const MAX_LIMITS = {
  timeoutMs: 300_000,
  memoryMb: 4_096,
  outputBytes: 16_777_216,
} as const;

export const executionLimitsSchema = z
  .object({
    timeoutMs: z
      .int()
      .min(MIN_LIMITS.timeoutMs)
      .max(MAX_LIMITS.timeoutMs)
      .describe('Wall-clock limit for the run, in milliseconds. The sandbox is killed when it is reached.'),
    memoryMb: z
      .int()
      .min(MIN_LIMITS.memoryMb)
      .max(MAX_LIMITS.memoryMb)
      .describe('Memory the run may allocate beyond the interpreter it starts from, in MiB.'),
    outputBytes: z
      .int()
      .min(MIN_LIMITS.outputBytes)
      .max(MAX_LIMITS.outputBytes)
      .describe('Cap on each of stdout and stderr, in bytes. Going past it ends the run.'),
  })
  .strict();

export type ExecutionLimits = z.infer<typeof executionLimitsSchema>;

/** Fills in defaults for the limits a request left out. */
export function resolveLimits(limits: Partial<ExecutionLimits> | undefined): ExecutionLimits {
  return {
    timeoutMs: limits?.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
    memoryMb: limits?.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    outputBytes: limits?.outputBytes ?? DEFAULT_LIMITS.outputBytes,
  };
}
