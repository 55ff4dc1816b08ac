/**
 * Identity and policy at the HTTP edge, in process: UMCA's own tokens (a real signing key in a
 * temporary data directory, the same verifier an OIDC issuer's tokens go through), a policy file,
 * the real run service, store and bus, and the scripted runner in place of the sandbox. What a
 * caller without a token, with a bad one, and with each role can and cannot do; whose runs each
 * sees; and that every refusal is an event.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createLocalTokenStore } from '@umca/auth';
import type { UmcaEvent } from '@umca/contracts';
import { createEmbeddedBus } from '@umca/events';
import { readAccessPolicy } from '@umca/policy';
import { createRunService } from '@umca/runs';
import { openSqliteStore } from '@umca/store';
import { createFakeRunner, createRecordingLogger } from '@umca/testkit';
import { describe, expect, it } from 'vitest';
import { createAccessControl, createApp, createMcpHttpHandler, createMcpServer, createMetrics } from '../src/index.js';

const HOST = '127.0.0.1:8787';
const POLICY = readAccessPolicy(`
version: umca.policy.v1
roles:
  viewer: { tools: [get_run, list_runs], allRuns: true }
  developer:
    tools: [run_code, get_run, list_runs, cancel_run]
    languages: [python]
    allowedOutboundHosts: ["https://*.example.com"]
    runsPerMinute: 3
    upstreamTools: ["ragflow_retrieval"]
  operator: { tools: ["*"], allRuns: true, allowedOutboundHosts: ["*://*:*"], upstreamTools: ["*"] }
`);

async function setUp() {
  const tokens = createLocalTokenStore({ dir: join(mkdtempSync(join(tmpdir(), 'umca-access-')), 'auth') });
  const store = openSqliteStore({ memory: true });
  const bus = createEmbeddedBus({ log: store.events });
  const runner = createFakeRunner(() => ({ output: [['stdout', 'hi\n']] }));
  const logger = createRecordingLogger();
  const metrics = createMetrics({ activeRuns: () => 0 });
  const runs = createRunService({ runner, store, bus, logger });
  const access = createAccessControl({
    authenticator: tokens.authenticator(),
    policy: POLICY,
    authorizationServers: ['https://idp.example/realms/umca'],
  });
  const mcp = createMcpHttpHandler({
    createServer: (grant) => createMcpServer({ runs, bus, quota: access.quota, logger, ...(grant ? { grant } : {}) }),
    streams: store.streams,
  });
  const app = createApp({
    access,
    runs,
    bus,
    runner,
    metrics,
    logger,
    upstream: {
      servers: () => [{ name: 'ragflow', transport: 'http', status: 'up', tools: 2, since: '2026-01-01T00:00:00Z' }],
      tools: () =>
        ['retrieval', 'delete_dataset'].map((tool) => ({
          name: `ragflow_${tool}`,
          server: 'ragflow',
          tool,
          description: '',
          inputSchema: {},
        })),
    },
    allowedHosts: () => new Set([HOST]),
    // The same mount as `umca serve` (start-server.ts).
    mount: (routes) =>
      routes.all('/mcp', (context) => {
        const grant = context.get('grant');
        return mcp.handle(context.req.raw, grant ? { grant } : undefined);
      }),
  });
  /** The official MCP SDK client over Streamable HTTP, its requests handed to the app in process. */
  const mcpClient = async (bearer: string) => {
    const client = new Client({ name: 'access-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`http://${HOST}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
      fetch: (url, init) => {
        const headers = new Headers(init?.headers);
        headers.set('host', HOST);
        return Promise.resolve(app.request(String(url), { ...init, headers }));
      },
    });
    await client.connect(transport);
    return { client, sessionId: transport.sessionId as string };
  };
  const token = async (sub: string, roles: string[], ttlSeconds = 600) => (await tokens.issue({ sub, roles, ttlSeconds })).token;
  const request = (path: string, init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}) =>
    Promise.resolve(
      app.request(path, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          host: HOST,
          'content-type': 'application/json',
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      }),
    );
  const events = async (type: string): Promise<UmcaEvent[]> =>
    (await bus.read({ after: 0, limit: 1_000 })).map((stored) => stored.event).filter((event) => event.type === type);
  return { request, token, events, runner, tokens, mcpClient };
}

