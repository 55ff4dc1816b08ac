/**
 * @module policy-error
 * The policy package's error: a request that cannot be accepted, or an `allowedOutboundHosts`
 * entry that does not follow Spin's syntax. The message names the field and how to fix it.
 */
import { UmcaError, type UmcaErrorOptions } from '@umca/contracts';

export type PolicyErrorCode = 'invalid_request' | 'invalid_allowed_host';

export class PolicyError extends UmcaError<PolicyErrorCode> {
  override readonly name = 'UMCA_PolicyError';

  constructor(code: PolicyErrorCode, message: string, options?: UmcaErrorOptions) {
    super(code, message, options);
  }
}
