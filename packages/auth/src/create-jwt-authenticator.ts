/**
 * @module create-jwt-authenticator
 * The one code path every token takes, whoever issued it: jose's `jwtVerify` against a key
 * source, with the issuer, the audience, the time and the signature checked, asymmetric
 * algorithms only (so neither `alg: none` nor an HMAC signed with a public key can pass), and
 * `sub` and `exp` required. Each failure becomes an AuthError naming the check.
 *
 * A token verified once is remembered for a short while (at most a minute, never past its `exp`),
 * so a client that sends the same token with every request pays for the signature once; the
 * revocation check and the check that its key is still trusted run on every request all the same.
 */
import type { AuthenticatedPrincipal, AuthenticatorV1, Principal } from '@umca/contracts';
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { AuthError } from './auth-error.js';

/** Signatures UMCA accepts: public-key algorithms only. */
export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface JwtAuthenticatorOptions {
  issuer: string;
  /** The audience this server is: a token must name it (or one of them) in `aud`. */
  audience: string | readonly string[];
  /** Where the signing keys come from (an issuer's JWKS, or UMCA's own keys). */
  keys: JWTVerifyGetKey;
  /** The principal's roles, read from the verified claims. */
  roles: (payload: JWTPayload) => string[];
  via: Principal['via'];
  /** Throws AuthError('token_revoked') for a token that was revoked. Runs on every request, remembered or not. */
  checkRevoked?: (payload: JWTPayload) => void;
  /** Whether a key id still verifies tokens (false once it is retired); runs for remembered tokens. Default: always. */
  keyTrusted?: (kid: string | undefined) => boolean;
  /** How long a verified token is remembered, in ms (default 60 000; 0: never). */
  rememberMs?: number;
  /** How many verified tokens are remembered at most (default 4096). */
  rememberAtMost?: number;
  /** Leeway for clocks that disagree, in seconds (default 30). */
  clockToleranceSeconds?: number;
  now?: () => Date;
  /** What to tell a caller about getting a good token. */
  signInHint?: string;
}

function audiences(audience: string | readonly string[]): string {
  return typeof audience === 'string' ? shown(audience) : audience.map((entry) => shown(entry)).join(' or ');
}

/** A claim's value as a message may show it: escaped and short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function refusal(error: unknown, options: JwtAuthenticatorOptions, payload: JWTPayload | undefined): AuthError {
  const hint = options.signInHint ? ` ${options.signInHint}` : '';
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) {
    return new AuthError('token_expired', `the token expired (exp); get a new one.${hint}`, { claim: 'exp', cause: error });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === 'iss') {
      return new AuthError(
        'wrong_issuer',
        `the token's issuer ${shown(payload?.iss)} is not the one this server trusts (${shown(options.issuer)}); the issuer follows the host name used to reach it (localhost is not 127.0.0.1).${hint}`,
        { claim, cause: error },
      );
    }
    if (claim === 'aud') {
      return new AuthError(
        'wrong_audience',
        `the token is not for this server: its audience ${shown(payload?.aud)} does not include ${audiences(options.audience)}; ask the issuer for a token for it (an audience mapper in Keycloak).${hint}`,
        { claim, cause: error },
      );
    }
    if (claim === 'nbf' || claim === 'iat') {
      return new AuthError(
        'token_not_yet_valid',
        `the token is not valid yet (${claim}); check the clocks of this server and the issuer.`,
        {
          claim,
          cause: error,
        },
      );
    }
    if (error.reason === 'missing') {
      return new AuthError('claim_missing', `the token has no ${claim} claim, which this server requires.${hint}`, { claim, cause: error });
    }
    return new AuthError('token_malformed', `the token's ${claim} claim is unusable (${error.reason}).${hint}`, { claim, cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError(
      'algorithm_not_allowed',
      `the token is signed with an algorithm this server does not accept; it accepts public-key signatures only (${ACCEPTED_ALGORITHMS.join(', ')}).`,
      { cause: error },
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError('bad_signature', `the token's signature does not verify: it was altered, or signed by someone else.${hint}`, {
      cause: error,
    });
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError('unknown_key', `the token is signed with a key the issuer does not publish (kid).${hint}`, { cause: error });
  }
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    (error instanceof TypeError && /fetch/i.test(error.message))
  ) {
    return new AuthError('issuer_unreachable', `the issuer's keys could not be fetched (${(error as Error).message}); try again later.`, {
      cause: error,
    });
  }
  if (error instanceof errors.JOSEError) {
    return new AuthError('token_malformed', `the bearer token is not a well-formed signed JWT (${error.code}).${hint}`, { cause: error });
  }
  return new AuthError('token_malformed', `the bearer token could not be read.${hint}`, { cause: error });
}

/**
 * An AuthenticatorV1 for the tokens of one issuer.
 *
 * @example
 * const authenticator = createJwtAuthenticator({ issuer, audience: 'umca', keys: createRemoteJWKSet(jwksUri), roles, via: 'oidc' });
 * const principal = await authenticator.authenticate(token);
 */