const python = { language: 'python', code: 'print(1)' };

describe('a caller without a good token', () => {
  it('gets a 401 that says how to sign in, with the metadata MCP clients follow, and an auth.denied event', async () => {
    const { request, events } = await setUp();
    const response = await request('/v1/runs');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="umca", resource_metadata="http://127.0.0.1:8787/.well-known/oauth-protected-resource"',
    );
    expect(await response.json()).toMatchObject({
      code: 'token_missing',
      detail: expect.stringContaining('sign in at https://idp.example/realms/umca and send "Authorization: Bearer <token>"'),
    });
    const mcp = await request('/mcp', { body: {} });
    expect(mcp.headers.get('www-authenticate')).toContain(
      'resource_metadata="http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"',
    );
    expect(await events('dev.umca.auth.denied.v1')).toMatchObject([
      { data: { method: 'GET', path: '/v1/runs', code: 'token_missing' } },
      { data: { method: 'POST', path: '/mcp', code: 'token_missing' } },
    ]);
  });

  it('gets a 401 naming what failed, never the token itself', async () => {
    const { request, token } = await setUp();
    const good = await token('ada', ['developer']);
    const [header, payload] = good.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    for (const [sent, code] of [
      [forged, 'bad_signature'],
      ['not-a-jwt', 'token_malformed'],
    ] as const) {
      const response = await request('/v1/runs', { token: sent });
      expect(response.status).toBe(401);
      const body = await response.text();
      expect(JSON.parse(body).code).toBe(code);
      expect(body).not.toContain(sent);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const basic = await request('/v1/runs', { headers: { authorization: 'Basic YTpi' } });
    expect(await basic.json()).toMatchObject({ code: 'token_malformed', detail: 'the Authorization header is not "Bearer <token>"' });
  });

  it('still reaches what is public: the page’s health, the documents and the resource metadata', async () => {
    const { request } = await setUp();
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/schemas']) expect((await request(path)).status, path).toBe(200);
    expect(await (await request('/.well-known/oauth-protected-resource/mcp')).json()).toEqual({
      resource: 'http://127.0.0.1:8787/mcp',
      authorization_servers: ['https://idp.example/realms/umca'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['openid', 'profile'],
      resource_name: 'UMCA',
    });
  });
});

describe('the OpenAPI document of a server that needs tokens', () => {
  it('says so: a bearer scheme, the issuer, 401 and 429 where they can happen, and the public paths without', async () => {
    const { request } = await setUp();
    const document = await (await request('/openapi.json')).json();
    expect(document.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://idp.example/realms/umca/.well-known/openid-configuration' },
    });
    expect(document.paths['/v1/runs'].get.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(document.paths['/v1/runs'].get.responses)).toEqual(expect.arrayContaining(['401', '403', '503']));
    expect(Object.keys(document.paths['/v1/executions'].post.responses)).toContain('429');
    expect(document.paths['/healthz'].get.security).toBeUndefined();
    expect(Object.keys(document.paths['/healthz'].get.responses)).not.toContain('401');
  });
});

