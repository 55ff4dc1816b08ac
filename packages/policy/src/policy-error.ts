/**
 * @module policy-error
 * The policy package's error: a request that cannot be accepted, an `allowedOutboundHosts` entry
 * that does not follow Spin's syntax, a policy file that is wrong, or a request the caller's roles
 * do not allow. The message names the field or the rule and how to fix it.
 */
import { UmcaError, type UmcaErrorOptions } from '@umca/contracts';

/**
 * `invalid_request`, `invalid_allowed_host`: the request itself; `invalid_policy`: a policy file;
 * `policy_denied`: the caller's roles do not allow it (403); `quota_exceeded`: not now (429).
 */
export type PolicyErrorCode = 'invalid_request' | 'invalid_allowed_host' | 'invalid_policy' | 'policy_denied' | 'quota_exceeded';

export class PolicyError extends UmcaError<PolicyErrorCode> {
  override readonly name = 'UMCA_PolicyError';

  constructor(code: PolicyErrorCode, message: string, options?: UmcaErrorOptions) {
    super(code, message, options);
  }
}
