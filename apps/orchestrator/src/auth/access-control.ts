/**
 * @module access-control
 * Who may do what on this server: how a request's bearer token becomes a principal (an OIDC
 * issuer's tokens, UMCA's own, or nobody's on a loopback server without authentication), what
 * the principal's roles allow (the access policy), and how much it may run at once.
 */

import { AuthError } from '@umca/auth';
import { type AccessPolicy, ANONYMOUS_PRINCIPAL, type AuthenticatedPrincipal, type AuthenticatorV1, type Principal } from '@umca/contracts';
import { type AccessGrant, createRunQuota, grantFor, type RunQuota, unrestrictedGrant } from '@umca/policy';

export interface AccessControl {
  /** `none`: a loopback server for one user, everybody is anonymous and may do everything. `tokens`: every request needs a bearer token. */
  readonly mode: 'none' | 'tokens';
  /** OpenID Connect issuers whose tokens count (for protected resource metadata and sign-in). */
  readonly authorizationServers: readonly string[];
  /** The audience tokens must name. */
  readonly audience: string;
  /** The public client the web UI signs in with, when there is an issuer. */
  readonly uiClientId?: string;
  /** The principal of a request's bearer token (undefined: none was sent); throws AuthError. */
  authenticate(token: string | undefined): Promise<AuthenticatedPrincipal>;
  /** What the principal may do. */
  grantFor(principal: Principal): AccessGrant;
  readonly quota: RunQuota;
}

export interface AccessControlOptions {
  /** Verifies tokens; absent: nobody is authenticated (mode `none`). */
  authenticator?: AuthenticatorV1;
  authorizationServers?: readonly string[];
  audience?: string;
  uiClientId?: string;
  /** Absent with an authenticator: the default policy. */
  policy?: AccessPolicy;
  now?: () => number;
}

export function createAccessControl(options: AccessControlOptions): AccessControl {
  const { authenticator, policy } = options;
  const quota = createRunQuota(options.now ? { now: options.now } : {});
  if (!authenticator) {
    return {
      mode: 'none',
      authorizationServers: [],
      audience: options.audience ?? 'umca',
      authenticate: async () => ANONYMOUS_PRINCIPAL,
      grantFor: (principal) => unrestrictedGrant(principal),
      quota,
    };
  }
  if (!policy) throw new Error('createAccessControl: a policy is required with an authenticator');
  const servers = options.authorizationServers ?? [];
  const grants = new Map<string, AccessGrant>();
  return {
    mode: 'tokens',
    authorizationServers: servers,
    audience: options.audience ?? 'umca',
    ...(options.uiClientId ? { uiClientId: options.uiClientId } : {}),
    async authenticate(token) {
      if (token === undefined) {
        const where = servers.length
          ? `sign in at ${servers.join(' or ')} and send`
          : 'ask the operator for a token (umca token create) and send';
        throw new AuthError(
          'token_missing',
          `this server needs a bearer token: ${where} "Authorization: Bearer <token>" (see /.well-known/oauth-protected-resource)`,
        );
      }
      return authenticator.authenticate(token);
    },
    grantFor(principal) {
      // The grant depends on the roles alone: worked out once per set of roles, then given the principal.
      const key = JSON.stringify([...principal.roles].sort());
      let grant = grants.get(key);
      if (!grant) {
        if (grants.size >= 1_024) grants.clear();
        grant = grantFor(policy, principal);
        grants.set(key, grant);
      }
      return { ...grant, principal };
    },
    quota,
  };
}
