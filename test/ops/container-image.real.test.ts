/**
 * UMCA's container image, built and run as an operator does (docs/image.md): scripts/build-image.sh
 * builds the Containerfile with podman (daemonless, no Docker engine), then containers of it serve
 * the HTTP API, run Python and JavaScript in the sandbox, keep their data in a volume across a new
 * container, and refuse clearly when the one security option the sandbox needs is missing.
 *
 * Stood in: the base image. Where no container registry answers (as on this machine), the image
 * named by the Containerfile's NODE_IMAGE is a stand-in that scripts/setup-image-tools.sh makes from
 * Debian bookworm (debootstrap, from the Debian mirror apt uses) and this machine's Node 20.20, under
 * the same name. Everything else is the real thing: podman, runc, bubblewrap, the build, the server.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../support/watched-process.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = 'localhost/umca:test';
const suffix = randomBytes(4).toString('hex');
const VOLUME = `umca-image-test-${suffix}`;
const SECRET = `umca-image-secret-${randomBytes(8).toString('hex')}`;
const WORK = mkdtempSync(join(tmpdir(), 'umca-image-test-'));
const SECCOMP = join(WORK, 'seccomp.json');
/**
 * What the sandbox needs in a container (docs/image.md): bubblewrap mounts a fresh /proc (the
 * engine's covers over /proc forbid it) and names its UTS namespace (podman's seccomp profile
 * refuses sethostname without CAP_SYS_ADMIN; ops/image/seccomp-profile.sh allows it).
 */
const SANDBOX_OPTIONS = ['--security-opt', 'unmask=/proc/*', '--security-opt', `seccomp=${SECCOMP}`];

