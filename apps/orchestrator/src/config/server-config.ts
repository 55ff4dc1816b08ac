/**
 * @module server-config
 * `umca serve` configuration from, in rising precedence: defaults, a JSON config file
 * (`--config`, or `umca.config.json` in the working directory), the environment (`UMCA_*`) and
 * flags. Validated once at start, with every problem named.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UmcaError } from '@umca/contracts';
import { readAccessPolicy } from '@umca/policy';
import { z } from 'zod';
import { checkScaleOut, type ScaleOutSettings } from './check-scale-out.js';
import { upstreamServerProblems } from './upstream-servers.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export const serverConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('Address to listen on. Env UMCA_HOST.'),
    port: z.coerce.number().int().min(0).max(65_535).default(8787).describe('Port; 0 picks a free one. Env UMCA_PORT.'),
    dataDir: z.string().min(1).default('.umca').describe('Where runs and events are kept. Env UMCA_DATA_DIR.'),
    allowedHosts: z
      .array(z.string().min(1))
      .default([])
      .describe('Extra Host header values to answer to (host:port). Env UMCA_ALLOWED_HOSTS (comma-separated).'),
    concurrency: z.coerce.number().int().min(1).max(256).optional().describe('Runs executing at once. Env UMCA_RUNNER_CONCURRENCY.'),
    allowReducedIsolation: z.boolean().default(false).describe('Run without bubblewrap. Env UMCA_ALLOW_REDUCED_ISOLATION=1.'),
    wheelhouse: z.string().optional().describe('Folder of pure-Python wheels. Env UMCA_WHEELHOUSE.'),
    containerLane: z
      .boolean()
      .default(false)
      .describe(
        'Offer the container lane (native python3 and node under bubblewrap) to callers whose policy allows it. Env UMCA_CONTAINER_LANE=1.',
      ),
    store: z
      .string()
      .min(1)
      .default('embedded')
      .describe(
        'Where runs and events are kept: embedded (SQLite in the data directory) or postgres://user:password@host:5432/db. Env UMCA_STORE.',
      ),
    bus: z
      .string()
      .min(1)
      .default('embedded')
      .describe(
        "How replicas hear of new events: embedded (this process only) or rocketmq://host:8081 (the proxy's gRPC port). Env UMCA_BUS.",
      ),
    workers: z
      .enum(['local', 'remote'])
      .default('local')
      .describe(
        "Where executions run: local (this server's own sandboxes) or remote (umca worker processes, through the bus). Env UMCA_WORKERS.",
      ),
    maxQueued: z.coerce
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1000)
      .describe('With remote workers: runs that may wait for a worker before new ones get 429. Env UMCA_MAX_QUEUED.'),
    model: z.string().min(1).optional().describe('Default model for tasks, provider:model. Env UMCA_MODEL.'),
    fallbackModels: z
      .array(z.string().min(1))
      .default([])
      .describe('Tried after the default model. Env UMCA_MODEL_FALLBACKS (comma-separated).'),
    mcpSampling: z
      .enum(['allow', 'deny'])
      .default('allow')
      .describe("Whether tasks from MCP clients may use the client's own model. Env UMCA_MCP_SAMPLING."),
    logLevel: z
      .enum(['debug', 'info', 'warn', 'error', 'silent'])
      .default('info')
      .describe('Least severe log level written. Env UMCA_LOG_LEVEL.'),
    logFormat: z
      .enum(['pretty', 'json'])
      .optional()
      .describe('Log lines as JSON (one object per line) or for people; default pretty on a terminal, else JSON. Env UMCA_LOG_FORMAT.'),
    unsafeNoAuth: z
      .boolean()
      .default(false)
      .describe('Listen beyond loopback without authentication (behind a proxy that authenticates). Env UMCA_UNSAFE_NO_AUTH=1.'),
    oidcIssuer: z
      .url({ protocol: /^https?$/, error: 'must be the issuer URL, e.g. https://keycloak.example.com/realms/umca' })
      .optional()
      .describe("Trust bearer tokens from this OpenID Connect issuer (exactly its tokens' iss). Env UMCA_OIDC_ISSUER."),
    oidcAudience: z.string().min(1).default('umca').describe('The audience tokens must name (aud): this server. Env UMCA_OIDC_AUDIENCE.'),
    oidcRolesClaims: z
      .array(z.string().min(1))
      .default([])
      .describe('Where tokens keep roles (dot paths); default realm_access.roles and roles. Env UMCA_OIDC_ROLES_CLAIMS (comma-separated).'),
    oidcClientId: z
      .string()
      .min(1)
      .optional()
      .describe("The issuer's public client the web UI signs in with; its client roles count too. Env UMCA_OIDC_CLIENT_ID."),
    policy: z.string().min(1).optional().describe('The access policy file (umca.policy.v1, YAML or JSON). Env UMCA_POLICY.'),
    publicUrl: z
      .url({ protocol: /^https?$/, error: 'must be the URL clients use to reach this server, e.g. https://umca.example.com' })
      .optional()
      .describe('The URL clients reach this server at, when a proxy stands in front. Env UMCA_PUBLIC_URL.'),
    tracing: z
      .enum(['on', 'off'])
      .default('on')
      .describe("Spans for every run, step, model call and execution, kept in the store (the run page's trace). Env UMCA_TRACING."),
    traceContent: z
      .boolean()
      .default(false)
      .describe(
        'Record prompts, completions, code and program output on spans (off: sizes, models, tokens, timings only). Env UMCA_TRACE_CONTENT=1.',
      ),
    otlpEndpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:6006 (Phoenix)' })
      .optional()
      .describe(
        'Also send spans to this OTLP/HTTP (protobuf) collector; /v1/traces is added to a base URL. Env UMCA_OTLP_ENDPOINT, or the standard OTEL_EXPORTER_OTLP_ENDPOINT.',
      ),
    mcpConfig: z.string().min(1).optional().describe('The upstream MCP servers file (umca.mcp-servers.v1). Env UMCA_MCP_CONFIG.'),
    mcpServers: z
      .array(z.string().min(1))
      .default([])
      .describe('Upstream MCP servers over Streamable HTTP, name=url. Env UMCA_MCP_SERVERS (comma-separated).'),
    toolCallsPerRun: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(50)
      .describe(
        'Upstream MCP tool calls one run may make (its program and its agent together, refused ones included). Env UMCA_TOOL_CALLS_PER_RUN.',
      ),
    traceProject: z
      .string()
      .min(1)
      .max(200)
      .default('umca')
      .describe('The project spans are filed under in Phoenix (openinference.project.name). Env UMCA_TRACE_PROJECT.'),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** The configuration is invalid; the message lists every problem and where to fix it. */
