#!/usr/bin/env node
// The Keycloak side of rotate-keys-drill.sh, through Keycloak's admin REST API (26.x): a realm's
// RSA signing keys, a rotation (a new `rsa-generated` key provider above every other), the old
// provider made passive (still in the JWKS, signs nothing) and then disabled (out of the JWKS);
// and client-credentials tokens to call UMCA with. Prints JSON on stdout; a refusal by Keycloak
// is a message on stderr and exit 1.
//
//   node ops/runbooks/keycloak-keys.mjs keys                  the realm's RS256 signing keys: [{kid, providerId, status, priority}]
//   node ops/runbooks/keycloak-keys.mjs add                   a new rsa-generated provider, highest priority: {providerId, kid}
//   node ops/runbooks/keycloak-keys.mjs passive PROVIDER-ID   keep verifying, stop signing
//   node ops/runbooks/keycloak-keys.mjs disable PROVIDER-ID   out of the JWKS: its tokens stop verifying
//   node ops/runbooks/keycloak-keys.mjs token                 an access token (client credentials): {token, kid}
//
// Environment: KEYCLOAK_URL, KEYCLOAK_REALM, KEYCLOAK_ADMIN_REALM (default master),
// KEYCLOAK_ADMIN_USER, KEYCLOAK_ADMIN_PASSWORD (a user who may manage the realm's keys),
// KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET (a confidential client with service accounts).
const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    process.stderr.write(`keycloak-keys: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
};
const base = env('KEYCLOAK_URL').replace(/\/$/, '');
const realm = env('KEYCLOAK_REALM');

async function call(method, url, { body, form, token } = {}) {
  const response = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(form === undefined ? {} : { body: new URLSearchParams(form) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) {
    process.stderr.write(`keycloak-keys: Keycloak answered ${method} ${url} with ${response.status}: ${text.slice(0, 300)}\n`);
    process.exit(1);
  }
  return { response, json: text ? JSON.parse(text) : undefined };
}

async function adminToken() {
  const adminRealm = env('KEYCLOAK_ADMIN_REALM', 'master');
  const { json } = await call('POST', `${base}/realms/${adminRealm}/protocol/openid-connect/token`, {
    form: {
      grant_type: 'password',
      client_id: 'admin-cli',
      username: env('KEYCLOAK_ADMIN_USER'),
      password: env('KEYCLOAK_ADMIN_PASSWORD'),
    },
  });
  return json.access_token;
}

const admin = async (method, path, body) => call(method, `${base}/admin/realms/${realm}${path}`, { body, token: await adminToken() });

/** The realm's RS256 signature keys, with the component (provider) each comes from. */
async function signingKeys() {
  const { json } = await admin('GET', '/keys');
  const providers = (await admin('GET', `/components?type=org.keycloak.keys.KeyProvider`)).json;
  const priority = new Map(providers.map((provider) => [provider.id, Number(provider.config?.priority?.[0] ?? 0)]));
  return json.keys
    .filter((key) => key.algorithm === 'RS256' && (key.use ?? 'SIG') === 'SIG')
    .map((key) => ({ kid: key.kid, providerId: key.providerId, status: key.status, priority: priority.get(key.providerId) ?? 0 }));
}

/** Sets a provider's enabled/active flags; the whole component goes back, as Keycloak drops what a PUT leaves out. */
async function setFlags(providerId, flags) {
  const { json: component } = await admin('GET', `/components/${encodeURIComponent(providerId)}`);
  await admin('PUT', `/components/${encodeURIComponent(providerId)}`, { ...component, config: { ...component.config, ...flags } });
  return { providerId, ...Object.fromEntries(Object.entries(flags).map(([name, [value]]) => [name, value === 'true'])) };
}

const headerKid = (token) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;

const commands = {
  keys: signingKeys,
  async add() {
    const realmId = (await admin('GET', '')).json.id;
    const providers = (await admin('GET', `/components?type=org.keycloak.keys.KeyProvider`)).json;
    const highest = Math.max(0, ...providers.map((provider) => Number(provider.config?.priority?.[0] ?? 0)));
    const { response } = await admin('POST', '/components', {
      name: `rsa-rotated-${new Date().toISOString().replace(/[-:.]/g, '')}`,
      providerId: 'rsa-generated',
      providerType: 'org.keycloak.keys.KeyProvider',
      parentId: realmId,
      config: { priority: [String(highest + 100)], enabled: ['true'], active: ['true'], algorithm: ['RS256'], keySize: ['2048'] },
    });
    const providerId = response.headers.get('location')?.split('/').pop();
    const key = (await signingKeys()).find((candidate) => candidate.providerId === providerId);
    return { providerId, kid: key?.kid };
  },
  passive: (providerId) => setFlags(providerId, { enabled: ['true'], active: ['false'] }),
  disable: (providerId) => setFlags(providerId, { enabled: ['false'], active: ['false'] }),
  async token() {
    const { json } = await call('POST', `${base}/realms/${realm}/protocol/openid-connect/token`, {
      form: { grant_type: 'client_credentials', client_id: env('KEYCLOAK_CLIENT_ID'), client_secret: env('KEYCLOAK_CLIENT_SECRET') },
    });
    return { token: json.access_token, kid: headerKid(json.access_token) };
  },
};

const [command, argument] = process.argv.slice(2);
const action = commands[command];
if (!action || ((command === 'passive' || command === 'disable') && !argument)) {
  process.stderr.write('usage: node keycloak-keys.mjs keys | add | passive PROVIDER-ID | disable PROVIDER-ID | token\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await action(argument))}\n`);