/** The caller's own limits (podman's default nofile 1048576 is refused without CAP_SYS_RESOURCE). */
function ulimitFlags(): string[] {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = (name: string) => limits.match(new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm'))?.[1] ?? 'unlimited';
  const nofile = hard('Max open files') === 'unlimited' ? '1048576' : hard('Max open files');
  const nproc = Math.min(Number(hard('Max processes')) || 32_768, 32_768);
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
}

async function podman(args: string[], timeout = 120_000): Promise<string> {
  const { stdout } = await exec('podman', args, { timeout, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

interface Container {
  readonly name: string;
  readonly url: string;
  readonly startToHealthyMs: number;
}
const started: string[] = [];

/** A container of the image on a free local port, once /healthz answers (or why it did not). */
async function startContainer(options: string[] = SANDBOX_OPTIONS): Promise<Container> {
  const port = await findFreePort();
  const name = `umca-image-test-${suffix}-${started.length}`;
  const began = Date.now();
  await podman([
    'run',
    '-d',
    '--name',
    name,
    ...ulimitFlags(),
    ...options,
    '-p',
    `127.0.0.1:${port}:8787`,
    // The server answers only to names it knows; here it is reached through the published port.
    '-e',
    `UMCA_ALLOWED_HOSTS=127.0.0.1:${port}`,
    '-e',
    `UMCA_IMAGE_TEST_SECRET=${SECRET}`,
    '-v',
    `${VOLUME}:/var/lib/umca`,
    IMAGE,
  ]);
  started.push(name);
  const url = `http://127.0.0.1:${port}`;
  for (let poll = 0; poll < 1200; poll++) {
    const state = await podman(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name]);
    if (state.startsWith('false')) throw new Error(`the container stopped (${state}):\n${await logs(name)}`);
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { name, url, startToHealthyMs: Date.now() - began };
    await delay(100);
  }
  throw new Error(`the container was not healthy after 120 s:\n${await logs(name)}`);
}

async function logs(name: string): Promise<string> {
  const { stdout, stderr } = await exec('podman', ['logs', '--tail', '40', name]).catch((error) => error);
  return `${stdout ?? ''}${stderr ?? ''}`;
}

/** The fields of UMCA's answers these tests read (RunResult, Run, readiness). */
interface Answer {
  status?: string;
  stdout?: string;
  stderr?: string;
  runId?: string;
  runtimes?: string[];
  egress?: unknown[];
}

let token = '';
async function api(container: Container, path: string, body?: unknown): Promise<{ status: number; json: Answer }> {
  const response = await fetch(`${container.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, json: await response.json() };
}

let server: Container;
const figures: Record<string, number | string> = {};

describe('the container image', () => {
  beforeAll(async () => {
    for (const tool of ['podman', 'buildah']) {
      await exec(tool, ['--version']).catch(() => {
        throw new Error(`${tool} is missing: run sh scripts/setup-image-tools.sh (Debian: apt-get install -y podman buildah debootstrap)`);
      });
    }
    const base = readFileSync(join(ROOT, 'Containerfile'), 'utf8').match(/^ARG NODE_IMAGE=(\S+)$/m)?.[1] ?? '';
    await podman(['image', 'exists', base]).catch(() => {
      throw new Error(`the base image ${base} is not in podman's storage: run sh scripts/setup-image-tools.sh`);
    });
    await exec('sh', [join(ROOT, 'ops/image/seccomp-profile.sh'), '--to', SECCOMP]);
    const began = Date.now();
    await exec('sh', [join(ROOT, 'scripts/build-image.sh'), '--tag', IMAGE], {
      cwd: ROOT,
      timeout: 1_500_000,
      maxBuffer: 256 * 1024 * 1024,
    });
    figures.buildMs = Date.now() - began;
    figures.imageBytes = Number(await podman(['image', 'inspect', '--format', '{{.Size}}', IMAGE]));
    await podman(['volume', 'create', VOLUME]);
    // The operator's first step on a fresh volume: a signing key and a token (the server refuses to
    // listen beyond loopback with nobody authenticated).
    token = await podman([
      'run',
      '--rm',
      ...ulimitFlags(),
      '-v',
      `${VOLUME}:/var/lib/umca`,
      IMAGE,
      'token',
      'create',
      '--role',
      'developer',
      '--sub',
      'image-test',
    ]);
    server = await startContainer();
    figures.startToHealthyMs = server.startToHealthyMs;
  }, 1_800_000);

  afterAll(async () => {
    console.log(`container image figures: ${JSON.stringify(figures)}`);
    for (const name of started) await exec('podman', ['rm', '-f', '-t', '5', name]).catch(() => {});
    await exec('podman', ['volume', 'rm', '-f', VOLUME]).catch(() => {});
    rmSync(WORK, { recursive: true, force: true });
  }, 120_000);

  it('is a Docker-format image: user umca, a health check on /healthz, /var/lib/umca a volume, umca serve its command', async () => {
    const config = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config}}', IMAGE]));
    expect(config.User).toBe('umca');
    // Only the Docker format keeps HEALTHCHECK; podman shows it beside the OCI config.
    expect(await podman(['image', 'inspect', '--format', '{{.ManifestType}}', IMAGE])).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    const [image] = JSON.parse(await podman(['image', 'inspect', IMAGE]));
    const healthcheck = image.Healthcheck;
    expect(healthcheck.Test.join(' ')).toContain('/healthz');
    expect(Object.keys(config.Volumes ?? {})).toEqual(['/var/lib/umca']);
    expect(Object.keys(config.ExposedPorts ?? {})).toEqual(['8787/tcp']);
    expect(config.Entrypoint).toEqual(['/usr/bin/tini', '--', 'node', '/app/apps/cli/bin/umca.js']);
    expect(config.Cmd).toEqual(['serve']);
    expect(config.Env).toEqual(expect.arrayContaining(['UMCA_HOST=0.0.0.0', 'UMCA_DATA_DIR=/var/lib/umca']));
  });

  it('holds production files only: built output, no sources, tests or dev dependencies', async () => {
    const listing = await podman([
      'run',
      '--rm',
      ...ulimitFlags(),
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'for p in /app/packages/runner/build/umca_sandbox.node /app/apps/ui/dist /app/apps/cli/dist/main.js /app/packages/runner/src /app/apps/orchestrator/test /app/node_modules/@biomejs/biome /app/node_modules/@modelcontextprotocol/conformance /app/node_modules/wabt /usr/bin/gcc /usr/bin/bwrap; do [ -e "$p" ] && echo "$p"; done; true',
    ]);
    expect(listing.split('\n').sort()).toEqual(
      ['/app/apps/cli/dist/main.js', '/app/apps/ui/dist', '/app/packages/runner/build/umca_sandbox.node', '/usr/bin/bwrap'].sort(),
    );
  });

  it('answers /healthz and /readyz, with the OS sandbox on, and its own health check passes', async () => {
    expect(await api(server, '/healthz')).toEqual({ status: 200, json: { status: 'ok' } });
    const ready = await api(server, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ready', isolation: 'os', workers: 'local' });
    expect(ready.json.runtimes).toEqual(expect.arrayContaining(['pyodide', 'quickjs']));
    await podman(['healthcheck', 'run', server.name]);
  });

  it('runs Python and JavaScript through POST /v1/executions', async () => {
    const python = await api(server, '/v1/executions', { language: 'python', code: 'import sys\nprint(6 * 7, sys.version_info[0])' });
    expect(python.status).toBe(200);
    expect(python.json).toMatchObject({ status: 'ok', stdout: '42 3\n' });
    const javascript = await api(server, '/v1/executions', {
      language: 'javascript',
      code: 'console.log([1, 2, 3].map((n) => n * n).join(","))',
    });
    expect(javascript.status).toBe(200);
    expect(javascript.json).toMatchObject({ status: 'ok', stdout: '1,4,9\n' });
  });

  it('runs every process as umca, never root: the server, bubblewrap and the sandboxes', async () => {
    // A sandbox that has sent its result tears itself down as idle work (src/host/sandbox-pool.ts);
    // while it does, podman cannot name its host user ("?"), or finds it gone between listing it
    // and reading it ("no such process"). Look again until neither happens.
    const top = async (): Promise<string[] | undefined> => {
      try {
        return (await podman(['top', server.name, 'user', 'huser', 'args'])).split('\n').slice(1);
      } catch (error) {
        if (/no such process/.test((error as Error).message)) return undefined;
        throw error;
      }
    };
    let rows = await top();
    for (let attempt = 0; attempt < 50 && (!rows || rows.some((row) => /^\S+\s+\?\s/.test(row))); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rows = await top();
    }
    expect(rows, 'podman top kept finding sandboxes gone while it read them').toBeDefined();
    expect(rows?.some((row) => row.includes('bwrap'))).toBe(true);
    for (const row of rows ?? []) expect(row, row).toMatch(/^umca\s+10001\s/);
  });

  it('keeps the sandbox confined inside the container: no network, not even the server next to it, no environment, no /proc', async () => {
    // 127.0.0.1:8787 is the UMCA server in the container's own network namespace: a program with
    // the container's network would reach it. The Node clients are reached through Pyodide's FFI,
    // as an attacker would (docs/runner.md, threat model).
    const code = `
import asyncio, js, json, socket, urllib.request
from pyodide.ffi import create_once_callable
node = js.process.getBuiltinModule
out = {"hostEnv": js.JSON.stringify(js.process.env)}
try:
    connection = socket.create_connection(("127.0.0.1", 8787), timeout=1)
    connection.sendall(b"GET /healthz HTTP/1.0\\r\\n\\r\\n")
    out["python socket"] = "CONNECTED " + repr(connection.recv(100))
except OSError as error:
    out["python socket"] = type(error).__name__
def on_net_error(error):
    out["node net"] = str(error.code)
node("net").connect(8787, "127.0.0.1").on("error", create_once_callable(on_net_error))
try:
    urllib.request.urlopen("http://127.0.0.1:8787/healthz", timeout=5)
    out["http"] = "FETCHED"
except Exception as error:
    out["http"] = repr(error)
for path in ["/proc/1/environ", "/var/lib/umca/umca.db", "/app/package.json"]:
    try:
        node("fs").readFileSync(path)
        out[path] = "READ"
    except Exception as error:
        out[path] = str(getattr(error, "js_error", error).code)
for _ in range(100):
    if "node net" in out:
        break
    await asyncio.sleep(0.05)
print(json.dumps(out))
`;
    const run = await api(server, '/v1/executions', { language: 'python', code });
    expect(run.json.status, run.json.stderr).toBe('ok');
    console.log(`confinement probe in the container: ${run.json.stdout?.trim()}`);
    expect(run.json.stdout).not.toContain(SECRET);
    expect(JSON.parse(run.json.stdout ?? '')).toEqual({
      // bubblewrap cleared the environment: the secret set on the container is not there.
      hostEnv: '{"PWD":"/"}',
      // Emscripten's socket never comes up (seccomp refuses the real connect)...
      'python socket': 'TimeoutError',
      // ...and seccomp refuses socket() to Node itself.
      'node net': 'EACCES',
      // The egress gateway is the only way out, and it is closed by default.
      http: expect.stringContaining('egress denied'),
      // Its own empty /proc, and none of the container's files.
      '/proc/1/environ': 'ENOENT',
      '/var/lib/umca/umca.db': 'ENOENT',
      '/app/package.json': 'ENOENT',
    });
    expect(run.json.egress).toEqual([expect.objectContaining({ verdict: 'denied', url: 'http://127.0.0.1:8787/healthz' })]);
  });

  it('keeps its data in the volume: a new container on the same volume has the runs and the token still works', async () => {
    const made = await api(server, '/v1/executions', { language: 'python', code: 'print("kept")' });
    expect(made.json.status).toBe('ok');
    const mountpoint = await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', VOLUME]);
    expect(readFileSync(join(mountpoint, 'umca.db')).length).toBeGreaterThan(0);
    await podman(['rm', '-f', '-t', '10', server.name]);
    const next = await startContainer();
    figures.restartToHealthyMs = next.startToHealthyMs;
    const run = await api(next, `/v1/runs/${made.json.runId}`);
    expect(run.status).toBe(200);
    expect(JSON.stringify(run.json)).toContain('kept');
  }, 180_000);

  it('without those two options, refuses to start (exit 3), says that the sandbox did not start and which options it needs', async () => {
    const name = `umca-image-test-${suffix}-bare`;
    started.push(name);
    const { stdout, stderr } = await exec('podman', ['run', '--name', name, ...ulimitFlags(), '-v', `${VOLUME}:/var/lib/umca`, IMAGE], {
      timeout: 120_000,
    }).catch((error) => error);
    const exitCode = Number(await podman(['inspect', '--format', '{{.State.ExitCode}}', name]));
    console.log(`without the option: exit ${exitCode}: ${`${stdout}${stderr}`.trim().split('\n').slice(-3).join(' | ')}`);
    expect(exitCode).toBe(3);
    expect(`${stdout}${stderr}`).toMatch(/The sandbox did not start: .*bwrap: /);
    // And what to do about it, in the operator's terms.
    expect(`${stdout}${stderr}`).toContain('--security-opt unmask=/proc/* --security-opt seccomp=FILE');
  }, 180_000);
});
