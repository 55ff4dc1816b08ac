/**
 * @module combine-authenticators
 * One server may trust several issuers (an OIDC provider and its own tokens). The token's `iss`,
 * read before anything is verified, only picks which verifier checks it; that verifier then
 * checks everything, `iss` included.
 */
import type { AuthenticatorV1 } from '@umca/contracts';
import { decodeJwt } from 'jose';
import { AuthError } from './auth-error.js';

export function combineAuthenticators(byIssuer: ReadonlyMap<string, AuthenticatorV1>): AuthenticatorV1 {
  const trusted = [...byIssuer.keys()].map((issuer) => JSON.stringify(issuer)).join(', ');
  return {
    specificationVersion: 'v1',
    async authenticate(token) {
      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch (error) {
        throw new AuthError('token_malformed', 'the bearer token is not a well-formed JWT', { cause: error });
      }
      const chosen = typeof issuer === 'string' ? (byIssuer.get(issuer) ?? byIssuer.get(issuer.replace(/\/$/, ''))) : undefined;
      if (!chosen) {
        const given = typeof issuer === 'string' ? JSON.stringify(issuer.slice(0, 200)) : 'none';
        throw new AuthError(
          'wrong_issuer',
          `the token's issuer (${given}) is not one this server trusts (${trusted}); the issuer follows the host name used to reach it (localhost is not 127.0.0.1)`,
          { claim: 'iss' },
        );
      }
      return chosen.authenticate(token);
    },
  };
}
