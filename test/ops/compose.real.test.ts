/**
 * ops/compose/compose.yaml, the whole stack as one Compose project, checked without a container
 * engine (none runs on these machines): resolved for each profile by two real Compose
 * implementations (Debian's docker-compose 1.29 `config`, and compose-go, the loader of
 * `docker compose` v2), a missing secret refused by name; validated, as written and as resolved,
 * against the Compose specification's JSON Schema (compose-go's compose-spec.json); and the
 * promises of docs/compose.md (pinned images, health checks, named volumes, the services of each
 * profile, no secret in the file) held. compose-umca-config.real.test.ts checks what UMCA reads in
 * it. Tools: sh scripts/setup-compose-tools.sh.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_DIR,
  type ComposeModel,
  dependencies,
  loadWithComposeGo,
  mounts,
  PROFILES,
  type PreparedProject,
  prepareProject,
  ROOT,
  readWrittenProject,
  requiredVariables,
  runCompose,
  SETUP_HINT,
  servicesOfProfile,
} from '../support/compose-project.js';

const run = promisify(execFile);
const CORE = [
  'keycloak',
  'phoenix',
  'postgres',
  'rocketmq-broker',
  'rocketmq-namesrv',
  'rocketmq-topics',
  'umca-migrate',
  'umca-serve-1',
  'umca-serve-2',
  'umca-worker-1',
  'umca-worker-2',
  'volume-owners',
];
const AGENTS = [
  ...CORE,
  'dify-api',
  'dify-nginx',
  'dify-plugin-daemon',
  'dify-sandbox',
  'dify-web',
  'dify-worker',
  'elasticsearch',
  'etcd',
  'milvus',
  'minio',
  'ragflow',
  'ragflow-mysql',
  'redis',
  'umca-mcp-gateway',
];
const EXPECTED: Record<(typeof PROFILES)[number], string[]> = {
  core: [...CORE].sort(),
  agents: [...AGENTS].sort(),
  full: [...AGENTS, 'rocketmq-dashboard'].sort(),
};
const SCHEMA_FILE = join(ROOT, 'node_modules/.umca-compose/compose-spec.json');

let project: PreparedProject;
beforeAll(async () => {
  if (!existsSync(SCHEMA_FILE)) throw new Error(`${SCHEMA_FILE} is missing: ${SETUP_HINT}`);
  project = await prepareProject();
}, 120_000);
afterAll(() => project?.remove());
const full = () => project.full();

describe('docker-compose config (a real Compose implementation)', () => {
  it('resolves every profile with the secrets make-env.sh wrote, each profile starting its services', () => {
    for (const profile of PROFILES) {
      const model = project.resolved.get(profile) as ComposeModel;
      expect(servicesOfProfile(model, profile), profile).toEqual(EXPECTED[profile]);
      // Nothing is left to fill: the values are in.
      expect(JSON.stringify(model)).not.toMatch(/\$\{[A-Z]/);
    }
    expect(full().services['umca-serve-1']?.environment?.UMCA_STORE).toBe(
      `postgres://umca:${project.environment.get('UMCA_DB_PASSWORD')}@postgres:5432/umca`,
    );
  });

  it('needs exactly the secrets .env.example leaves empty, and make-env.sh fills each', () => {
    const required = [...requiredVariables().keys()].sort();
    const empty = readFileSync(join(COMPOSE_DIR, '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z][A-Z0-9_]*=$/.test(line))
      .map((line) => line.slice(0, -1))
      .sort();
    expect(required).toEqual(empty);
    expect(required.length).toBeGreaterThanOrEqual(10);
    for (const name of required) expect(project.environment.get(name), name).toMatch(/^[0-9a-f]{48}$/);
  });

  it('refuses to resolve without a secret, naming it and how to make it, even one of a profile not asked for', async () => {
    // compose-go's test below tries every secret; docker-compose (a Python start each) one of each kind.
    const results = await Promise.all(
      ['UMCA_DB_PASSWORD', 'KEYCLOAK_ADMIN_PASSWORD', 'DIFY_SECRET_KEY', 'ELASTIC_PASSWORD'].map(async (name) => {
        expect(requiredVariables().has(name), name).toBe(true);
        const file = join(project.work, `without-${name}.env`);
        writeFileSync(
          file,
          [...project.environment]
            .filter(([key]) => key !== name)
            .map(([key, value]) => `${key}=${value}\n`)
            .join(''),
        );
        return { name, result: await runCompose(['--profile', 'core', 'config', '--quiet'], file) };
      }),
    );
    for (const { name, result } of results) {
      expect(result.code, name).not.toBe(0);
      expect(result.stderr, name).toContain(`set ${name} (sh ops/compose/make-env.sh writes every secret)`);
    }
  }, 120_000);

  it('make-env.sh refuses a bad flag and an existing file, writing nothing', async () => {
    const refused = await run('sh', [join(COMPOSE_DIR, 'make-env.sh'), '--outptu', join(project.work, 'x.env')]).catch((error) => error);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('unknown argument --outptu');
    expect(existsSync(join(project.work, 'x.env'))).toBe(false);
    const before = readFileSync(project.envFile, 'utf8');
    const again = await run('sh', [join(COMPOSE_DIR, 'make-env.sh'), '--output', project.envFile]).catch((error) => error);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists');
    expect(readFileSync(project.envFile, 'utf8')).toBe(before);
  });
});

describe('compose-go, the loader of docker compose v2', () => {
  it('loads every profile with just the services that profile starts', async () => {
    for (const profile of PROFILES) {
      const loaded = await loadWithComposeGo(profile, project.envFile);
      expect(loaded.code, loaded.stderr).toBe(0);
      const model = JSON.parse(loaded.stdout) as { services: Record<string, unknown> };
      expect(Object.keys(model.services).sort(), profile).toEqual(EXPECTED[profile]);
    }
  });

  it('refuses to load without any secret, whatever the profile, naming it', async () => {
    const required = [...requiredVariables().keys()];
    const results = await Promise.all(
      required.map(async (name) => {
        const file = join(project.work, `go-without-${name}.env`);
        writeFileSync(
          file,
          [...project.environment]
            .filter(([key]) => key !== name)
            .map(([key, value]) => `${key}=${value}\n`)
            .join(''),
        );
        return { name, result: await loadWithComposeGo('core', file) };
      }),
    );
    for (const { name, result } of results) {
      expect(result.code, name).toBe(1);
      expect(result.stderr, name).toContain(`required variable ${name} is missing a value: set ${name} (sh ops/compose/make-env.sh`);
    }
  });
});

describe("the Compose specification's JSON Schema (compose-go's compose-spec.json)", () => {
  const validator = () => {
    // The schema gives many fields two types on purpose (a number, or a string to interpolate).
    const ajv = new Ajv2020({ allErrors: true, strictTypes: false, strictTuples: false });
    return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));
  };

  it('accepts the file as written and as resolved for each profile', () => {
    const validate = validator();
    expect(validate(readWrittenProject()), JSON.stringify(validate.errors)).toBe(true);
    for (const profile of PROFILES)
      expect(validate(project.resolved.get(profile)), `${profile}: ${JSON.stringify(validate.errors)}`).toBe(true);
  });

  it('refuses a file with a mistake in it (the schema is applied, not skipped)', () => {
    const validate = validator();
    const broken = readWrittenProject();
    (broken.services.postgres as { healthcheck: Record<string, unknown> }).healthcheck.intervall = '5s';
    expect(validate(broken)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('intervall');
  });
});

describe('the promises of docs/compose.md', () => {
  const services = () => Object.entries(full().services);
  /** A one-shot job: not restarted, and what waits for it waits for it to finish. */
  const jobs = () =>
    new Set(
      services()
        .filter(([, service]) => service.restart === 'no')
        .map(([name]) => name),
    );

  it('every image is pinned to a release tag (no latest, no floating tag)', () => {
    for (const [name, service] of services()) {
      expect(service.image, name).toMatch(/^[a-z0-9][a-z0-9./_-]*:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*$/);
      expect(service.image, name).not.toMatch(/:(latest|stable|nightly|dev|main|edge)(-|$)/);
    }
  });

  it('every long-running service has a health check; every one-shot job is waited for until it has finished', () => {
    const oneShot = jobs();
    expect([...oneShot].sort()).toEqual(['rocketmq-topics', 'umca-migrate', 'volume-owners']);
    for (const [name, service] of services()) {
      if (oneShot.has(name)) continue;
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.healthcheck?.disable, name).not.toBe(true);
      expect(service.healthcheck?.test?.length ?? 0, `${name} has no health check`).toBeGreaterThan(1);
    }
    for (const [name, service] of services()) {
      for (const [target, { condition }] of Object.entries(dependencies(service))) {
        expect(condition, `${name} -> ${target}`).toBe(oneShot.has(target) ? 'service_completed_successfully' : 'service_healthy');
      }
    }
    for (const job of oneShot) {
      expect(
        services().some(([, service]) => job in dependencies(service)),
        `nothing waits for ${job}`,
      ).toBe(true);
    }
  });

  it('every volume is named; every bind mount is a file of the repository, read-only', () => {
    const declared = Object.keys(full().volumes ?? {}).sort();
    const used = new Set<string>();
    for (const [name, service] of services()) {
      for (const mount of mounts(service)) {
        expect(mount.source, `${name}: ${mount.target} is an anonymous volume`).toBeDefined();
        if (mount.source?.startsWith('/')) {
          expect(mount.source.startsWith(ROOT) && existsSync(mount.source), `${name}: ${mount.source}`).toBe(true);
          expect(mount.readOnly, `${name}: ${mount.source}`).toBe(true);
        } else {
          expect(declared, name).toContain(mount.source);
          used.add(mount.source ?? '');
        }
      }
    }
    expect([...used].sort()).toEqual(declared);
  });

  it('each profile holds what its services wait for', () => {
    for (const profile of PROFILES) {
      const active = new Set(servicesOfProfile(full(), profile));
      for (const name of active) {
        for (const target of Object.keys(dependencies(full().services[name] ?? {}))) {
          expect(active.has(target), `${profile}: ${name} waits for ${target}`).toBe(true);
        }
      }
    }
  });

  it('published ports listen on the loopback address unless BIND_ADDRESS says otherwise', () => {
    const published = services().flatMap(([name, service]) => (service.ports ?? []).map((port) => [name, String(port)] as const));
    expect(published.length).toBeGreaterThan(4);
    for (const [name, port] of published) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+/);
  });

  it('holds no secret: every password, key and token is a variable', () => {
    const written = readWrittenProject();
    for (const [name, service] of Object.entries(written.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|_KEY$|TOKEN/.test(key)) expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z_]+(:[-?][^}]*)?\}$/);
        if (/:\/\/[^/\s:@]+:[^@\s]+@/.test(String(value))) expect(value, `${name}.${key}`).toMatch(/:\/\/[^/:@]+:\$\{[A-Z_]+[^}]*\}@/);
      }
    }
    for (const known of ['difyai123456', 'infini_rag_flow', 'minioadmin', 'change-me']) {
      expect(readFileSync(join(COMPOSE_DIR, 'compose.yaml'), 'utf8')).not.toContain(known);
    }
  });
});
