/**
 * @module auth-error
 * A token refused, and why: the code names the check that failed, `claim` the claim when one did,
 * and the message says what to do. Nothing in it repeats the token.
 */
import { UmcaError, type UmcaErrorOptions } from '@umca/contracts';

export type AuthErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'bad_signature'
  | 'unknown_key'
  | 'algorithm_not_allowed'
  | 'claim_missing'
  | 'token_revoked'
  | 'issuer_unreachable';

export class AuthError extends UmcaError<AuthErrorCode> {
  override readonly name = 'UMCA_AuthError';
  /** The claim that failed (exp, nbf, iss, aud, sub), when one did. */
  readonly claim: string | undefined;

  constructor(code: AuthErrorCode, message: string, options: UmcaErrorOptions & { claim?: string } = {}) {
    super(code, message, options);
    this.claim = options.claim;
  }
}
