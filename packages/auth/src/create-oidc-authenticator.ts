/**
 * @module create-oidc-authenticator
 * Tokens from an OpenID Connect issuer (Keycloak, or any other). The discovery document is read
 * once, when the first token arrives, and must name the same issuer; the key set (JWKS) is then
 * cached by jose and fetched again for a key id it does not know (at most once per cooldown), so
 * a new key at the issuer is taken up without a restart, and in the background once the copy is
 * older than its maximum age, so a key the issuer withdraws stops verifying (remembered tokens
 * too) without a request ever waiting on the issuer for it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AuthenticatorV1 } from '@umca/contracts';
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
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
  /** How old the key set may grow before a request starts a fetch in the background, in ms (default 60 000): a withdrawn key stops verifying within about this long. */
  jwksMaxAgeMs?: number;
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
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  const clock = () => (options.now ? options.now() : new Date()).getTime();
  const maxAgeMs = options.jwksMaxAgeMs ?? 60_000;
  let refreshedAt = 0;
  const cooldownMs = options.jwksCooldownMs ?? 5_000;

  /** Starts a fetch of the key set once it is old; the request goes on with the copy it has, and a failed fetch keeps it. */
  function refreshIfOld(): void {
    if (!keySet || clock() - refreshedAt < maxAgeMs) return;
    refreshedAt = clock();
    keySet.reload().catch(() => undefined);
  }

  /** Waits until the key set's cooldown is over: polls 50 ms apart, at most the cooldown's length. */
  async function coolDown(set: ReturnType<typeof createRemoteJWKSet>): Promise<void> {
    for (let polls = Math.ceil(cooldownMs / 50) + 1; polls > 0 && set.coolingDown; polls--) await delay(50);
  }

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
        cooldownDuration: cooldownMs,
        cacheMaxAge: 600_000,
        timeoutDuration: 10_000,
        [customFetch]: fetchFn,
      });
      refreshedAt = clock();
    }
    refreshIfOld();
    // Whether jose's cooldown began before this request: after a fetch that was not for this key id.
    const coolingBefore = keySet.coolingDown;
    try {
      return await keySet(header, token);
    } catch (error) {
      // jose fetches for an unknown key id at most once per cooldown, which bounds what tokens
      // with made-up key ids can cost. One it does not know while an earlier fetch cools down (a
      // rotation just after one, or a background fetch) is not refused at once: the request waits
      // for the cooldown's end, then one fetch, shared with the others waiting, decides.
      if (!(error instanceof errors.JWKSNoMatchingKey) || !coolingBefore) throw error;
      await coolDown(keySet);
      // jose looks in the set it has first (another waiter's fetch may have brought the key in
      // while this one slept) and fetches only when the key is still missing and the cooldown
      // is over: a waiter woken late never fetches again for a key already there.
      if (keySet.reloading) await keySet.reload();
      return keySet(header, token);
    }
  };

  const claims = [...(options.roleClaims ?? DEFAULT_ROLE_CLAIMS)];
  if (options.rolesClientId) claims.push(`resource_access.${options.rolesClientId}.roles`);
  const verifier = createJwtAuthenticator({
    issuer: options.issuer,
    audience: options.audience,
    keys,
    roles: (payload: JWTPayload) => rolesFromClaims(payload, claims),
    via: 'oidc',
    // A remembered token is good only while its key is in the latest key set the issuer gave.
    keyTrusted: (kid) => {
      refreshIfOld();
      const published = keySet?.jwks()?.keys;
      return kid === undefined || published === undefined || published.some((key) => key.kid === kid);
    },
    signInHint: `Sign in at ${issuer}.`,
    ...(options.now ? { now: options.now } : {}),
  });
  return { ...verifier, discover };
}
