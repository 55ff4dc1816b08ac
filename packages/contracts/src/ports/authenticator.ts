/**
 * @module authenticator
 * `AuthenticatorV1`: turns a bearer token into a principal, or refuses it saying which check
 * failed (the issuer, the audience, the time, the signature, a claim), never echoing the token.
 */
import type { Principal } from '../principal.js';

/** A principal as a verified token vouches for it, until the token expires. */
export type AuthenticatedPrincipal = Principal & { readonly expiresAt?: Date };

export interface AuthenticatorV1 {
  readonly specificationVersion: 'v1';
  /** Verifies `token`; throws an UmcaError whose code names what failed (`token_expired`, `wrong_audience`, ...). */
  authenticate(token: string): Promise<AuthenticatedPrincipal>;
}