export function createJwtAuthenticator(options: JwtAuthenticatorOptions): AuthenticatorV1 {
  const now = () => (options.now ? options.now() : new Date()).getTime();
  const rememberMs = options.rememberMs ?? 60_000;
  const rememberAtMost = options.rememberAtMost ?? 4_096;
  const remembered = new Map<string, { principal: AuthenticatedPrincipal; payload: JWTPayload; kid: string | undefined; until: number }>();

  function recall(token: string): AuthenticatedPrincipal | undefined {
    const entry = remembered.get(token);
    if (!entry) return undefined;
    if (now() >= entry.until || !(options.keyTrusted?.(entry.kid) ?? true)) {
      remembered.delete(token);
      return undefined;
    }
    options.checkRevoked?.(entry.payload);
    return entry.principal;
  }

  function remember(token: string, principal: AuthenticatedPrincipal, payload: JWTPayload, kid: string | undefined): void {
    if (rememberMs <= 0) return;
    const until = Math.min(now() + rememberMs, typeof payload.exp === 'number' ? payload.exp * 1_000 : 0);
    if (until <= now()) return;
    if (remembered.size >= rememberAtMost) remembered.delete(remembered.keys().next().value as string);
    remembered.set(token, { principal, payload, kid, until });
  }

  return {
    specificationVersion: 'v1',
    async authenticate(token) {
      const known = recall(token);
      if (known) return known;
      let payload: JWTPayload | undefined;
      let kid: string | undefined;
      try {
        const verified = await jwtVerify(token, options.keys, {
          issuer: options.issuer,
          audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
          algorithms: ACCEPTED_ALGORITHMS,
          requiredClaims: ['sub', 'exp'],
          clockTolerance: options.clockToleranceSeconds ?? 30,
          ...(options.now ? { currentDate: options.now() } : {}),
        });
        payload = verified.payload;
        kid = verified.protectedHeader.kid;
        options.checkRevoked?.(payload);
      } catch (error) {
        if (!payload) {
          try {
            payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as JWTPayload;
          } catch {
            payload = undefined;
          }
        }
        throw refusal(error, options, payload);
      }
      const sub = payload.sub as string;
      const name = [payload.preferred_username, payload.name, payload.client_id, payload.azp].find(
        (value): value is string => typeof value === 'string' && value !== '',
      );
      const principal: AuthenticatedPrincipal = {
        sub,
        ...(name ? { name } : {}),
        roles: options.roles(payload),
        issuer: options.issuer,
        via: options.via,
        ...(typeof payload.exp === 'number' ? { expiresAt: new Date(payload.exp * 1_000) } : {}),
      };
      remember(token, principal, payload, kid);
      return principal;
    },
  };
}
