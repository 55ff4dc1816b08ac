/**
 * An issuer's key rotation as UMCA's OIDC verifier sees it, with a stand-in issuer (discovery
 * document and JWKS served through the injected fetch, keys made with jose): a new key is taken
 * up at its first token, and a key the issuer withdraws stops verifying once the key set is
 * older than its maximum age, remembered tokens included. The real-tier drill
 * (test/runbooks/rotate-keys-drill.real.test.ts) does the same against Keycloak.
 */
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthError, createOidcAuthenticator } from '../src/index.js';

const ISSUER = 'https://issuer.test/realms/umca';

async function makeKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } as JWK };
}

describe('a key rotation at the issuer', () => {
  it('takes up the new key at once, and stops the withdrawn key’s tokens, remembered or not, once the key set is a minute old', async () => {
    let clock = new Date('2026-12-04T12:00:00Z');
    const published = [await makeKey('old')];
    let jwksFetches = 0;
    const fetch = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/.well-known/openid-configuration')) {
        return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/certs` });
      }
      jwksFetches++;
      return Response.json({ keys: published.map((key) => key.publicJwk) });
    }) as typeof globalThis.fetch;
    const verifier = createOidcAuthenticator({ issuer: ISSUER, audience: 'umca', fetch, now: () => clock, jwksCooldownMs: 0 });
    const sign = async (key: Awaited<ReturnType<typeof makeKey>>) => {
      const issuedAt = Math.floor(clock.getTime() / 1_000);
      return new SignJWT({ realm_access: { roles: ['developer'] } })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setIssuer(ISSUER)
        .setAudience('umca')
        .setSubject('ada')
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + 600)
        .sign(key.privateKey);
    };
    const advance = (seconds: number) => {
      clock = new Date(clock.getTime() + seconds * 1_000);
    };
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

    const before = await sign(published[0] as Awaited<ReturnType<typeof makeKey>>);
    expect((await verifier.authenticate(before)).sub).toBe('ada');

    // Rotation: a new key is published and signs; the old one stays published (passive).
    const next = await makeKey('new');
    published.push(next);
    const after = await sign(next);
    expect((await verifier.authenticate(after)).sub).toBe('ada');
    expect((await verifier.authenticate(before)).sub).toBe('ada');

    // The old key is withdrawn. Within the key set's minute it still verifies (no fetch per request) ...
    published.shift();
    const fetchesAtWithdrawal = jwksFetches;
    advance(30);
    expect((await verifier.authenticate(before)).sub).toBe('ada');
    expect(jwksFetches).toBe(fetchesAtWithdrawal);

    // ... and once the set is older than a minute, a request starts a fetch in the background
    // (it does not wait for it), after which the withdrawn key's tokens are refused.
    advance(31);
    await verifier.authenticate(after);
    await settle();
    expect(jwksFetches).toBe(fetchesAtWithdrawal + 1);
    const refusal = await verifier.authenticate(before).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(AuthError);
    expect((refusal as AuthError).code).toBe('unknown_key');
    expect((await verifier.authenticate(after)).sub).toBe('ada');
  });

  it('takes up a new key at once even right after a background fetch (which must not use up the fetch an unknown key id may make)', async () => {
    let clock = new Date('2026-12-04T12:00:00Z');
    const published = [await makeKey('old')];
    const fetch = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/.well-known/openid-configuration')) return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/certs` });
      return Response.json({ keys: published.map((key) => key.publicJwk) });
    }) as typeof globalThis.fetch;
    // A cooldown (on the real clock) that the background fetch below starts.
    const verifier = createOidcAuthenticator({ issuer: ISSUER, audience: 'umca', fetch, now: () => clock, jwksCooldownMs: 300 });
    const sign = async (key: Awaited<ReturnType<typeof makeKey>>) => {
      const issuedAt = Math.floor(clock.getTime() / 1_000);
      return new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setIssuer(ISSUER)
        .setAudience('umca')
        .setSubject('ada')
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + 600)
        .sign(key.privateKey);
    };
    expect((await verifier.authenticate(await sign(published[0] as Awaited<ReturnType<typeof makeKey>>))).sub).toBe('ada');
    clock = new Date(clock.getTime() + 61_000);
    await verifier.authenticate(await sign(published[0] as Awaited<ReturnType<typeof makeKey>>));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const next = await makeKey('new');
    published.push(next);
    expect((await verifier.authenticate(await sign(next))).sub).toBe('ada');
  });

  it('takes up a key published within the cooldown of the last fetch, and refuses a made-up key id after one fetch at most', async () => {
    const published = [await makeKey('old')];
    let jwksFetches = 0;
    const fetch = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/.well-known/openid-configuration')) return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/certs` });
      jwksFetches++;
      return Response.json({ keys: published.map((key) => key.publicJwk) });
    }) as typeof globalThis.fetch;
    const verifier = createOidcAuthenticator({ issuer: ISSUER, audience: 'umca', fetch, jwksCooldownMs: 300 });
    const sign = async (key: Awaited<ReturnType<typeof makeKey>>) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setIssuer(ISSUER)
        .setAudience('umca')
        .setSubject('ada')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(key.privateKey);
    expect((await verifier.authenticate(await sign(published[0] as Awaited<ReturnType<typeof makeKey>>))).sub).toBe('ada');
    expect(jwksFetches).toBe(1);
    // The issuer rotates at once: the new key's first tokens arrive while the first fetch cools down.
    const next = await makeKey('new');
    published.push(next);
    const firstTokens = await Promise.all([sign(next), sign(next), sign(next)]);
    expect((await Promise.all(firstTokens.map((token) => verifier.authenticate(token)))).map((principal) => principal.sub)).toEqual([
      'ada',
      'ada',
      'ada',
    ]);
    // Three tokens waited together: one fetch took the key up for all of them.
    expect(jwksFetches).toBe(2);
    const madeUp = await makeKey('made-up');
    const refusal = await verifier.authenticate(await sign(madeUp)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((refusal as AuthError).code).toBe('unknown_key');
    expect(jwksFetches).toBeLessThanOrEqual(3);
  });

  it('keeps the last key set when a background fetch fails, so an issuer outage refuses nobody it had verified', async () => {
    let clock = new Date('2026-12-04T12:00:00Z');
    const key = await makeKey('only');
    let down = false;
    const fetch = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/.well-known/openid-configuration')) return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/certs` });
      if (down) throw new TypeError('fetch failed');
      return Response.json({ keys: [key.publicJwk] });
    }) as typeof globalThis.fetch;
    const verifier = createOidcAuthenticator({ issuer: ISSUER, audience: 'umca', fetch, now: () => clock });
    const issuedAt = Math.floor(clock.getTime() / 1_000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'only' })
      .setIssuer(ISSUER)
      .setAudience('umca')
      .setSubject('ada')
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 3_600)
      .sign(key.privateKey);
    expect((await verifier.authenticate(token)).sub).toBe('ada');
    down = true;
    clock = new Date(clock.getTime() + 90_000);
    expect((await verifier.authenticate(token)).sub).toBe('ada');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await verifier.authenticate(token)).sub).toBe('ada');
  });
});
