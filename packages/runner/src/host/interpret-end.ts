/**
 * @module interpret-end
 * Turns how a sandbox child ended (a result, a kill, a death) into a run's status and a one-line
 * reason that says what to change.
 */
import { type ExecutionStatus, MAX_LIMITS } from '@umca/contracts';
import type { RunOrder } from '../sandbox/protocol.js';
import { describeExitStatus } from './describe-exit.js';
import type { ChildEnd } from './sandbox-child.js';

/** Maps how a child ended to a status and a one-line reason. */
export function interpretEnd(end: ChildEnd, order: Pick<RunOrder, 'limits'>): { status: ExecutionStatus; reason?: string } {
  const { limits } = order;
  if (end.kind === 'result') {
    const { status } = end.outcome;
    if (status === 'timeout')
      return {
        status,
        reason: `the run passed its time limit of ${limits.timeoutMs} ms; raise limits.timeoutMs (up to ${MAX_LIMITS.timeoutMs})`,
      };
    if (status === 'memory_limit')
      return {
        status,
        reason: `the run ran out of memory at its limit of ${limits.memoryMb} MiB; raise limits.memoryMb (up to ${MAX_LIMITS.memoryMb})`,
      };
    if (status === 'output_limit')
      return {
        status,
        reason: `the output passed its limit of ${limits.outputBytes} bytes; raise limits.outputBytes (up to ${MAX_LIMITS.outputBytes}) or print less`,
      };
    if (status === 'error') {
      const error = end.outcome.error;
      return {
        status,
        reason: error ? `${error.type}: ${error.message.split('\n')[0]}` : `the program exited with code ${end.outcome.exitCode}`,
      };
    }
    return { status };
  }
  if (end.kind === 'killed') {
    switch (end.reason) {
      case 'timeout':
        return {
          status: 'timeout',
          reason: `the run passed its time limit of ${limits.timeoutMs} ms and was killed; raise limits.timeoutMs (up to ${MAX_LIMITS.timeoutMs})`,
        };
      case 'output_limit':
        return {
          status: 'output_limit',
          reason: `${end.detail} and the run was killed; raise limits.outputBytes (up to ${MAX_LIMITS.outputBytes}) or print less`,
        };
      case 'cancelled':
        return { status: 'cancelled', reason: 'the run was cancelled' };
      default:
        return { status: 'crashed', reason: end.detail };
    }
  }
  const exit = describeExitStatus(end.status);
  if (exit.signal === 'SIGXCPU' || exit.signal === 'SIGKILL') {
    return { status: 'timeout', reason: `the run used up its CPU time (${limits.timeoutMs} ms) and was killed; raise limits.timeoutMs` };
  }
  return {
    status: 'crashed',
    reason: `the sandbox process ${exit.text}; if the program allocates a lot, it may have hit its memory limit of ${limits.memoryMb} MiB`,
  };
}
