/**
 * @module create-oidc-authenticator
 * Tokens from an OpenID Connect issuer (Keycloak, or any other). The discovery document is read
 * once, when the first token arrives, and must name the same issuer; the key set (JWKS) is then
 * cached by jose and fetched again only for a key id it does not know (at most once per
 * cooldown), so a key rotation at the issuer is picked up without a restart and a request never
 * waits on the issuer otherwise.
 */
import type { AuthenticatorV1 } from '@umca/contracts';
import { createRemoteJWKSet, customFetch, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthError } from './auth-error.js';
import { createJwtAuthenticator } from './create-jwt-authenticator.js';
import { DEFAULT_ROLE_CLAIMS, rolesFromClaims } from './roles-from-claims.js';

export interface OidcAuthenticatorOptions {
  /** The issuer URL, exactly as it appears in its tokens' `iss`. */
  issuer: string;
  /** The audience tokens must name (`aud`): this server (any one of several names, such as its resource URIs). */
  audience: string | readonly string[];
  /** Where the roles are; default Keycloak's realm roles, then `roles`. */
  roleClaims?: readonly string[];
  /** A client whose roles count too (Keycloak's `resource_access.<client>.roles`). */
  rolesClientId?: string;
  /** How long a fetched key set is trusted before a new fetch for an unknown key id is allowed, in ms (default 5000). */
  jwksCooldownMs?: number;
  fetch?: typeof globalThis.fetch;
  now?: () => Date;
}

export interface OidcAuthenticator extends AuthenticatorV1 {
  /** Reads the discovery document (once), checking the issuer answers as itself. */
  discover(): Promise<{ issuer: string; jwks_uri: string; authorization_endpoint?: string; token_endpoint?: string }>;
}

export function createOidcAuthenticator(options: OidcAuthenticatorOptions): OidcAuthenticator {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const issuer = options.issuer.replace(/\/$/, '');
  let discovered: ReturnType<OidcAuthenticator['discover']> | undefined;
  let keySet: JWTVerifyGetKey | undefined;

  async function readDiscovery() {
    const url = `${issuer}/.well-known/openid-configuration`;
    let document: Record<string, unknown>;
    try {
      const response = await fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      document = (await response.json()) as Record<string, unknown>;
    } catch (error) {
      throw new AuthError(
        'issuer_unreachable',
        `the issuer ${issuer} did not give its OpenID configuration (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
    if (document.issuer !== options.issuer && document.issuer !== issuer) {
      throw new AuthError(
        'issuer_unreachable',
        `the issuer at ${url} calls itself ${JSON.stringify(document.issuer)}, not ${JSON.stringify(options.issuer)}: give --oidc-issuer exactly as its tokens' "iss"`,
      );
    }
    if (typeof document.jwks_uri !== 'string')
      throw new AuthError('issuer_unreachable', `the OpenID configuration at ${url} names no jwks_uri`);
    return document as Awaited<ReturnType<OidcAuthenticator['discover']>>;
  }

  function discover() {
    // A failure is not kept: the next request tries again.
    discovered ??= readDiscovery().catch((error) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  }

  const keys: JWTVerifyGetKey = async (header, token) => {
    if (!keySet) {
      const { jwks_uri } = await discover();
      keySet = createRemoteJWKSet(new URL(jwks_uri), {
        cooldownDuration: options.jwksCooldownMs ?? 5_000,
        cacheMaxAge: 600_000,
        timeoutDuration: 10_000,
        [customFetch]: fetchFn,
      });
    }
    return keySet(header, token);
  };

  const claims = [...(options.roleClaims ?? DEFAULT_ROLE_CLAIMS)];
  if (options.rolesClientId) claims.push(`resource_access.${options.rolesClientId}.roles`);
  const verifier = createJwtAuthenticator({
    issuer: options.issuer,
    audience: options.audience,
    keys,
    roles: (payload: JWTPayload) => rolesFromClaims(payload, claims),
    via: 'oidc',
    signInHint: `Sign in at ${issuer}.`,
    ...(options.now ? { now: options.now } : {}),
  });
  return { ...verifier, discover };
}