describe('each role', () => {
  it('a viewer reads runs but runs no code: 403 naming the rule, and a policy.denied event', async () => {
    const { request, token, events, runner } = await setUp();
    const viewer = await token('val', ['viewer']);
    expect((await request('/v1/runs', { token: viewer })).status).toBe(200);
    const refused = await request('/v1/executions', { token: viewer, body: python });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'policy_denied', rule: 'tools', tool: 'run_code' });
    expect(runner.executions).toEqual([]);
    expect(await events('dev.umca.policy.denied.v1')).toMatchObject([
      { principal: 'val', data: { sub: 'val', roles: ['viewer'], tool: 'run_code', rule: 'tools' } },
    ]);
  });

  it('a developer runs Python within its egress ceiling, and nothing else', async () => {
    const { request, token, runner } = await setUp();
    const developer = await token('ada', ['developer']);
    const ran = await request('/v1/executions', {
      token: developer,
      body: { ...python, allowedOutboundHosts: ['https://api.example.com'] },
    });
    expect(ran.status).toBe(200);
    for (const [body, rule] of [
      [{ language: 'javascript', code: '1' }, 'languages'],
      [{ ...python, allowedOutboundHosts: ['https://evil.test'] }, 'allowedOutboundHosts'],
    ] as const) {
      const response = await request('/v1/executions', { token: developer, body });
      expect(response.status).toBe(403);
      expect((await response.json()).rule).toBe(rule);
    }
    expect((await request('/metrics', { token: developer })).status).toBe(403);
    expect(runner.executions).toHaveLength(1);
  });

  it('a role the policy does not name may do nothing', async () => {
    const { request, token } = await setUp();
    const response = await request('/v1/runs', { token: await token('eve', ['admin']) });
    expect(response.status).toBe(403);
    expect((await response.json()).detail).toContain("has no role this server's policy names (the token carries admin)");
  });

  it('runs are capped per minute with a 429 that says when to try again', async () => {
    const { request, token } = await setUp();
    const developer = await token('ada', ['developer']);
    for (let run = 0; run < 3; run++) expect((await request('/v1/executions', { token: developer, body: python })).status).toBe(200);
    const capped = await request('/v1/executions', { token: developer, body: python });
    expect(capped.status).toBe(429);
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await capped.json()).toMatchObject({ code: 'quota_exceeded', rule: 'runsPerMinute' });
  });
});

describe('upstream MCP tools', () => {
  it('are listed to each caller as its roles allow, none unless the policy names them', async () => {
    const { request, token } = await setUp();
    const names = async (roles: string[]) =>
      (
        (await (await request('/v1/tools', { token: await token('someone', roles) })).json()) as { tools: Array<{ name: string }> }
      ).tools.map((tool) => tool.name);
    expect(await names(['developer'])).toEqual(['ragflow_retrieval']);
    expect(await names(['viewer'])).toEqual([]);
    expect(await names(['operator'])).toEqual(['ragflow_retrieval', 'ragflow_delete_dataset']);
  });
});

describe('whose runs', () => {
  it('each principal sees, follows and cancels its own; a role with allRuns sees everyone’s', async () => {
    const { request, token } = await setUp();
    const ada = await token('ada', ['developer']);
    const bob = await token('bob', ['developer']);
    const viewer = await token('val', ['viewer']);
    const adas = (await (await request('/v1/executions', { token: ada, body: python })).json()).runId;
    const bobs = (await (await request('/v1/executions', { token: bob, body: python })).json()).runId;

    const run = await (await request(`/v1/runs/${adas}`, { token: ada })).json();
    expect(run.principal).toEqual({ sub: 'ada', roles: ['developer'], issuer: 'urn:umca:local', via: 'local' });
    for (const path of [`/v1/runs/${adas}`, `/v1/runs/${adas}/events`, `/v1/runs/${adas}/trace`]) {
      const hidden = await request(path, { token: bob });
      expect(hidden.status, path).toBe(404);
      expect((await hidden.json()).detail).toBe(`there is no run ${adas}`);
    }
    expect((await request(`/v1/runs/${adas}/cancel`, { method: 'POST', token: bob })).status).toBe(404);
    const listed = async (who: string) =>
      (await (await request('/v1/runs', { token: who })).json()).runs.map((entry: { id: string }) => entry.id);
    expect(await listed(ada)).toEqual([adas]);
    expect(await listed(viewer)).toEqual([bobs, adas]);
    expect((await request(`/v1/runs/${bobs}`, { token: viewer })).status).toBe(200);
  });

  it('the all-runs stream carries only the caller’s own events, each with its principal', async () => {
    const { request, token } = await setUp();
    const ada = await token('ada', ['developer'], 2);
    await request('/v1/executions', { token: await token('bob', ['developer']), body: python });
    await request('/v1/executions', { token: ada, body: python });
    // The stream lasts as long as the token: it ends when the token expires, and the client resumes with a new one.
    const text = await (await request('/v1/events?after=0', { token: ada })).text();
    const events = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)));
    expect(events.length).toBeGreaterThan(3);
    expect(new Set(events.map((event) => event.principal))).toEqual(new Set(['ada']));
  });
});

