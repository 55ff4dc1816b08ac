/**
 * UMCA's own tokens, and every way a token must be refused, tried with real crafted tokens: no
 * signature (`alg: none`), an HMAC keyed with the public key, a changed payload, another key,
 * another issuer or audience, out of its time, without `sub`, revoked, from a retired key.
 * The same verifier checks an OIDC issuer's tokens (real tier, against Keycloak).
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthError, createLocalTokenStore, LOCAL_ISSUER } from '../src/index.js';

function setUp() {
  const dir = join(mkdtempSync(join(tmpdir(), 'umca-auth-')), 'auth');
  let clock = new Date('2026-12-03T12:00:00Z');
  const store = createLocalTokenStore({ dir, now: () => clock });
  return {
    dir,
    store,
    advance: (seconds: number) => {
      clock = new Date(clock.getTime() + seconds * 1_000);
    },
    now: () => clock,
    privateKey: async () => {
      const file = JSON.parse(readFileSync(join(dir, 'signing-keys.json'), 'utf8'));
      return importJWK(file.keys.at(-1).privateJwk, 'EdDSA');
    },
  };
}

const refusedWith = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('the token was accepted');
};

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('UMCA’s own tokens', () => {
  it('are signed with a key kept private under the data directory, and verify to their principal', async () => {
    const { store, dir } = setUp();
    expect(store.exists()).toBe(false);
    const issued = await store.issue({ sub: 'ci-bot', name: 'CI', roles: ['developer'], ttlSeconds: 3_600 });
    expect(statSync(join(dir, 'signing-keys.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(decodeProtectedHeader(issued.token)).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    expect(await store.authenticator().authenticate(issued.token)).toEqual({
      sub: 'ci-bot',
      name: 'CI',
      roles: ['developer'],
      issuer: LOCAL_ISSUER,
      via: 'local',
      expiresAt: issued.expiresAt,
    });
  });

  it('stop working when they expire, and are not valid before they are issued', async () => {
    const { store, advance } = setUp();
    const { token } = await store.issue({ sub: 'a', roles: [], ttlSeconds: 60 });
    advance(60 + 31); // past exp and the 30 s clock leeway
    expect((await refusedWith(store.authenticator().authenticate(token))).code).toBe('token_expired');
    const later = await store.issue({ sub: 'b', roles: [], ttlSeconds: 600 });
    advance(-120);
    expect(await refusedWith(store.authenticator().authenticate(later.token))).toMatchObject({ code: 'token_not_yet_valid', claim: 'nbf' });
  });

  it('can be revoked, by id or by the token, and a running verifier hears of it', async () => {
    const { store, advance } = setUp();
    const verifier = store.authenticator();
    const first = await store.issue({ sub: 'a', roles: [], ttlSeconds: 600 });
    const second = await store.issue({ sub: 'b', roles: [], ttlSeconds: 600 });
    await verifier.authenticate(first.token);
    store.revoke(first.jti);
    store.revoke(second.token);
    advance(2); // the verifier looks at the revocation list at most once a second
    expect((await refusedWith(verifier.authenticate(first.token))).code).toBe('token_revoked');
    expect((await refusedWith(verifier.authenticate(second.token))).code).toBe('token_revoked');
    expect(() => store.revoke('not-a.token')).not.toThrow();
    expect(() => store.revoke('a.b.c')).toThrow(/neither a token id nor a token/);
  });

  it('survive a key rotation, until the previous keys are retired', async () => {
    const { store, advance } = setUp();
    const verifier = store.authenticator();
    const before = await store.issue({ sub: 'a', roles: [], ttlSeconds: 600 });
    const { kid } = await store.rotate();
    const after = await store.issue({ sub: 'a', roles: [], ttlSeconds: 600 });
    expect(decodeProtectedHeader(after.token).kid).toBe(kid);
    await verifier.authenticate(after.token); // a key id it had not seen: the key file is read again
    await verifier.authenticate(before.token);
    await store.rotate({ retirePrevious: true });
    advance(2);
    expect((await refusedWith(verifier.authenticate(before.token))).code).toBe('unknown_key');
  });
});

describe('a token that must be refused', () => {
  it('has no signature (alg: none)', async () => {
    const { store } = setUp();
    const { token } = await store.issue({ sub: 'a', roles: ['operator'], ttlSeconds: 600 });
    const [, payload] = token.split('.');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    expect((await refusedWith(store.authenticator().authenticate(unsigned))).code).toMatch(/algorithm_not_allowed|token_malformed/);
  });

  it('is an HMAC keyed with the public key (algorithm confusion)', async () => {
    const { store, dir } = setUp();
    const { token } = await store.issue({ sub: 'a', roles: [], ttlSeconds: 600 });
    const publicJwk = JSON.parse(readFileSync(join(dir, 'signing-keys.json'), 'utf8')).keys[0].publicJwk;
    const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    const forged = await new SignJWT({ ...payload, roles: ['operator'] })
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid })
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    const forgedWithX = await new SignJWT({ ...payload, roles: ['operator'] })
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid })
      .sign(Buffer.from(publicJwk.x, 'base64url'));
    for (const attempt of [forged, forgedWithX]) {
      expect((await refusedWith(store.authenticator().authenticate(attempt))).code).toBe('algorithm_not_allowed');
    }
  });

  it('was changed after signing (a role added)', async () => {
    const { store } = setUp();
    const { token } = await store.issue({ sub: 'a', roles: ['viewer'], ttlSeconds: 600 });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const tampered = `${header}.${b64({ ...claims, roles: ['operator'] })}.${signature}`;
    expect((await refusedWith(store.authenticator().authenticate(tampered))).code).toBe('bad_signature');
  });

  it('is signed by another server’s key, names another issuer or audience, or has no sub', async () => {
    const ours = setUp();
    const theirs = setUp();
    await ours.store.issue({ sub: 'x', roles: [], ttlSeconds: 60 }); // our key exists
    const foreign = await theirs.store.issue({ sub: 'a', roles: [], ttlSeconds: 600 });
    expect((await refusedWith(ours.store.authenticator().authenticate(foreign.token))).code).toBe('unknown_key');

    const key = await ours.privateKey();
    const kid = JSON.parse(readFileSync(join(ours.dir, 'signing-keys.json'), 'utf8')).current;
    const at = Math.floor(ours.now().getTime() / 1_000);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setIssuedAt(at)
        .setExpirationTime(at + 600)
        .sign(key);
    const verifier = ours.store.authenticator();
    expect(await refusedWith(verifier.authenticate(await sign({ iss: 'https://elsewhere.example', aud: 'umca', sub: 'a' })))).toMatchObject(
      { code: 'wrong_issuer', claim: 'iss' },
    );
    const wrongAudience = await refusedWith(verifier.authenticate(await sign({ iss: LOCAL_ISSUER, aud: 'another-service', sub: 'a' })));
    expect(wrongAudience).toMatchObject({ code: 'wrong_audience', claim: 'aud' });
    expect(wrongAudience.message).toContain('"another-service"');
    expect(await refusedWith(verifier.authenticate(await sign({ iss: LOCAL_ISSUER, aud: 'umca' })))).toMatchObject({
      code: 'claim_missing',
      claim: 'sub',
    });
  });

  it('is not a token at all, and the refusal never repeats what was sent', async () => {
    const { store } = setUp();
    await store.issue({ sub: 'x', roles: [], ttlSeconds: 60 });
    for (const junk of ['', 'secret-looking-garbage', 'a.b', 'a.b.c.d', `${b64({ alg: 'EdDSA' })}.${b64('not an object')}`]) {
      const error = await refusedWith(store.authenticator().authenticate(junk));
      expect(error.code, junk).toBe('token_malformed');
      if (junk.length > 3) expect(error.message).not.toContain(junk);
    }
  });
});
