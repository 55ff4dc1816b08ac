/**
 * @module unstarted-result
 * The result of a run that never started: refused, busy, cancelled while waiting, or stopped
 * before the runner existed (a command-line mistake). Nothing ran, so nothing was produced.
 */
import type { ExecutionResult, ExecutionStatus, Isolation, Lane } from './execution-result.js';

export function unstartedResult(options: {
  status: Extract<ExecutionStatus, 'rejected' | 'busy' | 'cancelled'>;
  reason: string;
  isolation: Isolation;
  durationMs?: number;
  /** The lane that refused it (default wasm). */
  lane?: Lane;
}): ExecutionResult {
  const durationMs = options.durationMs ?? 0;
  return {
    status: options.status,
    exitCode: null,
    reason: options.reason,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    files: [],
    egress: [],
    lane: options.lane ?? 'wasm',
    isolation: options.isolation,
    durationMs,
    timings: { queuedMs: durationMs, executeMs: 0 },
  };
}
