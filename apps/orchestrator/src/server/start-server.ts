/**
 * @module start-server
 * `umca serve`: opens the store, recovers runs a previous process left unfinished, starts the
 * runner and the HTTP server, and shuts all of it down in order on request.
 */
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import type { EventBusV1, Logger, RunnerV1 } from '@umca/contracts';
import { createApp } from '../app/create-app.js';
import type { ServerConfig } from '../config/server-config.js';
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

function hostsFor(host: string, port: number, extra: readonly string[]): Set<string> {
  const loopback = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
  const names = loopback ? ['127.0.0.1', 'localhost', '[::1]'] : [host.includes(':') ? `[${host}]` : host];
  return new Set([...names.map((name) => `${name}:${port}`), ...extra.map((entry) => entry.toLowerCase())]);
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
  const service = await openService(config, {
    logger,
    ...(options.runner ? { runner: options.runner } : {}),
    ...(options.modelEnv ? { modelEnv: options.modelEnv } : {}),
    onRunEnded: (run, language) => metrics?.runEnded({ status: run.status, language }, run.durationMs / 1000),
    onPublishFailed: (type) => metrics?.eventPublishFailed(type),
  });
  const { store, bus, runner, runs } = service;
  metrics = createMetrics({ activeRuns: () => runs.activeCount() });
  const mcp = createMcpHttpHandler({
    createServer: () =>
      createMcpServer({
        runs,
        bus,
        allowSampling: config.mcpSampling === 'allow',
        ...(config.model ? { defaultModel: config.model } : {}),
      }),
    streams: store.streams,
  });
  let allowed = new Set<string>();
  const uiDir = options.uiDir ?? (existsSync(DEFAULT_UI_DIR) ? DEFAULT_UI_DIR : undefined);
  const app = createApp({
    runs,
    bus,
    runner,
    metrics,
    logger,
    allowedHosts: () => allowed,
    ...(config.model ? { defaultModel: config.model } : {}),
    ...(uiDir ? { uiDir } : {}),
    ...(options.sse ? { sse: options.sse } : {}),
    mount: (routes) => {
      routes.all('/mcp', (context) => mcp.handle(context.req.raw));
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
  allowed = hostsFor(config.host, port, config.allowedHosts);
  const hostInUrl = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;

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
