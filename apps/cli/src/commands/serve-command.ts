/**
 * @module serve-command
 * `umca serve`: the UMCA service on its embedded defaults (no Docker, no external server, no
 * key). Prints the base URL as the first line of standard output once it is ready.
 */
import {
  ConfigError,
  checkModelSettings,
  resolveServerConfigWithSources,
  type ServerConfig,
  type SettingSources,
  startServer,
} from '@umca/orchestrator';
import { RunnerError } from '@umca/runner';
import { describePostgresUrl, StoreError } from '@umca/store';
import type { Command } from 'commander';

const collect = (value: string, previous: string[]) => [...previous, value];

interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  config?: string;
  allowedHost: string[];
  concurrency?: string;
  allowReducedIsolation?: boolean;
  containerLane?: boolean;
  wheelhouse?: string;
  store?: string;
  bus?: string;
  workers?: string;
  maxQueued?: string;
  unsafeNoAuth?: boolean;
  model?: string;
  fallbackModel: string[];
  logLevel?: string;
  logFormat?: string;
  oidcIssuer?: string;
  oidcAudience?: string;
  oidcRolesClaim: string[];
  oidcClientId?: string;
  policy?: string;
  publicUrl?: string;
  tracing?: string;
  traceContent?: boolean;
  otlpEndpoint?: string;
  traceProject?: string;
  mcpConfig?: string;
  toolCallsPerRun?: string;
  mcpServer: string[];
}