export class ConfigError extends UmcaError<'invalid_config'> {
  override readonly name = 'UMCA_ConfigError';

  constructor(message: string) {
    super('invalid_config', message);
  }
}

/** "a, b,,c" → ["a", "b", "c"]: the environment's comma-separated lists. */
function commaList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/**
 * The default model and its fallbacks from UMCA_MODEL and UMCA_MODEL_FALLBACKS, for the commands
 * that take them without the rest of the server's configuration (`umca mcp`, `umca run`).
 */
export function modelSettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): { model?: string; fallbackModels?: string[] } {
  const fallbackModels = env.UMCA_MODEL_FALLBACKS ? commaList(env.UMCA_MODEL_FALLBACKS) : [];
  return { ...(env.UMCA_MODEL ? { model: env.UMCA_MODEL } : {}), ...(fallbackModels.length ? { fallbackModels } : {}) };
}

function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (env.UMCA_HOST) values.host = env.UMCA_HOST;
  if (env.UMCA_PORT) values.port = env.UMCA_PORT;
  if (env.UMCA_DATA_DIR) values.dataDir = env.UMCA_DATA_DIR;
  if (env.UMCA_ALLOWED_HOSTS) values.allowedHosts = commaList(env.UMCA_ALLOWED_HOSTS);
  if (env.UMCA_RUNNER_CONCURRENCY) values.concurrency = env.UMCA_RUNNER_CONCURRENCY;
  if (env.UMCA_ALLOW_REDUCED_ISOLATION === '1') values.allowReducedIsolation = true;
  if (env.UMCA_WHEELHOUSE) values.wheelhouse = env.UMCA_WHEELHOUSE;
  if (env.UMCA_CONTAINER_LANE === '1') values.containerLane = true;
  if (env.UMCA_STORE) values.store = env.UMCA_STORE;
  if (env.UMCA_BUS) values.bus = env.UMCA_BUS;
  if (env.UMCA_WORKERS) values.workers = env.UMCA_WORKERS;
  if (env.UMCA_MAX_QUEUED) values.maxQueued = env.UMCA_MAX_QUEUED;
  if (env.UMCA_UNSAFE_NO_AUTH === '1') values.unsafeNoAuth = true;
  if (env.UMCA_OIDC_ISSUER) values.oidcIssuer = env.UMCA_OIDC_ISSUER;
  if (env.UMCA_OIDC_AUDIENCE) values.oidcAudience = env.UMCA_OIDC_AUDIENCE;
  if (env.UMCA_OIDC_ROLES_CLAIMS) values.oidcRolesClaims = commaList(env.UMCA_OIDC_ROLES_CLAIMS);
  if (env.UMCA_OIDC_CLIENT_ID) values.oidcClientId = env.UMCA_OIDC_CLIENT_ID;
  if (env.UMCA_POLICY) values.policy = env.UMCA_POLICY;
  if (env.UMCA_PUBLIC_URL) values.publicUrl = env.UMCA_PUBLIC_URL;
  if (env.UMCA_TRACING) values.tracing = env.UMCA_TRACING;
  if (env.UMCA_TRACE_CONTENT === '1') values.traceContent = true;
  if (env.UMCA_OTLP_ENDPOINT) values.otlpEndpoint = env.UMCA_OTLP_ENDPOINT;
  if (env.UMCA_TRACE_PROJECT) values.traceProject = env.UMCA_TRACE_PROJECT;
  if (env.UMCA_MCP_CONFIG) values.mcpConfig = env.UMCA_MCP_CONFIG;
  if (env.UMCA_MCP_SERVERS) values.mcpServers = commaList(env.UMCA_MCP_SERVERS);
  if (env.UMCA_TOOL_CALLS_PER_RUN) values.toolCallsPerRun = env.UMCA_TOOL_CALLS_PER_RUN;
  Object.assign(values, modelSettingsFromEnvironment(env));
  if (env.UMCA_MCP_SAMPLING) values.mcpSampling = env.UMCA_MCP_SAMPLING;
  if (env.UMCA_LOG_LEVEL) values.logLevel = env.UMCA_LOG_LEVEL;
  if (env.UMCA_LOG_FORMAT) values.logFormat = env.UMCA_LOG_FORMAT;
  return values;
}