describe('MCP', () => {
  it('lists a caller only the tools its role may call', async () => {
    const { token, mcpClient } = await setUp();
    const names = async (roles: string[]) => {
      const { client } = await mcpClient(await token(`u-${roles.join()}`, roles));
      const listed = (await client.listTools()).tools.map((tool) => tool.name).sort();
      await client.close();
      return listed;
    };
    expect(await names(['viewer'])).toEqual(['get_run', 'list_runs']);
    expect(await names(['developer'])).toEqual(['get_run', 'list_runs', 'run_code']);
    expect(await names(['operator'])).toEqual(['get_run', 'list_runs', 'run_code', 'run_task']);
  });

  it('refuses a call outside the policy as a tool error with the rule, and a policy.denied event', async () => {
    const { token, mcpClient, events, runner } = await setUp();
    const { client } = await mcpClient(await token('ada', ['developer']));
    const refused = await client.callTool({ name: 'run_code', arguments: { language: 'javascript', code: '1' } });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('may not run javascript; it may run python');
    const ran = await client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print(1)' } });
    expect(ran.structuredContent).toMatchObject({ status: 'ok' });
    expect(runner.executions).toHaveLength(1);
    expect(await events('dev.umca.policy.denied.v1')).toMatchObject([{ principal: 'ada', data: { rule: 'languages', tool: 'run_code' } }]);
    await client.close();
  });

  it('keeps each principal to its own runs and its own session', async () => {
    const { token, mcpClient, request } = await setUp();
    const adaToken = await token('ada', ['developer']);
    const ada = await mcpClient(adaToken);
    const ran = await ada.client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print(1)' } });
    const runId = (ran.structuredContent as { runId: string }).runId;
    const bob = await mcpClient(await token('bob', ['developer']));
    const error = await bob.client.readResource({ uri: `umca://runs/${runId}` }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32002);
    expect((await bob.client.callTool({ name: 'get_run', arguments: { runId } })).isError).toBe(true);
    expect((await bob.client.listResources()).resources).toEqual([]);
    expect((await ada.client.listResources()).resources.map((resource) => resource.name)).toEqual([runId]);
    // Bob sending requests on Ada's session finds no such session.
    const hijack = await request('/mcp', {
      token: await token('bob', ['developer']),
      headers: { 'mcp-session-id': ada.sessionId, accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: { jsonrpc: '2.0', id: 9, method: 'tools/list' },
    });
    expect(hijack.status).toBe(404);
    await ada.client.close();
    await bob.client.close();
  });
});

describe('a server without authentication', () => {
  it('is the single user’s: no token, everything allowed, runs recorded without a principal', async () => {
    const store = openSqliteStore({ memory: true });
    const bus = createEmbeddedBus({ log: store.events });
    const runner = createFakeRunner();
    const logger = createRecordingLogger();
    const runs = createRunService({ runner, store, bus, logger });
    const app = createApp({
      access: createAccessControl({}),
      runs,
      bus,
      runner,
      logger,
      metrics: createMetrics({ activeRuns: () => 0 }),
      allowedHosts: () => new Set([HOST]),
    });
    const response = await app.request('/v1/executions', {
      method: 'POST',
      headers: { host: HOST, 'content-type': 'application/json' },
      body: JSON.stringify({ ...python, allowedOutboundHosts: ['*://*:*'] }),
    });
    expect(response.status).toBe(200);
    const { runId } = await response.json();
    expect(await (await app.request(`/v1/runs/${runId}`, { headers: { host: HOST } })).json()).not.toHaveProperty('principal');
    expect((await app.request('/.well-known/oauth-protected-resource', { headers: { host: HOST } })).status).toBe(404);
  });
});
