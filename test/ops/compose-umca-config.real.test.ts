/**
 * What UMCA reads in ops/compose/compose.yaml, read by UMCA's own parsers with the environment the
 * stack gives each process (as docker-compose resolves it, plus the image's defaults, with the
 * mounted files found in the repository): the servers' configuration, the upstream MCP servers,
 * the workers' settings, the policy against Keycloak's realm, the MCP gateway, the RocketMQ
 * settings; and PostgreSQL's init script run against a real PostgreSQL. Tools: sh
 * scripts/setup-compose-tools.sh (docker-compose) and PostgreSQL (Debian's package).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkScaleOut, resolveServerConfig } from '@umca/orchestrator';
import { readAccessPolicy } from '@umca/policy';
import { readMcpServers } from '@umca/upstream-tools';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_DIR,
  type ComposeModel,
  mounts,
  type PreparedProject,
  prepareProject,
  ROOT,
  servicesOfProfile,
} from '../support/compose-project.js';
import { type RunningPostgres, startPostgres } from '../support/postgres.js';

const run = promisify(execFile);

let project: PreparedProject;
beforeAll(async () => {
  project = await prepareProject();
}, 120_000);
afterAll(() => project?.remove());
const full = () => project.full();

/** The service's environment with the container paths of its read-only bind mounts replaced by the files they mount. */
function onTheHost(model: ComposeModel, name: string, extra: Record<string, string> = {}): Record<string, string> {
  const service = model.services[name];
  if (!service) throw new Error(`no service ${name}`);
  const files = new Map(mounts(service).flatMap((mount) => (mount.source?.startsWith('/') ? [[mount.target, mount.source] as const] : [])));
  const env = Object.fromEntries(Object.entries({ ...service.environment, ...extra }).map(([key, value]) => [key, value ?? '']));
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, files.get(value) ?? value]));
}

/** The Containerfile's `ENV` settings for UMCA (the image's defaults that Compose adds to). */
function imageEnvironment(): Record<string, string> {
  const text = readFileSync(join(ROOT, 'Containerfile'), 'utf8').replace(/\\\n/g, ' ');
  const settings: Record<string, string> = {};
  for (const line of text.split('\n').filter((entry) => entry.startsWith('ENV '))) {
    for (const match of line.matchAll(/(UMCA_[A-Z_]+)=(\S+)/g)) settings[match[1] ?? ''] = match[2] ?? '';
  }
  return settings;
}

