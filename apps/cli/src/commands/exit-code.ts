/**
 * @module exit-code
 * How `umca exec` reports a run's status through its exit code.
 */
import type { ExecutionResult } from '@umca/contracts';

/** 0 for ok; the program's own code for an error; 124 for a timeout (as timeout(1)); 2 for a
 *  rejected request; 1 for anything else that did not end ok. */
export function exitCodeFor(result: Pick<ExecutionResult, 'status' | 'exitCode'>): number {
  switch (result.status) {
    case 'ok':
      return 0;
    case 'error':
      return result.exitCode && result.exitCode > 0 ? result.exitCode : 1;
    case 'timeout':
      return 124;
    case 'rejected':
      return 2;
    default:
      return 1;
  }
}
