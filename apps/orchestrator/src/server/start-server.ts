/**
 * @module start-server
 * `umca serve`: opens the store, recovers runs a previous process left unfinished, starts the
 * runner and the HTTP server, and shuts all of it down in order on request.
 */

import { existsSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { EventBusV1, Logger, RunnerV1 } from '@umca/contracts';
import { createApp } from '../app/create-app.js';
import { accessFromConfig } from '../auth/access-from-config.js';
import type { ServerConfig } from '../config/server-config.js';
import { upstreamServersFrom } from '../config/upstream-servers.js';
import { createMcpHttpHandler } from '../mcp/create-mcp-http-handler.js';
import { createMcpServer } from '../mcp/create-mcp-server.js';
import { createMetrics } from '../metrics/create-metrics.js';
import { createLogger } from './create-logger.js';
import { openService } from './open-service.js';

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  readonly port: number;
  /** The service's event bus (to publish from an embedding process, or to measure). */
  readonly bus: EventBusV1;
  /** Stops accepting, ends runs in progress (recorded as cancelled), closes everything. */
  close(): Promise<void>;
}

export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist', import.meta.url));

/**
 * The Host header values the server answers to: the names of the address it listens on (every
 * address of this machine, and its host name, for a wildcard such as 0.0.0.0), the host of
 * `--public-url`, and `--allowed-host`s.
 */
function hostsFor(host: string, port: number, extra: readonly string[], publicUrl?: string): Set<string> {
  const loopback = ['127.0.0.1', 'localhost', '::1', '[::1]'];
  const bracketed = (address: string) => (address.includes(':') ? `[${address}]` : address);
  let names: string[];
  if (loopback.includes(host)) names = ['127.0.0.1', 'localhost', '[::1]'];
  else if (host === '0.0.0.0' || host === '::' || host === '[::]') {
    const addresses = Object.values(networkInterfaces()).flatMap((entries) => (entries ?? []).map((entry) => entry.address));
    names = [...loopback.filter((name) => name !== '::1'), hostname().toLowerCase(), ...addresses.map(bracketed)];
  } else names = [bracketed(host)];
  const fromUrl = publicUrl ? [new URL(publicUrl).host.toLowerCase()] : [];
  return new Set([...names.map((name) => `${name}:${port}`), ...fromUrl, ...extra.map((entry) => entry.toLowerCase())]);
}

function listenProblem(error: NodeJS.ErrnoException, host: string, port: number): Error {
  return new Error(
    error.code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use; choose another with --port (0 picks a free one)`
      : error.code === 'EADDRNOTAVAIL'
        ? `cannot listen on ${host}: no network interface of this machine has that address; choose another with --host`
        : `cannot listen on ${host}:${port}: ${error.message}`,
  );
}

/** Binds and releases the address once, so a port in use or an address not on this machine is refused before the data directory is opened. */
async function checkCanListen(host: string, port: number): Promise<void> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(listenProblem(error, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export async function startServer(
  config: ServerConfig,
  options: {
    /** Default: a pino logger on stderr at the configured level and format. */
    logger?: Logger & { child?(bindings: Record<string, unknown>): Logger };
    runner?: RunnerV1;
    uiDir?: string;
    sse?: { heartbeatMs?: number; retryMs?: number };
    /** Where model providers' addresses and keys are read (default process.env). */
    modelEnv?: NodeJS.ProcessEnv;
  } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, ...(config.logFormat ? { format: config.logFormat } : {}) });
  await checkCanListen(config.host, config.port);
  let metrics: ReturnType<typeof createMetrics> | undefined;
  const service = await openService(
    { ...config, upstreamServers: upstreamServersFrom(config, options.modelEnv ?? process.env) },
    {
      logger,
      ...(options.runner ? { runner: options.runner } : {}),
      ...(options.modelEnv ? { modelEnv: options.modelEnv } : {}),
      onRunEnded: (run, language) =>
        metrics?.runEnded(
          { status: run.status, language, ...(run.lane ? { lane: run.lane } : {}), ...(run.runtime ? { runtime: run.runtime } : {}) },
          run.durationMs / 1000,
        ),
      onPublishFailed: (type) => metrics?.eventPublishFailed(type),
    },
  );
  const { store, bus, runner, runs } = service;
  metrics = createMetrics({
    activeRuns: () => runs.activeCount(),
    queuedRuns: () => store.runs.count({ status: 'queued' }),
    spanCounts: () => service.tracing.counts(),
  });
  const access = accessFromConfig(config, logger);
  const mcp = createMcpHttpHandler({
    createServer: (grant) =>
      createMcpServer({
        runs,
        bus,
        quota: access.quota,
        ...(service.sessions ? { sessions: service.sessions } : {}),
        logger,
        ...(grant ? { grant } : {}),
        allowSampling: config.mcpSampling === 'allow',
        ...(config.model ? { defaultModel: config.model } : {}),
      }),
    streams: store.streams,
  });
  let allowed = new Set<string>();
  const uiDir = options.uiDir ?? (existsSync(DEFAULT_UI_DIR) ? DEFAULT_UI_DIR : undefined);
  const app = createApp({
    access,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    runs,
    ...(service.sessions ? { sessions: service.sessions } : {}),
    bus,
    spans: store.spans,
    ...(service.upstream ? { upstream: service.upstream } : {}),
    ...(runner ? { runner } : {}),
    dependencies: () => service.dependencies(),
    metrics,
    logger,
    allowedHosts: () => allowed,
    ...(config.model ? { defaultModel: config.model } : {}),
    models: { ...service.models, tracing: service.tracing.tracing },
    ...(uiDir ? { uiDir } : {}),
    ...(options.sse ? { sse: options.sse } : {}),
    mount: (routes) => {
      routes.all('/mcp', (context) => {
        const grant = context.get('grant');
        return mcp.handle(context.req.raw, access.mode === 'tokens' && grant ? { grant } : undefined);
      });
    },
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const instance = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(instance));
    instance.once('error', reject);
  }).catch(async (error: NodeJS.ErrnoException) => {
    await service.close();
    throw listenProblem(error, config.host, config.port);
  });
  const port = (server.address() as AddressInfo).port;
  allowed = hostsFor(config.host, port, config.allowedHosts, config.publicUrl);
  // A wildcard address is no place to send a request to: this machine's loopback is.
  const reachable = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' || config.host === '[::]' ? '::1' : config.host;
  const hostInUrl = reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    bus,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await runs.shutdown();
        await mcp.close();
        if ('closeAllConnections' in server) (server as { closeAllConnections(): void }).closeAllConnections();
        await stopped;
        await service.close();
      })();
      return closing;
    },
  };
}
