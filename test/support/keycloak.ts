/**
 * @module keycloak
 * A real Keycloak for the OpenID Connect tests: `startKeycloak()` runs `kc.sh start-dev` on a free
 * loopback port with UMCA's realm (ops/keycloak/realm-umca.json) imported into a data folder of its
 * own, and drives it through the admin REST API (users, roles, signing keys) and the token endpoint.
 * Keycloak comes from scripts/setup-keycloak.sh, which scripts/setup-test-tools.sh runs.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const SETUP_SCRIPT = join(ROOT, 'scripts/setup-keycloak.sh');
const REALM_FILE = join(ROOT, 'ops/keycloak/realm-umca.json');
const REALM = 'umca';
const PUBLIC_CLIENT_ID = 'umca-public';
const CI_CLIENT_ID = 'umca-ci';
const ADMIN_USERNAME = 'admin';

/** Keycloak's own default for a machine (not a container); measured: 375-430 MiB resident once ready, on 24 GiB. */
const HEAP = '-Xms64m -Xmx512m';
/** C1 only: a quicker start on 2 cores, and the tests never run long enough for C2 to pay. */
const JAVA_OPTIONS = '-XX:TieredStopAtLevel=1';
/** Readiness polls, 250 ms apart: 480 allow two minutes of start on a busy machine (it takes 25-30 s). */
const READY_POLLS = 480;
const POLL_INTERVAL_MS = 250;
/** Only a guard against a poll that hangs: no start is expected to come near it. */
const READY_HANG_GUARD_MS = 10 * 60_000;
const STOP_GRACE_MS = 20_000;
/**
 * Runs kc.sh and stops it when the test process is gone without calling `close()` (a worker
 * killed by a signal runs no exit hook), removing the folder too: no Keycloak outlives its tests.
 * A SIGTERM to the group waits for kc.sh, which waits for Java, so `close()` sees the real end.
 * Arguments: the test process's pid, the instance folder, then kc.sh and its arguments.
 */
const WATCHDOG = `
parent=$1 folder=$2
shift 2
"$@" &
keycloak=$!
trap 'kill -TERM "$keycloak" 2>/dev/null; wait "$keycloak"; exit 143' TERM
while kill -0 "$parent" 2>/dev/null; do
  kill -0 "$keycloak" 2>/dev/null || { wait "$keycloak"; exit $?; }
  sleep 1
done
kill -TERM "$keycloak" 2>/dev/null
wait "$keycloak"
rm -rf "$folder"
`;

export interface StartKeycloakOptions {
  /** The loopback port to listen on; default: a free one. */
  port?: number;
}

export interface TokenResponse {
  access_token: string;
  [key: string]: unknown;
}

/** A Keycloak started by `startKeycloak`, with UMCA's realm and its clients. */
export interface RunningKeycloak {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `http://127.0.0.1:PORT/realms/umca`: every token's `iss`, whatever host name a request used. */
  readonly issuer: string;
  /** Creates an enabled user with a password (not temporary) and these realm roles, through the admin REST API. */
  createUser(username: string, password: string, realmRoles: string[]): Promise<void>;
  /** The password grant (direct access) of a public client, `umca-public` by default. */
  passwordToken(username: string, password: string, clientId?: string): Promise<TokenResponse>;
  /** The client-credentials grant of a confidential client, `umca-ci` with its development secret by default. */
  clientCredentialsToken(clientId?: string, secret?: string): Promise<TokenResponse>;
  /**
   * Adds an RSA signing key with a higher priority than any other and disables the RSA keys there
   * were, so the next tokens carry a new `kid` and the old one leaves the JWKS.
   */
  rotateKeys(): Promise<void>;
  /** An access token of the master realm's bootstrap admin, for the admin REST API. */
  adminToken(): Promise<string>;
  /** Stops Keycloak (and kc.sh around it) and removes its folder. */
  close(): Promise<void>;
}

/**
 * Starts Keycloak with UMCA's realm and waits until the realm's discovery document answers.
 *
 * @example
 * const keycloak = await startKeycloak();
 * await keycloak.createUser('dev', 'dev-password', ['developer']);
 * const { access_token } = await keycloak.passwordToken('dev', 'dev-password');
 * await keycloak.close();
 */