function fromFile(path: string | undefined, cwd: string): Record<string, unknown> {
  const file = path ? resolve(cwd, path) : resolve(cwd, 'umca.config.json');
  if (!path && !existsSync(file)) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new ConfigError(`cannot read the config file ${file}: ${reason}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('it must hold a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`the config file ${file} is not valid: ${(error as Error).message}`);
  }
}

/** The flag and the environment variable of each setting, to name where a bad value was given. */
const SETTING_NAMES: Readonly<Record<keyof ServerConfig, { flag?: string; env: string }>> = {
  host: { flag: '--host', env: 'UMCA_HOST' },
  port: { flag: '--port', env: 'UMCA_PORT' },
  dataDir: { flag: '--data-dir', env: 'UMCA_DATA_DIR' },
  allowedHosts: { flag: '--allowed-host', env: 'UMCA_ALLOWED_HOSTS' },
  concurrency: { flag: '--concurrency', env: 'UMCA_RUNNER_CONCURRENCY' },
  allowReducedIsolation: { flag: '--allow-reduced-isolation', env: 'UMCA_ALLOW_REDUCED_ISOLATION' },
  wheelhouse: { flag: '--wheelhouse', env: 'UMCA_WHEELHOUSE' },
  containerLane: { flag: '--container-lane', env: 'UMCA_CONTAINER_LANE' },
  store: { flag: '--store', env: 'UMCA_STORE' },
  bus: { flag: '--bus', env: 'UMCA_BUS' },
  workers: { flag: '--workers', env: 'UMCA_WORKERS' },
  maxQueued: { flag: '--max-queued', env: 'UMCA_MAX_QUEUED' },
  model: { flag: '--model', env: 'UMCA_MODEL' },
  fallbackModels: { flag: '--fallback-model', env: 'UMCA_MODEL_FALLBACKS' },
  mcpSampling: { env: 'UMCA_MCP_SAMPLING' },
  logLevel: { flag: '--log-level', env: 'UMCA_LOG_LEVEL' },
  logFormat: { flag: '--log-format', env: 'UMCA_LOG_FORMAT' },
  unsafeNoAuth: { flag: '--unsafe-no-auth', env: 'UMCA_UNSAFE_NO_AUTH' },
  oidcIssuer: { flag: '--oidc-issuer', env: 'UMCA_OIDC_ISSUER' },
  oidcAudience: { flag: '--oidc-audience', env: 'UMCA_OIDC_AUDIENCE' },
  oidcRolesClaims: { flag: '--oidc-roles-claim', env: 'UMCA_OIDC_ROLES_CLAIMS' },
  oidcClientId: { flag: '--oidc-client-id', env: 'UMCA_OIDC_CLIENT_ID' },
  policy: { flag: '--policy', env: 'UMCA_POLICY' },
  publicUrl: { flag: '--public-url', env: 'UMCA_PUBLIC_URL' },
  tracing: { flag: '--tracing', env: 'UMCA_TRACING' },
  traceContent: { flag: '--trace-content', env: 'UMCA_TRACE_CONTENT' },
  otlpEndpoint: { flag: '--otlp-endpoint', env: 'UMCA_OTLP_ENDPOINT' },
  traceProject: { flag: '--trace-project', env: 'UMCA_TRACE_PROJECT' },
  mcpConfig: { flag: '--mcp-config', env: 'UMCA_MCP_CONFIG' },
  mcpServers: { flag: '--mcp-server', env: 'UMCA_MCP_SERVERS' },
  toolCallsPerRun: { flag: '--tool-calls-per-run', env: 'UMCA_TOOL_CALLS_PER_RUN' },
};

/** Where each setting came from, as the user wrote it: `--port "eighty"`, `UMCA_PORT="eighty"`, `"port" in FILE`. */
export type SettingSources = Readonly<Partial<Record<keyof ServerConfig, string>>>;

/** For a whole-number setting given something else or out of range: the range, e.g. "must be a whole number from 0 to 65535". */
function numberRange(key: string, issue: z.core.$ZodIssue): string | undefined {
  if (!['invalid_type', 'too_small', 'too_big', 'not_multiple_of'].includes(issue.code)) return undefined;
  const field = serverConfigSchema.shape[key as keyof ServerConfig] as z.ZodType | undefined;
  if (!field) return undefined;
  const json = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as { type?: string; minimum?: number; maximum?: number };
  if (json.type !== 'integer' || json.minimum === undefined || json.maximum === undefined) return undefined;
  return `must be a whole number from ${json.minimum} to ${json.maximum}`;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Merges and validates; throws ConfigError listing every problem under the flag, variable or file key it came from. */
export function resolveServerConfig(options: {
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  configPath?: string;
  cwd?: string;
}): ServerConfig {
  return resolveServerConfigWithSources(options).config;
}

/** resolveServerConfig, plus where each setting came from (for messages about it later, such as a model that cannot work). */
export function resolveServerConfigWithSources(options: {
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  configPath?: string;
  cwd?: string;
}): { config: ServerConfig; sources: SettingSources } {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const flags = Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, value]) => value !== undefined));
  const file = fromFile(options.configPath, cwd);
  const environment = fromEnvironment(env);
  const fileName = options.configPath ?? 'umca.config.json';
  const sources: Partial<Record<string, string>> = {};
  for (const key of Object.keys(file)) sources[key] = `${JSON.stringify(key)} in ${fileName}`;
  for (const key of Object.keys(environment)) {
    const name = SETTING_NAMES[key as keyof ServerConfig]?.env ?? key;
    sources[key] = `${name}=${JSON.stringify(env[name] ?? '')}`;
  }
  for (const [key, value] of Object.entries(flags)) {
    const flag = SETTING_NAMES[key as keyof ServerConfig]?.flag ?? key;
    sources[key] = typeof value === 'boolean' ? flag : `${flag} ${JSON.stringify(Array.isArray(value) ? value.join(',') : value)}`;
  }
  const merged = { ...file, ...environment, ...flags };
  const parsed = serverConfigSchema.safeParse(merged);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const key = issue.path[0];
        const where = typeof key === 'string' ? (sources[key] ?? key) : `the config file ${fileName}`;
        return `${where}: ${(typeof key === 'string' && numberRange(key, issue)) || issue.message}`;
      });
  // A folder that is not there would only be found once the runner starts, after the data directory exists.
  if (parsed.success && parsed.data.wheelhouse !== undefined && !isFolder(resolve(cwd, parsed.data.wheelhouse))) {
    problems.push(`${sources.wheelhouse ?? 'wheelhouse'}: there is no such folder (looked for ${resolve(cwd, parsed.data.wheelhouse)})`);
  }
  if (parsed.success) problems.push(...authProblems(parsed.data, sources, cwd));
  if (parsed.success) problems.push(...upstreamServerProblems(parsed.data, sources, cwd, env));
  // Named even when another setting is wrong too, so that one start shows every problem.
  problems.push(...checkScaleOut(scaleOutOf(merged), sources));
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`the server configuration is invalid:\n  ${problems.join('\n  ')}`);
  }
  return {
    config: {
      ...parsed.data,
      dataDir: resolve(cwd, parsed.data.dataDir),
      ...(parsed.data.mcpConfig ? { mcpConfig: resolve(cwd, parsed.data.mcpConfig) } : {}),
      ...(parsed.data.policy ? { policy: resolve(cwd, parsed.data.policy) } : {}),
    },
    sources,
  };
}

/** Whether the data directory holds a key for UMCA's own tokens (`umca token create` made one). */
export function hasLocalTokenKeys(dataDir: string): boolean {
  return existsSync(join(dataDir, 'auth', 'signing-keys.json'));
}

/** The store, bus and workers as given (strings), defaults for the rest, for checking them together. */
function scaleOutOf(merged: Record<string, unknown>): ScaleOutSettings {
  const text = (value: unknown, fallback: string) => (typeof value === 'string' && value.length > 0 ? value : fallback);
  const workers = merged.workers === 'remote' ? 'remote' : 'local';
  return { store: text(merged.store, 'embedded'), bus: text(merged.bus, 'embedded'), workers };
}

/** Identity and policy settings that cannot work, in the words of where they were given. */
function authProblems(config: ServerConfig, sources: SettingSources, cwd: string): string[] {
  const problems: string[] = [];
  const authenticated = config.oidcIssuer !== undefined || hasLocalTokenKeys(resolve(cwd, config.dataDir));
  if (!LOOPBACK.has(config.host) && !authenticated && !config.unsafeNoAuth) {
    problems.push(
      `${sources.host ?? '--host'}: listening on ${config.host} would let anyone who can reach it run code, and no authentication is configured; ` +
        "give an OpenID Connect issuer (--oidc-issuer URL, e.g. the bundled Keycloak realm: docs/auth.md), or issue UMCA's own tokens (umca token create --role developer), " +
        'or listen on 127.0.0.1 (the default); behind a proxy that authenticates, --unsafe-no-auth',
    );
  }
  if (config.policy !== undefined) {
    if (!authenticated) {
      problems.push(
        `${sources.policy ?? '--policy'}: a policy decides by the roles in tokens, and no tokens are checked; give --oidc-issuer or issue UMCA's own tokens (umca token create)`,
      );
    }
    const file = resolve(cwd, config.policy);
    try {
      readAccessPolicy(readFileSync(file, 'utf8'), file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? `there is no such file (looked for ${file})` : (error as Error).message;
      problems.push(`${sources.policy ?? '--policy'}: ${reason}`);
    }
  }
  return problems;
}
