/**
 * @module local-token-store
 * UMCA's own tokens, for a team without an identity provider: signed with a key kept under the
 * data directory (EdDSA, private to the server's user), verified by the same code path as an
 * issuer's. Keys rotate (the previous ones keep verifying the tokens they signed until told to
 * retire) and tokens can be revoked by id. The files are re-read when they change, so `umca
 * token` commands take effect on a running server without a restart.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthenticatorV1 } from '@umca/contracts';
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { AuthError } from './auth-error.js';
import { createJwtAuthenticator } from './create-jwt-authenticator.js';
import { rolesFromClaims } from './roles-from-claims.js';

/** The issuer of UMCA's own tokens. */
export const LOCAL_ISSUER = 'urn:umca:local';

interface StoredKey {
  kid: string;
  createdAt: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

interface KeyFile {
  version: 1;
  /** The key that signs new tokens. */
  current: string;
  keys: StoredKey[];
}

interface RevokedFile {
  version: 1;
  /** Revoked token ids, with when each token expires (after which it need not be listed). */
  revoked: Array<{ jti: string; expiresAt: string }>;
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
}

export interface LocalTokenStoreOptions {
  /** Where the key and revocation files live (`<data-dir>/auth`). */
  dir: string;
  /** The audience tokens are for (default `umca`). */
  audience?: string;
  now?: () => Date;
}

/**
 * Reads a JSON file again only when it changed, and unless forced at most once a second. Files are
 * replaced by rename, so a new inode says it changed even within the same millisecond.
 */
function cachedJson<T>(path: string, empty: T, now: () => number) {
  let value = empty;
  let seenAt = -Infinity;
  let seenVersion = '';
  return {
    read(force = false): T {
      if (!force && now() - seenAt < 1_000) return value;
      seenAt = now();
      let version: string;
      try {
        const stat = statSync(path);
        version = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
      } catch {
        value = empty;
        seenVersion = '';
        return value;
      }
      if (version !== seenVersion) {
        value = JSON.parse(readFileSync(path, 'utf8')) as T;
        seenVersion = version;
      }
      return value;
    },
  };
}

/** Writes a file whole or not at all, readable by its owner only. */
function writePrivately(path: string, value: unknown): void {
  const partial = `${path}.${process.pid}.part`;
  writeFileSync(partial, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, path);
}

export interface LocalTokenStore {
  /** Whether a signing key exists (tokens have been set up). */
  exists(): boolean;
  /** Signs a token for `sub` with `roles`, valid for `ttlSeconds`. Creates the first key if there is none. */
  issue(options: { sub: string; name?: string; roles: readonly string[]; ttlSeconds: number }): Promise<IssuedToken>;
  /** Makes a new signing key current; `retirePrevious` drops the others, so every token they signed stops working. */
  rotate(options?: { retirePrevious?: boolean }): Promise<{ kid: string; retired: number }>;
  /** Drops every key but the current one (the end of a planned rotation): their tokens stop working, the current key's keep working. */
  retire(): { kid: string; retired: number };
  /** Revokes a token by its id (`jti`) or by the token itself. */
  revoke(tokenOrJti: string): { jti: string };
  /** Verifies UMCA's own tokens; `rememberMs` as createJwtAuthenticator's (0: check every signature). */
  authenticator(options?: { rememberMs?: number }): AuthenticatorV1;
}

export function createLocalTokenStore(options: LocalTokenStoreOptions): LocalTokenStore {
  const dir = options.dir;
  const now = options.now ?? (() => new Date());
  const audience = options.audience ?? 'umca';
  const keyPath = join(dir, 'signing-keys.json');
  const revokedPath = join(dir, 'revoked.json');
  const keyFile = cachedJson<KeyFile | undefined>(keyPath, undefined, () => now().getTime());
  const revokedFile = cachedJson<RevokedFile>(revokedPath, { version: 1, revoked: [] }, () => now().getTime());

  function ensureDir(): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }

  async function newKey(): Promise<StoredKey> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = `umca-${now().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    return {
      kid,
      createdAt: now().toISOString(),
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' },
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
    };
  }

  async function currentKeys(): Promise<KeyFile> {
    const existing = keyFile.read(true);
    if (existing) return existing;
    ensureDir();
    const key = await newKey();
    const created: KeyFile = { version: 1, current: key.kid, keys: [key] };
    writePrivately(keyPath, created);
    return created;
  }

  const store: LocalTokenStore = {
    exists: () => keyFile.read(true) !== undefined,

    async issue({ sub, name, roles, ttlSeconds }) {
      const file = await currentKeys();
      const key = file.keys.find((candidate) => candidate.kid === file.current);
      if (!key) throw new AuthError('unknown_key', `the key file ${keyPath} names a current key it does not hold; run umca token rotate`);
      const jti = randomUUID();
      const issuedAt = Math.floor(now().getTime() / 1_000);
      const expiresAt = new Date((issuedAt + ttlSeconds) * 1_000);
      const token = await new SignJWT({ roles: [...roles], ...(name ? { name } : {}) })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(audience)
        .setSubject(sub)
        .setJti(jti)
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(await importJWK(key.privateJwk, 'EdDSA'));
      return { token, jti, expiresAt };
    },

    async rotate({ retirePrevious = false } = {}) {
      const file = await currentKeys();
      const key = await newKey();
      const kept = retirePrevious ? [] : file.keys;
      writePrivately(keyPath, { version: 1, current: key.kid, keys: [...kept, key] });
      return { kid: key.kid, retired: retirePrevious ? file.keys.length : 0 };
    },

    retire() {
      const file = keyFile.read(true);
      if (!file) throw new AuthError('unknown_key', `there is no signing key in ${dir} to retire; umca token create makes the first`);
      const kept = file.keys.filter((key) => key.kid === file.current);
      if (kept.length < file.keys.length) writePrivately(keyPath, { version: 1, current: file.current, keys: kept });
      return { kid: file.current, retired: file.keys.length - kept.length };
    },

    revoke(tokenOrJti) {
      let jti = tokenOrJti;
      let expiresAt = new Date(now().getTime() + 366 * 86_400_000).toISOString();
      if (tokenOrJti.split('.').length === 3) {
        try {
          const payload = JSON.parse(Buffer.from(tokenOrJti.split('.')[1] ?? '', 'base64url').toString()) as JWTPayload;
          if (typeof payload.jti !== 'string') throw new Error('no jti');
          jti = payload.jti;
          if (typeof payload.exp === 'number') expiresAt = new Date(payload.exp * 1_000).toISOString();
        } catch {
          throw new AuthError('token_malformed', 'that is neither a token id nor a token UMCA issued (it has no readable jti)');
        }
      }
      ensureDir();
      const current = revokedFile.read(true);
      const live = current.revoked.filter((entry) => Date.parse(entry.expiresAt) > now().getTime() && entry.jti !== jti);
      writePrivately(revokedPath, { version: 1, revoked: [...live, { jti, expiresAt }] });
      return { jti };
    },

    authenticator(authenticatorOptions = {}) {
      let cachedFor: KeyFile | undefined;
      let jwks: ReturnType<typeof createLocalJWKSet> | undefined;
      return createJwtAuthenticator({
        issuer: LOCAL_ISSUER,
        audience,
        via: 'local',
        keys: (header, token) => {
          // The key file is re-read when it changes (a rotation) and when a token names an unknown key.
          let file = keyFile.read();
          if (!file || (header.kid && !file.keys.some((key) => key.kid === header.kid))) file = keyFile.read(true);
          if (!file)
            throw new AuthError('unknown_key', 'this server has no signing key for its own tokens yet; create one with umca token create');
          if (file !== cachedFor) {
            cachedFor = file;
            jwks = createLocalJWKSet({ keys: file.keys.map((key) => key.publicJwk) });
          }
          return (jwks as ReturnType<typeof createLocalJWKSet>)(header, token);
        },
        roles: (payload) => rolesFromClaims(payload, ['roles']),
        // A retired key stops its remembered tokens too (the key file is looked at at most once a second).
        keyTrusted: (kid) => keyFile.read()?.keys.some((key) => key.kid === kid) ?? false,
        checkRevoked(payload) {
          if (typeof payload.jti === 'string' && revokedFile.read().revoked.some((entry) => entry.jti === payload.jti)) {
            throw new AuthError('token_revoked', 'this token was revoked; ask for a new one (umca token create)');
          }
        },
        signInHint: 'Ask the operator for a token (umca token create).',
        now,
        ...(authenticatorOptions.rememberMs === undefined ? {} : { rememberMs: authenticatorOptions.rememberMs }),
      });
    },
  };
  return store;
}