describe('what UMCA reads in the stack, through its own parsers', () => {
  it("the servers' settings are a valid configuration: remote workers on PostgreSQL and RocketMQ, Keycloak's issuer, the policy", () => {
    const image = imageEnvironment();
    expect(image.UMCA_HOST).toBe('0.0.0.0');
    for (const name of ['umca-serve-1', 'umca-serve-2']) {
      const env = { ...image, ...onTheHost(full(), name), UMCA_DATA_DIR: join(project.work, `${name}-data`) };
      const config = resolveServerConfig({ env, cwd: project.work });
      expect(config).toMatchObject({ workers: 'remote', host: '0.0.0.0', oidcAudience: 'umca', oidcClientId: 'umca-public' });
      expect(config.store).toMatch(/^postgres:\/\/umca:[0-9a-f]{48}@postgres:5432\/umca$/);
      expect(config.bus).toBe('rocketmq://rocketmq-broker:8081');
      expect(config.policy).toBe(join(COMPOSE_DIR, 'umca/policy.yaml'));
      // Each replica answers to the name others use for it.
      expect(config.allowedHosts).toContain(`${name}:${config.port}`);
    }
  });

  it('with the upstream MCP servers turned on (step 4), the servers read them with Dify and RAGFlow in the network', () => {
    const step4 = { UMCA_MCP_CONFIG: '/etc/umca/mcp-servers.json', DIFY_MCP_SERVER_CODE: 'AbCd1234', RAGFLOW_API_KEY: 'ragflow-test-key' };
    const env = { ...imageEnvironment(), ...onTheHost(full(), 'umca-serve-1', step4), UMCA_DATA_DIR: join(project.work, 'data') };
    const config = resolveServerConfig({ env, cwd: project.work });
    expect(config.mcpConfig).toBe(join(COMPOSE_DIR, 'umca/mcp-servers.json'));
    const servers = readMcpServers(config.mcpConfig ?? '', env);
    expect(servers.map((server) => [server.name, 'url' in server ? server.url : ''])).toEqual([
      ['ragflow', 'http://ragflow:9382/mcp'],
      ['dify', 'http://dify-api:5001/mcp/server/AbCd1234/mcp'],
    ]);
    expect(servers[0]).toMatchObject({ auth: { type: 'bearer', token: 'ragflow-test-key' } });
    // RAGFlow's MCP server listens where the file says.
    expect(full().services.ragflow?.command).toContain('--mcp-port=9382');
    const agents = servicesOfProfile(project.resolved.get('agents') as ComposeModel, 'agents');
    for (const server of servers) expect(agents).toContain(new URL('url' in server ? server.url : '').hostname);
    // Turned on before the keys exist, the server refuses to start and names the missing one.
    const early = { ...env, DIFY_MCP_SERVER_CODE: '' };
    expect(() => resolveServerConfig({ env: early, cwd: project.work })).toThrow(/DIFY_MCP_SERVER_CODE/);
  });

  it("the workers' settings are what umca worker needs", () => {
    for (const name of ['umca-worker-1', 'umca-worker-2']) {
      const env = full().services[name]?.environment ?? {};
      expect(checkScaleOut({ store: env.UMCA_STORE ?? '', bus: env.UMCA_BUS ?? '' }, {}, 'worker'), name).toEqual([]);
      expect(full().services[name]?.security_opt, name).toEqual(['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined']);
    }
    // Only the workers run sandboxes, so only they get the relaxed profiles.
    for (const name of ['umca-serve-1', 'umca-serve-2', 'umca-migrate']) expect(full().services[name]?.security_opt).toBeUndefined();
  });

  it("the policy grants the realm's roles and the gateway's role; the issuer is Keycloak's", () => {
    const policy = readAccessPolicy(readFileSync(join(COMPOSE_DIR, 'umca/policy.yaml'), 'utf8'), 'ops/compose/umca/policy.yaml');
    const realm = JSON.parse(readFileSync(join(ROOT, 'ops/keycloak/realm-umca.json'), 'utf8')) as {
      realm: string;
      roles: { realm: Array<{ name: string }> };
    };
    expect(Object.keys(policy.roles)).toEqual(expect.arrayContaining([...realm.roles.realm.map((role) => role.name), 'agent-platform']));
    expect(policy.roles['agent-platform']).toMatchObject({ upstreamTools: [], allowedOutboundHosts: [] });
    const keycloak = full().services.keycloak;
    const hostname = keycloak?.command?.find((argument) => argument.startsWith('--hostname='))?.slice('--hostname='.length);
    expect(full().services['umca-serve-1']?.environment?.UMCA_OIDC_ISSUER).toBe(`${hostname}/realms/${realm.realm}`);
    expect(mounts(keycloak ?? {}).map((mount) => mount.source)).toContain(join(ROOT, 'ops/keycloak/realm-umca.json'));
  });

  it("the MCP gateway sends Dify's and RAGFlow's calls to a server that answers to the name it uses", () => {
    const template = readFileSync(join(COMPOSE_DIR, 'gateway/umca-mcp.conf.template'), 'utf8');
    const target = /proxy_pass http:\/\/([a-z0-9-]+):(\d+);/.exec(template);
    const host = /proxy_set_header Host ([^;]+);/.exec(template)?.[1];
    expect(target).not.toBeNull();
    const [, service = '', port] = target ?? [];
    const env = full().services[service]?.environment ?? {};
    expect(env.UMCA_PORT).toBe(port);
    expect(env.UMCA_ALLOWED_HOSTS?.split(',')).toContain(host);
    // nginx fills the variable at start (a literal `${...}` here, not a template string).
    expect(template).toContain(['proxy_set_header Authorization "Bearer $', '{UMCA_AGENTS_TOKEN}";'].join(''));
  });

  it('the broker, the topics job and the servers agree on the cluster and the addresses', () => {
    const conf = Object.fromEntries(
      readFileSync(join(COMPOSE_DIR, 'rocketmq/broker.conf'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('=') && !line.startsWith('#'))
        .map((line) => line.split('=').map((part) => part.trim())),
    );
    expect(conf).toMatchObject({ brokerClusterName: 'DefaultCluster', namesrvAddr: 'rocketmq-namesrv:9876', brokerIP1: 'rocketmq-broker' });
    expect(full().services['rocketmq-topics']?.entrypoint?.join(' ')).toContain('--namesrv rocketmq-namesrv:9876');
    expect(full().services['rocketmq-broker']?.command).toContain('--enable-proxy');
  });
});

describe("PostgreSQL's init script, against a real PostgreSQL", () => {
  let postgres: RunningPostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await postgres?.close();
  });

  it('makes the database each service connects to, and each role logs in with its password; running it again is harmless', async () => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    // The image's superuser is `postgres`; this cluster's is `umca`, a name the script uses, so it runs as another.
    await admin.query("CREATE ROLE pgadmin SUPERUSER LOGIN PASSWORD 'pgadmin-test'");
    await admin.end();
    const postgresEnv = full().services.postgres?.environment ?? {};
    const env = {
      PATH: process.env.PATH,
      PGHOST: '127.0.0.1',
      PGPORT: String(postgres.port),
      PGPASSWORD: 'pgadmin-test',
      POSTGRES_USER: 'pgadmin',
      ...Object.fromEntries(Object.entries(postgresEnv).filter(([key]) => key.endsWith('_DB_PASSWORD'))),
    };
    const script = join(COMPOSE_DIR, 'postgres/init-databases.sh');
    await run('sh', [script], { env });
    await run('sh', [script], { env });
    const services = full().services;
    const connections = [
      services['umca-serve-1']?.environment?.UMCA_STORE ?? '',
      services.phoenix?.environment?.PHOENIX_SQL_DATABASE_URL ?? '',
      `postgres://keycloak:${services.keycloak?.environment?.KC_DB_PASSWORD}@postgres:5432/${services.keycloak?.environment?.KC_DB_URL?.split('/').pop()}`,
      ...['dify-api', 'dify-plugin-daemon'].map((name) => {
        const dify = services[name]?.environment ?? {};
        return `postgres://${dify.DB_USERNAME}:${dify.DB_PASSWORD}@${dify.DB_HOST}:${dify.DB_PORT}/${dify.DB_DATABASE}`;
      }),
    ];
    for (const connection of connections) {
      const url = new URL(connection.replace(/^postgresql:/, 'postgres:'));
      expect(url.hostname).toBe('postgres');
      const client = new pg.Client({
        host: '127.0.0.1',
        port: postgres.port,
        user: url.username,
        password: decodeURIComponent(url.password),
        database: url.pathname.slice(1),
      });
      await client.connect();
      const { rows } = await client.query('SELECT current_user AS who, current_database() AS db');
      await client.end();
      expect(rows[0], connection.replace(/:[^:@]+@/, ':***@')).toEqual({ who: url.username, db: url.pathname.slice(1) });
    }
  }, 60_000);

  it('refuses to run with a password missing, naming it', async () => {
    const failed = await run('sh', [join(COMPOSE_DIR, 'postgres/init-databases.sh')], {
      env: { PATH: process.env.PATH, UMCA_DB_PASSWORD: 'x', KEYCLOAK_DB_PASSWORD: 'x', PHOENIX_DB_PASSWORD: 'x' },
    }).catch((error) => error);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('DIFY_DB_PASSWORD is empty');
  });
});
