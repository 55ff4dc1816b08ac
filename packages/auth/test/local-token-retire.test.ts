/**
 * A planned rotation of UMCA's own keys: `rotate` (the old key keeps verifying while new tokens
 * are handed out), then `retire` (every key but the current one goes). Unlike
 * `rotate({ retirePrevious: true })`, which is for a key that leaked and stops every token, the
 * tokens of the current key survive the retirement.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthError, createLocalTokenStore } from '../src/index.js';

describe('retiring the previous keys after a rotation', () => {
  it('refuses the old key’s tokens, remembered ones too, and keeps the new key’s working', async () => {
    let clock = new Date('2026-12-04T12:00:00Z');
    const store = createLocalTokenStore({ dir: join(mkdtempSync(join(tmpdir(), 'umca-auth-')), 'auth'), now: () => clock });
    const verifier = store.authenticator();
    const before = await store.issue({ sub: 'a', roles: ['developer'], ttlSeconds: 600 });
    await verifier.authenticate(before.token);
    const { kid } = await store.rotate();
    const after = await store.issue({ sub: 'b', roles: ['developer'], ttlSeconds: 600 });
    expect((await verifier.authenticate(after.token)).sub).toBe('b');
    expect((await verifier.authenticate(before.token)).sub).toBe('a');

    expect(store.retire()).toEqual({ kid, retired: 1 });
    clock = new Date(clock.getTime() + 2_000); // the key file is looked at at most once a second
    const refusal = await verifier.authenticate(before.token).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(AuthError);
    expect((refusal as AuthError).code).toBe('unknown_key');
    expect((await verifier.authenticate(after.token)).sub).toBe('b');
    expect(store.retire()).toEqual({ kid, retired: 0 });
  });

  it('says what to do when there is no key yet', () => {
    const store = createLocalTokenStore({ dir: join(mkdtempSync(join(tmpdir(), 'umca-auth-')), 'auth') });
    expect(() => store.retire()).toThrow(/no signing key .* umca token create/);
  });
});
