/**
 * Gate G0 against a real Keycloak 26 with UMCA's realm (ops/keycloak), started once for the whole
 * suite (only this file needs it; test/support/keycloak.ts starts it, scripts/setup-keycloak.sh
 * installs it):
 * tokens from the password and client-credentials grants reach exactly what their role allows over
 * HTTP, SSE and MCP (the official MCP SDK client); every rejection is tried with a real token that
 * was forged, altered, mis-addressed or out of its time; a key rotation in Keycloak is picked up
 * without a restart; and a person signs in to the web page in real Chromium (authorization code
 * with PKCE) and runs code.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type AuthError, createOidcAuthenticator } from '@umca/auth';
import { createClient } from '@umca/client';
import type { UmcaEvent } from '@umca/contracts';
import { type RunningServer, resolveServerConfig, startServer } from '@umca/orchestrator';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../apps/orchestrator/test/support/launch-chromium.js';
import { type RunningKeycloak, startKeycloak } from './support/keycloak.js';

const POLICY = fileURLToPath(new URL('../ops/policy/example-policy.yaml', import.meta.url));
const quiet = { info() {}, warn() {}, error() {} };
const PASSWORD = 'a-long-test-password';

let keycloak: RunningKeycloak;
let server: RunningServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  keycloak = await startKeycloak();
  for (const [user, roles] of Object.entries({ val: ['viewer'], ada: ['developer'], olga: ['operator'], nora: [] })) {
    await keycloak.createUser(user, PASSWORD, roles);
    tokens[user] = (await keycloak.passwordToken(user, PASSWORD)).access_token;
  }
  tokens.ci = (await keycloak.clientCredentialsToken()).access_token;
  server = await startServer(
    resolveServerConfig({
      flags: {
        port: 0,
        dataDir: mkdtempSync(join(tmpdir(), 'umca-identity-')),
        oidcIssuer: keycloak.issuer,
        oidcClientId: 'umca-public',
        policy: POLICY,
      },
      env: {},
    }),
    { logger: quiet },
  );
}, 600_000);

afterAll(async () => {
  await server?.close();
  await keycloak?.close();
});

const call = (path: string, token: string | undefined, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const python = { language: 'python', code: 'print(6 * 7)' };

describe("UMCA's realm (ops/keycloak)", () => {
  const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
  const audiences = (aud: string | string[]) => (typeof aud === 'string' ? [aud] : aud);

  it("gives a user and the CI client tokens with UMCA's issuer, audience and realm roles", () => {
    for (const [token, role, client] of [
      [tokens.ada, 'developer', 'umca-public'],
      [tokens.ci, 'developer', 'umca-ci'],
    ] as const) {
      const payload = claims(token as string);
      expect(payload.iss).toBe(keycloak.issuer);
      expect(audiences(payload.aud)).toContain('umca');
      expect(payload.realm_access.roles).toContain(role);
      expect(payload.azp).toBe(client);
    }
  });

  it('accepts a loopback redirect on any port, and VS Code’s, only with PKCE S256', async () => {
    const authorize = (parameters: Record<string, string>) =>
      fetch(
        `${keycloak.issuer}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: 'umca-public', response_type: 'code', ...parameters })}`,
        { redirect: 'manual' },
      );
    const challenge = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
    expect((await authorize({ redirect_uri: 'http://127.0.0.1:54321/callback', ...challenge })).status).toBe(200);
    expect((await authorize({ redirect_uri: 'http://127.0.0.1:33418/', ...challenge })).status).toBe(200);
    expect((await authorize({ redirect_uri: 'https://vscode.dev/redirect', ...challenge })).status).toBe(200);
    expect((await authorize({ redirect_uri: 'http://127.0.0.1.example/callback', ...challenge })).status).toBe(400);
    const withoutPkce = await authorize({ redirect_uri: 'http://127.0.0.1:54321/callback' });
    expect(withoutPkce.headers.get('location')).toContain('error=invalid_request');
  });
});

describe('over HTTP, a Keycloak token reaches exactly what its role allows', () => {
  it('a viewer reads runs but runs no code', async () => {
    expect((await call('/v1/runs', tokens.val)).status).toBe(200);
    const refused = await call('/v1/executions', tokens.val, python);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'policy_denied', rule: 'tools', tool: 'run_code' });
  });

  it('a developer runs Python only, within its egress ceiling; the CI client (a developer) too', async () => {
    const ran = await (await call('/v1/executions', tokens.ada, { ...python, allowedOutboundHosts: ['https://api.example.com'] })).json();
    expect(ran).toMatchObject({ status: 'ok', stdout: '42\n' });
    expect((await (await call(`/v1/runs/${ran.runId}`, tokens.ada)).json()).principal).toMatchObject({
      name: 'ada',
      roles: expect.arrayContaining(['developer']),
      issuer: keycloak.issuer,
      via: 'oidc',
    });
    for (const [body, rule] of [
      [{ language: 'javascript', code: '1' }, 'languages'],
      [{ ...python, allowedOutboundHosts: ['https://evil.test'] }, 'allowedOutboundHosts'],
    ] as const) {
      const refused = await call('/v1/executions', tokens.ada, body);
      expect(refused.status).toBe(403);
      expect((await refused.json()).rule).toBe(rule);
    }
    expect((await (await call('/v1/executions', tokens.ci, python)).json()).stdout).toBe('42\n');
  });

  it('an operator may do everything; a user with no role, nothing', async () => {
    expect((await call('/metrics', tokens.olga)).status).toBe(200);
    expect((await call('/v1/executions', tokens.olga, { language: 'javascript', code: 'console.log(1)' })).status).toBe(200);
    const nobody = await call('/v1/runs', tokens.nora);
    expect(nobody.status).toBe(403);
    expect((await nobody.json()).detail).toContain("has no role this server's policy names");
  });

  it('without a token: 401 with the metadata that names Keycloak', async () => {
    const refused = await call('/v1/runs', undefined);
    expect(refused.status).toBe(401);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    const metadataUrl = challenge.match(/resource_metadata="([^"]+)"/)?.[1] as string;
    expect(await (await fetch(metadataUrl)).json()).toMatchObject({ resource: server.url, authorization_servers: [keycloak.issuer] });
  });
});

describe('over SSE, each follows what it may see', () => {
  it('a developer follows its own run and sees only its own runs on the all-runs stream; a viewer sees everyone’s', async () => {
    const ada = createClient({ baseUrl: server.url, token: tokens.ada });
    const result = await ada.runCode('print("followed")');
    const events: UmcaEvent[] = [];
    for await (const { event } of ada.followRun(result.runId)) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'dev.umca.run.ended.v1', principal: expect.any(String) });
    const adaSub = events[0]?.principal;

    const olga = createClient({ baseUrl: server.url, token: tokens.olga });
    const theirs = await olga.runCode('print("not ada\'s")');
    const seenBy = async (token: string) => {
      const subs = new Set<string | undefined>();
      const controller = new AbortController();
      const client = createClient({ baseUrl: server.url, token });
      let count = 0;
      for await (const { event } of client.events({ after: 0, signal: controller.signal })) {
        subs.add(event.principal);
        if (event.subject === theirs.runId && event.type === 'dev.umca.run.ended.v1') break;
        if (++count > 2_000) break;
      }
      controller.abort();
      return subs;
    };
    const forViewer = await seenBy(tokens.val as string);
    expect(forViewer.has(adaSub)).toBe(true);
    expect(forViewer.size).toBeGreaterThan(1);
    // Ada's stream never shows Olga's run: a run of hers started after Olga's ends the reading.
    const marker = await ada.runCode('print("after olga")');
    const controller = new AbortController();
    const adaSaw = new Set<string>();
    for await (const { event } of ada.events({ after: 0, signal: controller.signal })) {
      adaSaw.add(event.subject);
      if (event.subject === marker.runId && event.type === 'dev.umca.run.ended.v1') break;
    }
    controller.abort();
    expect(adaSaw.has(result.runId)).toBe(true);
    expect(adaSaw.has(theirs.runId)).toBe(false);
    const hidden = await call(`/v1/runs/${theirs.runId}/events`, tokens.ada);
    expect(hidden.status).toBe(404);
  });
});

describe('over MCP, with the official SDK client', () => {
  async function mcp(token: string) {
    const client = new Client({ name: 'identity-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
    );
    return client;
  }

  it('lists each role its tools and runs within the policy', async () => {
    const viewer = await mcp(tokens.val as string);
    expect((await viewer.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['get_run', 'list_runs']);
    await viewer.close();
    const developer = await mcp(tokens.ada as string);
    expect((await developer.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'create_session',
      'end_session',
      'get_run',
      'list_runs',
      'run_code',
      'run_task',
    ]);
    expect(
      (await developer.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print(7)' } })).structuredContent,
    ).toMatchObject({
      stdout: '7\n',
    });
    const refused = await developer.callTool({ name: 'run_code', arguments: { language: 'javascript', code: '1' } });
    expect(refused.isError).toBe(true);
    await developer.close();
  });

  it('refuses a client without a token with the 401 MCP clients sign in from', async () => {
    const response = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain(
      `resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(await (await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)).json()).toMatchObject({
      resource: `${server.url}/mcp`,
      authorization_servers: [keycloak.issuer],
    });
  });
});

describe('every rejection, with a real token', () => {
  const part = (token: string, index: number) => JSON.parse(Buffer.from(token.split('.')[index] as string, 'base64url').toString());
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  async function refusedCode(token: string): Promise<string> {
    const response = await call('/v1/runs', token);
    expect(response.status).toBe(401);
    const body = await response.text();
    expect(body).not.toContain(token);
    const signature = token.split('.')[2] ?? '';
    if (signature.length > 8) expect(body).not.toContain(signature);
    return JSON.parse(body).code;
  }

  it('an altered token, an unsigned one, an HMAC keyed with the public key, and a key Keycloak does not have', async () => {
    const real = tokens.ada as string;
    const [header, , signature] = real.split('.');
    expect(await refusedCode(`${header}.${encode({ ...part(real, 1), realm_access: { roles: ['operator'] } })}.${signature}`)).toBe(
      'bad_signature',
    );
    expect(await refusedCode(`${encode({ alg: 'none', typ: 'JWT' })}.${real.split('.')[1]}.`)).toMatch(
      /algorithm_not_allowed|token_malformed/,
    );

    const jwks = await (await fetch(`${keycloak.issuer}/protocol/openid-connect/certs`)).json();
    const key = jwks.keys.find((candidate: { kid: string }) => candidate.kid === part(real, 0).kid);
    const confused = await new SignJWT({ ...part(real, 1), realm_access: { roles: ['operator'] } })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(new TextEncoder().encode(JSON.stringify(key)));
    expect(await refusedCode(confused)).toBe('algorithm_not_allowed');

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const foreign = await new SignJWT({ ...part(real, 1) }).setProtectedHeader({ alg: 'RS256', kid: 'not-keycloaks' }).sign(privateKey);
    expect(await refusedCode(foreign)).toBe('unknown_key');
  });

  it('a token for another issuer name, another audience, out of its time, or without sub', async () => {
    const real = tokens.ada as string;
    const localhostIssuer = keycloak.issuer.replace('127.0.0.1', 'localhost');
    const at = (issuer: string, audience: string, now?: () => Date) =>
      createOidcAuthenticator({ issuer, audience, ...(now ? { now } : {}) }).authenticate(real);
    const code = async (promise: Promise<unknown>) =>
      promise.then(
        () => 'accepted',
        (error: AuthError) => error.code,
      );
    expect(await code(at(keycloak.issuer, 'umca'))).toBe('accepted');
    expect(await code(at(keycloak.issuer, 'another-service'))).toBe('wrong_audience');
    expect(await code(at(keycloak.issuer, 'umca', () => new Date(Date.now() + 3_600_000)))).toBe('token_expired');
    // Keycloak's tokens carry no nbf; a token not valid yet is tried with UMCA's own (packages/auth/test).
    // A server told localhost trusts localhost's tokens; Keycloak signs them as 127.0.0.1.
    const misnamed = await code(at(localhostIssuer, 'umca'));
    expect(misnamed).toMatch(/wrong_issuer|issuer_unreachable/);

    // A client without Keycloak's `basic` scope gets user tokens with no `sub` (service accounts always have one).
    const admin = await keycloak.adminToken();
    const asAdmin = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const created = await fetch(`${keycloak.url}/admin/realms/umca/clients`, {
      method: 'POST',
      headers: asAdmin,
      body: JSON.stringify({ clientId: 'no-sub', publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false }),
    });
    const clientPath = created.headers.get('location') as string;
    const scopes = (await (await fetch(`${clientPath}/default-client-scopes`, { headers: asAdmin })).json()) as {
      id: string;
      name: string;
    }[];
    const basic = scopes.find((scope) => scope.name === 'basic') as { id: string };
    await fetch(`${clientPath}/default-client-scopes/${basic.id}`, { method: 'DELETE', headers: asAdmin });
    const audience = (await (await fetch(`${keycloak.url}/admin/realms/umca/client-scopes`, { headers: asAdmin })).json()).find(
      (scope: { name: string }) => scope.name === 'umca-audience',
    );
    await fetch(`${clientPath}/default-client-scopes/${audience.id}`, { method: 'PUT', headers: asAdmin });
    const subless = (await keycloak.passwordToken('ada', PASSWORD, 'no-sub')).access_token;
    expect(part(subless, 1).sub).toBeUndefined();
    expect(await refusedCode(subless)).toBe('claim_missing');
  });

  it('every refusal is an auth.denied event', async () => {
    const olga = createClient({ baseUrl: server.url, token: tokens.olga });
    const last = (await olga.readiness()).lastEventOffset;
    expect(last).toBeGreaterThan(0);
    const controller = new AbortController();
    const codes = new Set<string>();
    for await (const { offset, event } of olga.events({ after: 0, signal: controller.signal })) {
      if (event.type === 'dev.umca.auth.denied.v1') codes.add(event.data.code);
      if (offset >= last) break;
    }
    controller.abort();
    for (const code of ['token_missing', 'bad_signature', 'algorithm_not_allowed', 'unknown_key', 'claim_missing']) {
      expect(codes, code).toContain(code);
    }
  });
});

describe('a key rotation in Keycloak', () => {
  it('is picked up by the running server, without a restart', async () => {
    const before = tokens.ada as string;
    await keycloak.rotateKeys();
    const after = (await keycloak.passwordToken('ada', PASSWORD)).access_token;
    const kid = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid;
    expect(kid(after)).not.toBe(kid(before));
    const jwks = (await (await fetch(`${keycloak.issuer}/protocol/openid-connect/certs`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([kid(after)]));
    expect(jwks.keys.map((key) => key.kid)).not.toContain(kid(before));
    // The new key id is fetched at most once in five seconds: try a bounded number of times.
    let status = 0;
    for (let attempt = 0; attempt < 30 && status !== 200; attempt++) {
      status = (await call('/v1/runs', after)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(status).toBe(200);
  });
});

describe('the web page', () => {
  it('signs a person in at Keycloak (code flow with PKCE) and runs their code; a viewer is refused', async () => {
    const browser = await launchChromium();
    try {
      for (const [user, expectation] of [
        ['ada', 'ran'],
        ['val', 'refused'],
      ] as const) {
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.getByTestId('sign-in').click();
        await page.locator('#username').fill(user);
        await page.locator('#password').fill(PASSWORD);
        await page.locator('#kc-login').click();
        await page.getByTestId('signed-in-as').waitFor();
        expect(await page.getByTestId('signed-in-as').textContent()).toBe(user);
        expect(page.url()).not.toContain('code=');
        await page.fill('[data-testid=code]', 'print(6 * 7)');
        await page.click('[data-testid=run]');
        if (expectation === 'ran') {
          await page.waitForFunction(() => document.querySelector('[data-testid=output]')?.textContent?.includes('42'));
        } else {
          await page.waitForSelector('[data-testid=problem]');
          expect(await page.textContent('[data-testid=problem]')).toContain('may not use run_code');
        }
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });

  it('shows a caller without a session how to sign in, and nothing else', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.getByTestId('sign-in-panel').waitFor();
      expect(await page.getByTestId('sign-in-panel').textContent()).toContain(keycloak.issuer);
      expect(await page.locator('[data-testid=runs]').count()).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
