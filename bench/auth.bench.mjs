// What identity and policy add to a request: the same GET /v1/runs/{id} through the whole HTTP
// app in process (request id, host check, routing, the store), without authentication, with one
// of UMCA's own tokens (EdDSA) and with an RS256 token as an OIDC issuer such as Keycloak signs
// them (its key set cached, as in production), each checked against a policy. Rounds interleave
// the three, so a busy machine slows them alike; medians, p99 and the median difference.
//
//   npm run bench:auth [-- --quick]
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAccessControl, createApp, createMetrics } from '../apps/orchestrator/dist/index.js';
import { createJwtAuthenticator, createLocalTokenStore, rolesFromClaims } from '../packages/auth/dist/index.js';
import { accessPolicySchema } from '../packages/contracts/dist/index.js';
import { createEmbeddedBus } from '../packages/events/dist/index.js';
import { DEFAULT_ACCESS_POLICY } from '../packages/policy/dist/index.js';
import { createRunService } from '../packages/runs/dist/index.js';
import { openSqliteStore } from '../packages/store/dist/index.js';
import { median, percentile, printSamples } from './support/samples.mjs';

const quick = process.argv.includes('--quick');
const HOST = '127.0.0.1:8787';
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const policy = accessPolicySchema.parse(DEFAULT_ACCESS_POLICY);
console.log(`UMCA auth benchmark: ${cpus().length} CPUs, Node ${process.version}${quick ? ', quick' : ''}\n`);

// One store with one run, owned by the principal the tokens name, read by every configuration.
const store = openSqliteStore({ memory: true });
const bus = createEmbeddedBus({ log: store.events });
const principal = { sub: 'ada', roles: ['developer'], issuer: 'urn:umca:local', via: 'local' };
await store.runs.create({
  id: 'run_bench',
  kind: 'execution',
  status: 'ok',
  language: 'python',
  createdAt: new Date().toISOString(),
  request: { language: 'python', code: 'print(1)' },
  principal,
});
const runner = { specificationVersion: 'v1', stats: () => ({ isolation: 'os', idleSandboxes: 0 }) };
const runs = createRunService({ runner, store, bus, logger: silent });
const appWith = (access) =>
  createApp({
    access,
    runs,
    bus,
    runner,
    metrics: createMetrics({ activeRuns: () => 0 }),
    logger: silent,
    allowedHosts: () => new Set([HOST]),
  });

// UMCA's own token.
const local = createLocalTokenStore({ dir: join(mkdtempSync(join(tmpdir(), 'umca-bench-auth-')), 'auth') });
const localToken = (await local.issue({ sub: 'ada', roles: ['developer'], ttlSeconds: 3_600 })).token;

// An RS256 token with its key set held as a verifier holds a fetched JWKS.
const issuer = 'http://127.0.0.1:8080/realms/umca';
const { publicKey, privateKey } = await generateKeyPair('RS256');
const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
const rsaToken = await new SignJWT({ realm_access: { roles: ['developer'] }, preferred_username: 'ada' })
  .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
  .setIssuer(issuer)
  .setAudience('umca')
  .setSubject('ada')
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(privateKey);
const rsaOptions = {
  issuer,
  audience: 'umca',
  keys: jwks,
  via: 'oidc',
  roles: (payload) => rolesFromClaims(payload, ['realm_access.roles']),
};
const rsa = createJwtAuthenticator(rsaOptions);
// The same, remembering nothing: every request pays for the signature (a client that never reuses a token).
const rsaEveryTime = createJwtAuthenticator({ ...rsaOptions, rememberMs: 0 });

const configurations = [
  { label: 'no authentication (loopback)', app: appWith(createAccessControl({})), token: undefined },
  {
    label: "UMCA's own token (EdDSA) + policy",
    app: appWith(createAccessControl({ authenticator: local.authenticator(), policy })),
    token: localToken,
  },
  {
    label: 'OIDC-style token (RS256, cached JWKS) + policy',
    app: appWith(createAccessControl({ authenticator: rsa, policy })),
    token: rsaToken,
  },
  {
    label: 'the same, signature checked on every request',
    app: appWith(createAccessControl({ authenticator: rsaEveryTime, policy })),
    token: rsaToken,
  },
];

async function once({ app, token }) {
  const response = await app.request('/v1/runs/run_bench', {
    headers: { host: HOST, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (response.status !== 200) throw new Error(`GET /v1/runs/run_bench answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

const rounds = quick ? 10 : 30;
const perRound = 100;
const samples = configurations.map(() => []);
for (const configuration of configurations) for (let index = 0; index < 50; index++) await once(configuration); // warm up
for (let round = 0; round < rounds; round++) {
  for (const [index, configuration] of configurations.entries()) {
    for (let call = 0; call < perRound; call++) {
      const started = performance.now();
      await once(configuration);
      samples[index].push(performance.now() - started);
    }
  }
}
console.log(`GET /v1/runs/{id} through the app, ${rounds} interleaved rounds of ${perRound}:`);
for (const [index, configuration] of configurations.entries()) printSamples(configuration.label, samples[index]);
const base = median(samples[0]);
for (const [index, configuration] of configurations.entries()) {
  if (index === 0) continue;
  const added = median(samples[index]) - base;
  const addedP99 = percentile(samples[index], 99) - percentile(samples[0], 99);
  console.log(`  added by ${configuration.label}: ${added.toFixed(3)} ms at the median, ${addedP99.toFixed(3)} ms at p99`);
}

// The verification alone, for comparison.
for (const [label, authenticator, token] of [
  ['verify alone, a token seen before: RS256', rsa, rsaToken],
  ['verify alone, every time: EdDSA (UMCA token)', local.authenticator({ rememberMs: 0 }), localToken],
  ['verify alone, every time: RS256 (OIDC token)', rsaEveryTime, rsaToken],
]) {
  const alone = [];
  for (let index = 0; index < 50; index++) await authenticator.authenticate(token);
  for (let index = 0; index < rounds * perRound; index++) {
    const started = performance.now();
    await authenticator.authenticate(token);
    alone.push(performance.now() - started);
  }
  printSamples(label, alone);
}
await store.close();
