/**
 * @module evaluation-error
 * The evaluations' refusals, each with a stable code and a message that says what to fix: a suite
 * or gate file that cannot be read or does not hold what its schema says, an evaluation that
 * could not run.
 */
import { UmcaError } from '@umca/contracts';

export type EvaluationErrorCode = 'invalid_suite' | 'invalid_gate' | 'invalid_report' | 'phoenix_failed';

export class EvaluationError extends UmcaError<EvaluationErrorCode> {
  override readonly name = 'UMCA_EvaluationError';
}