export async function startKeycloak(options: StartKeycloakOptions = {}): Promise<RunningKeycloak> {
  const { home, javaHome } = await findKeycloak();
  const port = options.port ?? (await findFreePort());
  const url = `http://127.0.0.1:${port}`;
  const issuer = `${url}/realms/${REALM}`;
  const adminPassword = randomBytes(18).toString('base64url');
  const ciSecret = readCiClientSecret();

  const folder = makeInstanceFolder(home);
  const logFile = join(folder, 'keycloak.log');
  const log = openSync(logFile, 'a');
  const child = spawn(
    'sh',
    [
      '-c',
      WATCHDOG,
      'umca-keycloak-watchdog',
      String(process.pid),
      folder,
      join(folder, 'bin/kc.sh'),
      'start-dev',
      '--import-realm',
      '--http-host=127.0.0.1',
      `--http-port=${port}`,
      // Pins every URL Keycloak writes, `iss` first, whatever host name a request came by.
      `--hostname=${url}`,
    ],
    {
      cwd: folder,
      detached: true,
      stdio: ['ignore', log, log],
      // Only what kc.sh needs: a KC_* or JAVA_OPTS variable of the caller's would change this Keycloak.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        JAVA_HOME: javaHome,
        JAVA_OPTS_KC_HEAP: HEAP,
        JAVA_OPTS_APPEND: `${JAVA_OPTIONS} -Djava.io.tmpdir=${join(folder, 'tmp')}`,
        KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN_USERNAME,
        KC_BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      },
    },
  );
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${join(folder, 'bin/kc.sh')}: ${logTail(logFile)}`);
  let exitCode: number | string | null | undefined;
  const exited = new Promise<void>((resolveExit) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolveExit();
    }),
  );
  child.unref();

  let closed = false;
  const killOnExit = () => {
    signalGroup(pid, 'SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const close = async () => {
    if (closed) return;
    closed = true;
    process.removeListener('exit', killOnExit);
    if (exitCode === undefined) {
      signalGroup(pid, 'SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS, false)]);
      if (!stopped) {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
    }
    rmSync(folder, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(`${issuer}/.well-known/openid-configuration`, () => exitCode);
  } catch (error) {
    const tail = logTail(logFile);
    await close();
    throw new Error(`${(error as Error).message}; the end of Keycloak's output:\n${tail}`);
  }

  async function adminToken(): Promise<string> {
    const tokens = await requestToken(`${url}/realms/master`, {
      grant_type: 'password',
      client_id: 'admin-cli',
      username: ADMIN_USERNAME,
      password: adminPassword,
    });
    return tokens.access_token;
  }

  async function admin(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
    const response = await fetch(`${url}/admin/realms/${REALM}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${await adminToken()}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    if (!response.ok) {
      throw new Error(`Keycloak's admin API answered ${init.method ?? 'GET'} ${path} with ${response.status}: ${await response.text()}`);
    }
    return response;
  }

  return {
    url,
    issuer,
    adminToken,
    close,

    async createUser(username, password, realmRoles) {
      // Keycloak's default user profile requires email, first and last name: a user without them
      // is refused every token ("Account is not fully set up").
      const created = await admin('/users', {
        method: 'POST',
        body: {
          username,
          enabled: true,
          email: `${username}@umca.test`,
          emailVerified: true,
          firstName: username,
          lastName: 'Test',
          credentials: [{ type: 'password', value: password, temporary: false }],
        },
      });
      const userId = created.headers.get('location')?.split('/').pop();
      if (userId === undefined) throw new Error(`Keycloak created the user ${username} but did not say where (no Location header)`);
      if (realmRoles.length === 0) return;
      const roles = await Promise.all(
        realmRoles.map(async (role) => (await admin(`/roles/${encodeURIComponent(role)}`)).json() as Promise<unknown>),
      );
      await admin(`/users/${userId}/role-mappings/realm`, { method: 'POST', body: roles });
    },

    passwordToken(username, password, clientId = PUBLIC_CLIENT_ID) {
      return requestToken(issuer, { grant_type: 'password', client_id: clientId, username, password });
    },

    clientCredentialsToken(clientId = CI_CLIENT_ID, secret = ciSecret) {
      return requestToken(issuer, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
    },

    async rotateKeys() {
      const realmId = ((await (await admin('')).json()) as { id: string }).id;
      const providers = (await (
        await admin(`/components?parent=${realmId}&type=org.keycloak.keys.KeyProvider`)
      ).json()) as KeyProviderComponent[];
      const signing = providers.filter((provider) => provider.providerId === 'rsa-generated' || provider.providerId === 'rsa');
      const highest = Math.max(0, ...providers.map((provider) => Number(provider.config.priority?.[0] ?? 0)));
      await admin('/components', {
        method: 'POST',
        body: {
          name: `rsa-rotated-${Date.now()}`,
          providerId: 'rsa-generated',
          providerType: 'org.keycloak.keys.KeyProvider',
          parentId: realmId,
          config: { priority: [String(highest + 100)], enabled: ['true'], active: ['true'], algorithm: ['RS256'], keySize: ['2048'] },
        },
      });
      for (const provider of signing) {
        // The whole component goes back: Keycloak drops the settings a PUT leaves out.
        await admin(`/components/${provider.id}`, {
          method: 'PUT',
          body: { ...provider, config: { ...provider.config, enabled: ['false'], active: ['false'] } },
        });
      }
    },
  };
}