async function serveCommand(flags: ServeFlags): Promise<number> {
  let config: ServerConfig;
  try {
    let sources: SettingSources;
    ({ config, sources } = resolveServerConfigWithSources({
      ...(flags.config ? { configPath: flags.config } : {}),
      flags: {
        host: flags.host,
        port: flags.port,
        dataDir: flags.dataDir,
        allowedHosts: flags.allowedHost.length > 0 ? flags.allowedHost : undefined,
        concurrency: flags.concurrency,
        allowReducedIsolation: flags.allowReducedIsolation,
        containerLane: flags.containerLane,
        wheelhouse: flags.wheelhouse,
        store: flags.store,
        bus: flags.bus,
        workers: flags.workers,
        maxQueued: flags.maxQueued,
        unsafeNoAuth: flags.unsafeNoAuth,
        model: flags.model,
        fallbackModels: flags.fallbackModel.length > 0 ? flags.fallbackModel : undefined,
        logLevel: flags.logLevel,
        logFormat: flags.logFormat,
        oidcIssuer: flags.oidcIssuer,
        oidcAudience: flags.oidcAudience,
        oidcRolesClaims: flags.oidcRolesClaim.length > 0 ? flags.oidcRolesClaim : undefined,
        oidcClientId: flags.oidcClientId,
        policy: flags.policy,
        publicUrl: flags.publicUrl,
        tracing: flags.tracing,
        traceContent: flags.traceContent,
        otlpEndpoint: flags.otlpEndpoint,
        traceProject: flags.traceProject,
        mcpConfig: flags.mcpConfig,
        mcpServers: flags.mcpServer.length > 0 ? flags.mcpServer : undefined,
        toolCallsPerRun: flags.toolCallsPerRun,
      },
    }));
    // Checked here, under the names the user gave them; startServer checks again, before it opens anything.
    checkModelSettings(config, process.env, {
      model: sources.model ?? 'model',
      fallbackModels: sources.fallbackModels ?? 'fallbackModels',
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`umca: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`umca: ${error.message}\n`);
      return 2;
    }
    if (error instanceof RunnerError || error instanceof StoreError || error instanceof Error) {
      process.stderr.write(`umca: ${error.message}\n`);
      return 3;
    }
    throw error;
  }
  process.stdout.write(`${server.url}\n`);
  const where =
    config.store === 'embedded'
      ? `data in ${config.dataDir}`
      : `store ${describePostgresUrl(config.store)}, bus ${config.bus}, workers ${config.workers}`;
  process.stderr.write(`umca: serving on ${server.url} (${where}); Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stderr.write('umca: stopping; runs in progress are ended and recorded\n');
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the UMCA service: HTTP API, MCP at /mcp, live events and the web UI')
    .option('--host <address>', 'address to listen on (default 127.0.0.1; env UMCA_HOST)')
    .option('--port <port>', 'port, 0 for any free one (default 8787; env UMCA_PORT)')
    .option('--data-dir <dir>', 'where runs and events are kept (default .umca; env UMCA_DATA_DIR)')
    .option('--config <file>', 'a JSON config file (default: umca.config.json if present)')
    .option('--allowed-host <host:port>', 'another Host header value to answer to (repeatable)', collect, [])
    .option('--concurrency <n>', 'runs executing at once (default: CPUs)')
    .option('--wheelhouse <dir>', 'folder of pure-Python wheels programs may import')
    .option('--allow-reduced-isolation', 'run even without the OS sandbox (bubblewrap); weaker isolation')
    .option('--container-lane', 'offer the container lane (native python3/node under bubblewrap) to callers whose policy allows it')
    .option('--store <url>', 'embedded (SQLite in --data-dir, the default) or postgres://user:password@host:5432/db (env UMCA_STORE)')
    .option(
      '--bus <url>',
      "embedded (the default) or rocketmq://host:8081, the RocketMQ proxy's gRPC port (env UMCA_BUS); docs/scale-out.md",
    )
    .option('--workers <where>', 'local (this server runs code, the default) or remote (umca worker processes do; env UMCA_WORKERS)')
    .option('--max-queued <n>', 'with remote workers: runs that may wait before new ones get 429 (default 1000; env UMCA_MAX_QUEUED)')
    .option('--oidc-issuer <url>', "trust bearer tokens from this OpenID Connect issuer, exactly its tokens' iss (env UMCA_OIDC_ISSUER)")
    .option('--oidc-audience <aud>', 'the audience tokens must name (default umca; env UMCA_OIDC_AUDIENCE)')
    .option('--oidc-roles-claim <path>', 'where tokens keep roles, a dot path (repeatable; default realm_access.roles, roles)', collect, [])
    .option('--oidc-client-id <id>', "the issuer's public client the web UI signs in with (env UMCA_OIDC_CLIENT_ID)")
    .option('--policy <file>', 'who may do what: a umca.policy.v1 file, YAML or JSON (env UMCA_POLICY); see docs/auth.md')
    .option('--public-url <url>', 'the URL clients reach this server at, behind a proxy (env UMCA_PUBLIC_URL)')
    .option('--unsafe-no-auth', 'allow listening beyond loopback without authentication (behind a proxy that authenticates)')
    .option('--model <provider:model>', 'default model for agent tasks (env UMCA_MODEL); see docs/models.md')
    .option(
      '--fallback-model <provider:model>',
      'a model to try when the default fails (repeatable; env UMCA_MODEL_FALLBACKS)',
      collect,
      [],
    )
    .option('--tracing <on|off>', "spans of every run, kept in the store and shown on the run's page (default on; env UMCA_TRACING)")
    .option('--trace-content', 'record prompts, completions, code and program output on spans (default off; env UMCA_TRACE_CONTENT=1)')
    .option(
      '--otlp-endpoint <url>',
      'also send spans over OTLP/HTTP to this collector, e.g. Phoenix at http://127.0.0.1:6006 (env UMCA_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT)',
    )
    .option('--trace-project <name>', 'the Phoenix project spans are filed under (default umca; env UMCA_TRACE_PROJECT)')
    .option(
      '--mcp-config <file>',
      'upstream MCP servers whose tools agents and programs may call: a umca.mcp-servers.v1 file (env UMCA_MCP_CONFIG); docs/mcp-client.md',
    )
    .option(
      '--mcp-server <name=url>',
      'an upstream MCP server over Streamable HTTP (repeatable; env UMCA_MCP_SERVERS, comma-separated)',
      collect,
      [],
    )
    .option(
      '--tool-calls-per-run <n>',
      'upstream MCP tool calls one run may make, refused ones included (default 50; env UMCA_TOOL_CALLS_PER_RUN)',
    )
    .option('--log-level <level>', 'debug, info (default), warn, error or silent (env UMCA_LOG_LEVEL)')
    .option('--log-format <format>', 'pretty (default on a terminal) or json (env UMCA_LOG_FORMAT)')
    .action(async (flags: ServeFlags) => {
      process.exitCode = await serveCommand(flags);
    });
}
