/**
 * HTTPS out of the sandbox: the host makes the TLS connection, to the address it checked, and
 * verifies the certificate against the name the program asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTlsFixture, type TlsFixture } from '../../policy/test/support/tls-fixture.js';
import { useRunner } from './support/use-runner.js';

let fixture: TlsFixture;
const trustedCa: string[] = [];
beforeAll(async () => {
  fixture = await startTlsFixture();
  trustedCa.push(fixture.ca);
});
afterAll(() => fixture.close());

const runner = useRunner({
  warmChildren: 1,
  egress: {
    ca: trustedCa,
    resolveHost: async (host) => {
      if (host === 'secure.test' || host === 'impostor.test') return ['127.0.0.1'];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  },
});

describe('HTTPS egress', () => {
  it('verifies the certificate for the requested name and returns the response', async () => {
    const rules = [`https://secure.test:${fixture.port}`, `https://127.0.0.1:${fixture.port}`];
    const result = await runner().run({
      language: 'python',
      code: `import urllib.request\nprint(urllib.request.urlopen("https://secure.test:${fixture.port}/").read().decode())`,
      allowedOutboundHosts: rules,
    });
    expect(result).toMatchObject({ status: 'ok', stdout: `secure hello, you asked for secure.test:${fixture.port}\n` });
    expect(result.egress[0]).toMatchObject({ verdict: 'allowed', status: 200, address: '127.0.0.1' });
  });

  it('refuses a certificate that does not name the requested host', async () => {
    const result = await runner().run({
      language: 'javascript',
      code: `await fetch("https://impostor.test:${fixture.port}/")`,
      allowedOutboundHosts: [`https://impostor.test:${fixture.port}`, `https://127.0.0.1:${fixture.port}`],
    });
    expect(result.status).toBe('error');
    expect(result.egress[0]?.reason).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/i);
  });
});