interface KeyProviderComponent {
  id: string;
  providerId: string;
  config: Record<string, string[] | undefined>;
}

/** The Keycloak home and JDK that scripts/setup-keycloak.sh set up, or an error saying to run it. */
async function findKeycloak(): Promise<{ home: string; javaHome: string }> {
  try {
    const { stdout } = await promisify(execFile)('sh', [SETUP_SCRIPT, '--print-home', '--print-java-home']);
    const [home, javaHome] = stdout.trim().split('\n');
    if (home && javaHome) return { home, javaHome };
    throw new Error(`it printed ${JSON.stringify(stdout)}`);
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `Keycloak is not set up for the tests: run \`sh scripts/setup-keycloak.sh\` (it downloads Keycloak with mvn and needs a JDK 21 or newer). ${detail}`,
    );
  }
}

/**
 * A Keycloak home of this instance's own. kc.sh takes its home from its own resolved path, so it is
 * copied; lib, conf, providers and themes are links to the shared home, only ever read since no
 * build option is passed (one would make start-dev rebuild into the shared lib/quarkus). The data
 * folder is new, so each start has an empty database with just the imported realm.
 */
function makeInstanceFolder(home: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'umca-keycloak-'));
  mkdirSync(join(folder, 'bin'));
  copyFileSync(join(home, 'bin/kc.sh'), join(folder, 'bin/kc.sh'));
  for (const shared of ['lib', 'conf', 'providers', 'themes']) symlinkSync(join(home, shared), join(folder, shared));
  mkdirSync(join(folder, 'data/import'), { recursive: true });
  copyFileSync(REALM_FILE, join(folder, 'data/import/realm-umca.json'));
  mkdirSync(join(folder, 'tmp'));
  return folder;
}

function readCiClientSecret(): string {
  const realm = JSON.parse(readFileSync(REALM_FILE, 'utf8')) as { clients: Array<{ clientId: string; secret?: string }> };
  const secret = realm.clients.find((client) => client.clientId === CI_CLIENT_ID)?.secret;
  if (secret === undefined) throw new Error(`${REALM_FILE} has no client ${CI_CLIENT_ID} with a secret`);
  return secret;
}

async function waitUntilReady(discoveryUrl: string, exitCode: () => number | string | null | undefined): Promise<void> {
  const guard = Date.now() + READY_HANG_GUARD_MS;
  for (let poll = 1; poll <= READY_POLLS && Date.now() < guard; poll++) {
    const code = exitCode();
    if (code !== undefined) throw new Error(`Keycloak exited (${code}) before ${discoveryUrl} answered`);
    try {
      const response = await fetch(discoveryUrl, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await delay(POLL_INTERVAL_MS);
  }
  throw new Error(`Keycloak did not answer ${discoveryUrl} after ${READY_POLLS} polls ${POLL_INTERVAL_MS} ms apart`);
}

async function requestToken(realmUrl: string, form: Record<string, string>): Promise<TokenResponse> {
  const response = await fetch(`${realmUrl}/protocol/openid-connect/token`, { method: 'POST', body: new URLSearchParams(form) });
  const body = await response.text();
  if (!response.ok) {
    throw new Error(`Keycloak refused the ${form.grant_type} grant for client ${form.client_id} with ${response.status}: ${body}`);
  }
  return JSON.parse(body) as TokenResponse;
}

async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, '127.0.0.1', listening);
  });
  const address = server.address();
  await new Promise((closed) => server.close(closed));
  if (address === null || typeof address === 'string') throw new Error('could not find a free loopback port');
  return address.port;
}

/** Signals the process group: the watchdog, kc.sh and the Java it started. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function logTail(logFile: string, lines = 40): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}
