/**
 * @module compose-project
 * ops/compose/compose.yaml as the Compose tests read it: resolved by a real Compose implementation
 * (Debian's docker-compose 1.29, whose `config` needs no engine) with an env file of its own, and
 * read as written. The environment docker-compose sees holds nothing but PATH and HOME, so a
 * developer's shell or ops/compose/.env never leaks into a test.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const COMPOSE_DIR = join(ROOT, 'ops/compose');
export const COMPOSE_FILE = join(COMPOSE_DIR, 'compose.yaml');
export const SETUP_HINT = 'run sh scripts/setup-compose-tools.sh';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  profiles?: string[];
  restart?: string;
  environment?: Record<string, string | null>;
  ports?: Array<string | { host_ip?: string; published?: string | number; target: number }>;
  volumes?: Array<string | { type: string; source?: string; target: string; read_only?: boolean }>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  security_opt?: string[];
}

export interface ComposeModel {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ComposeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs docker-compose on the project with `envFile` and only PATH and HOME from this process. */
export async function runCompose(args: readonly string[], envFile: string): Promise<ComposeRun> {
  try {
    const { stdout, stderr } = await run('docker-compose', ['-f', COMPOSE_FILE, '--env-file', envFile, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error(`docker-compose is not installed: ${SETUP_HINT}`);
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/**
 * Loads the project with compose-go, the loader of `docker compose` v2 (test/support/compose-go-config,
 * built by the setup script): it applies the profile itself, so its services are those the profile starts.
 */
export async function loadWithComposeGo(profile: string, envFile: string): Promise<ComposeRun> {
  const program = join(ROOT, 'node_modules/.umca-compose/compose-go-config');
  try {
    const { stdout, stderr } = await run(program, [COMPOSE_FILE, profile, envFile], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new Error(`${program} is missing: ${SETUP_HINT}`);
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The project as docker-compose resolves it for `profile` (variables filled, paths absolute). */
export async function resolveProject(profile: string, envFile: string): Promise<ComposeModel> {
  const result = await runCompose(['--profile', profile, 'config'], envFile);
  if (result.code !== 0) throw new Error(`docker-compose --profile ${profile} config failed (${result.code}): ${result.stderr}`);
  return parse(result.stdout) as ComposeModel;
}

/** The file as written: anchors and merge keys applied, `${...}` left as they are. */
export function readWrittenProject(): ComposeModel {
  return parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeModel;
}

/** Every variable the file requires (`${NAME:?message}`), with its message; comments left out. */
export function requiredVariables(): Map<string, string> {
  const found = new Map<string, string>();
  const text = readFileSync(COMPOSE_FILE, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):\?([^}]*)\}/g)) {
    found.set(match[1] ?? '', match[2] ?? '');
  }
  return found;
}

/** Services that `--profile NAME` starts: those with no profiles, or NAME among theirs. */
export function servicesOfProfile(model: ComposeModel, profile: string): string[] {
  return Object.entries(model.services)
    .filter(([, service]) => !service.profiles?.length || service.profiles.includes(profile))
    .map(([name]) => name)
    .sort();
}

/** depends_on in its long form, whichever form the file used. */
export function dependencies(service: ComposeService): Record<string, { condition?: string }> {
  const given = service.depends_on ?? {};
  return Array.isArray(given) ? Object.fromEntries(given.map((name) => [name, {}])) : given;
}

/** `host:container[:mode]` or the long form, as {source, target, readOnly}; a bare path is an anonymous volume. */
export function mounts(service: ComposeService): Array<{ source?: string; target: string; readOnly: boolean }> {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') return { source: volume.source, target: volume.target, readOnly: volume.read_only === true };
    const [first = '', second, mode] = volume.split(':');
    return second === undefined
      ? { target: first, readOnly: false }
      : { source: first, target: second, readOnly: mode?.split(',').includes('ro') === true };
  });
}

export const PROFILES = ['core', 'agents', 'full'] as const;

export interface PreparedProject {
  /** A scratch folder of the test's own. */
  readonly work: string;
  /** The env file make-env.sh wrote there, as an operator's .env. */
  readonly envFile: string;
  /** Its variables. */
  readonly environment: Map<string, string>;
  /** The project as docker-compose resolves it for each profile. */
  readonly resolved: Map<string, ComposeModel>;
  /** The `full` profile's project: every service. */
  full(): ComposeModel;
  remove(): void;
}

/** Secrets from make-env.sh (as an operator makes them), then the project resolved for each profile. */
export async function prepareProject(): Promise<PreparedProject> {
  const work = mkdtempSync(join(tmpdir(), 'umca-compose-'));
  const envFile = join(work, 'compose.env');
  await run('sh', [join(COMPOSE_DIR, 'make-env.sh'), '--output', envFile]);
  const environment = new Map(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .flatMap((line) =>
        /^[A-Z][A-Z0-9_]*=/.test(line) ? [[line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const] : [],
      ),
  );
  const resolved = new Map<string, ComposeModel>();
  for (const profile of PROFILES) resolved.set(profile, await resolveProject(profile, envFile));
  return {
    work,
    envFile,
    environment,
    resolved,
    full: () => resolved.get('full') as ComposeModel,
    remove: () => rmSync(work, { recursive: true, force: true }),
  };
}
