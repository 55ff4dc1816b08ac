/**
 * The key-rotation runbook, run as an operator runs it: ops/runbooks/rotate-keys-drill.sh rotates
 * UMCA's own signing keys, then a real Keycloak realm's, each while a real `umca serve` keeps
 * answering a client that never stops calling it, and checks that nothing fails until the old key
 * is retired, that the new key is honoured without a restart, and that the old key's tokens are
 * then refused with a clear 401. Its evidence file is what an auditor reads.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepEvidence } from '../support/evidence.js';
import { type RunningKeycloak, startKeycloak } from '../support/keycloak.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DRILL = join(ROOT, 'ops/runbooks/rotate-keys-drill.sh');
// The CLI as built, not ./umca, which may rebuild: the suite has just built it.
const ENV = { ...process.env, UMCA_CLI: `node ${join(ROOT, 'apps/cli/bin/umca.js')}` };
const CI_SECRET = (
  JSON.parse(readFileSync(join(ROOT, 'ops/keycloak/realm-umca.json'), 'utf8')) as { clients: Array<{ clientId: string; secret?: string }> }
).clients.find((client) => client.clientId === 'umca-ci')?.secret;

function drillFailure(error: unknown): never {
  const { stdout, stderr } = error as { stdout?: string; stderr?: string };
  throw new Error(`the drill failed:\n${stderr ?? ''}\n${stdout ?? ''}`);
}

describe('the key-rotation drill', () => {
  it('rotates and retires UMCA’s own keys without a failed request, and writes its evidence', async () => {
    const evidence = mkdtempSync(join(tmpdir(), 'umca-rotate-evidence-'));
    const { stdout, stderr } = await run('sh', [DRILL, '--only', 'local', '--overlap-seconds', '2', '--evidence', evidence], {
      cwd: ROOT,
      env: ENV,
      timeout: 240_000,
    }).catch(drillFailure);
    expect(stderr).not.toContain('FAILED');
    expect(stderr).toContain("ok: local: the retired key's token is refused with 401 unknown_key");
    expect(stderr).toContain("ok: local: the new key's token still works after the retirement");
    const result = JSON.parse(stdout.trim());
    expect(result).toMatchObject({ drill: 'rotate-keys', ok: true, keycloak: null, local: { failed: 0 } });
    expect(result.local.requests).toBeGreaterThan(0);
    expect(result.local.newKeyHonouredMs).toBeGreaterThanOrEqual(0);
    expect(result.local.oldKeyRefusedAfterMs).toBeGreaterThanOrEqual(0);
    console.info(`rotate-keys drill (local): ${stdout.trim()}`);
    const [file] = readdirSync(evidence);
    expect(file).toMatch(/^rotate-keys-\d{8}T\d{6}Z\.json$/);
    expect(JSON.parse(readFileSync(join(evidence, file ?? ''), 'utf8'))).toEqual(result);
    keepEvidence(evidence);
  }, 250_000);

  describe('against a real Keycloak', () => {
    let keycloak: RunningKeycloak;
    const adminPassword = `drill-${Date.now().toString(36)}`;

    beforeAll(async () => {
      keycloak = await startKeycloak();
      // An operator's own admin: a master-realm user with the admin role, as the drill's flags expect.
      const token = await keycloak.adminToken();
      const admin = (path: string, init: RequestInit = {}) =>
        fetch(`${keycloak.url}/admin/realms/master${path}`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        });
      const created = await admin('/users', {
        method: 'POST',
        body: JSON.stringify({
          username: 'drill-admin',
          enabled: true,
          email: 'drill-admin@umca.test',
          emailVerified: true,
          firstName: 'Drill',
          lastName: 'Admin',
          credentials: [{ type: 'password', value: adminPassword, temporary: false }],
        }),
      });
      expect(created.status).toBe(201);
      const userId = created.headers.get('location')?.split('/').pop();
      const role = await (await admin('/roles/admin')).json();
      expect((await admin(`/users/${userId}/role-mappings/realm`, { method: 'POST', body: JSON.stringify([role]) })).status).toBe(204);
    }, 180_000);

    afterAll(async () => {
      await keycloak?.close();
    });

    it('rotates the realm’s signing key while UMCA serves: the new key honoured without a restart, the removed one refused', async () => {
      const evidence = mkdtempSync(join(tmpdir(), 'umca-rotate-evidence-'));
      const { stdout, stderr } = await run(
        'sh',
        [
          DRILL,
          ...['--only', 'keycloak', '--keycloak-url', keycloak.url, '--realm', 'umca', '--admin-user', 'drill-admin'],
          ...['--overlap-seconds', '2', '--evidence', evidence],
        ],
        {
          cwd: ROOT,
          env: { ...ENV, KEYCLOAK_ADMIN_PASSWORD: adminPassword, KEYCLOAK_CLIENT_SECRET: CI_SECRET },
          timeout: 400_000,
        },
      ).catch(drillFailure);
      expect(stderr).not.toContain('FAILED');
      expect(stderr).toContain("ok: keycloak: the removed key's token is refused with 401 unknown_key (not token_expired)");
      const result = JSON.parse(stdout.trim());
      expect(result).toMatchObject({ drill: 'rotate-keys', ok: true, local: null, keycloak: { failed: 0 } });
      expect(result.keycloak.newKid).not.toBe(result.keycloak.oldKid);
      expect(result.keycloak.requests).toBeGreaterThan(0);
      // The realm really rotated: its JWKS holds the new key and not the old one.
      const jwks = (await (await fetch(`${keycloak.issuer}/protocol/openid-connect/certs`)).json()) as { keys: Array<{ kid: string }> };
      const kids = jwks.keys.map((key) => key.kid);
      expect(kids).toContain(result.keycloak.newKid);
      expect(kids).not.toContain(result.keycloak.oldKid);
      const [file] = readdirSync(evidence);
      expect(JSON.parse(readFileSync(join(evidence, file ?? ''), 'utf8'))).toEqual(result);
      keepEvidence(evidence);
      // The figures, for whoever reads the suite's output (docs/runbooks/rotate-keys.md quotes them).
      console.info(`rotate-keys drill (keycloak): ${stdout.trim()}`);
    }, 420_000);
  });

  it('refuses bad usage with exit 2, naming the flag', async () => {
    const failure = await run('sh', [DRILL, '--keycloak-url', 'http://127.0.0.1:1'], { cwd: ROOT, env: ENV }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('--keycloak-url needs --realm NAME');
    const overlap = await run('sh', [DRILL, '--overlap-seconds', 'soon'], { cwd: ROOT, env: ENV }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(overlap?.code).toBe(2);
    expect(overlap?.stderr).toContain("--overlap-seconds must be a whole number, not 'soon'");
  });
});
