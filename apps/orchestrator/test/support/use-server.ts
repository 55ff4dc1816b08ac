/**
 * A real `umca serve` in the test process: real runner and sandbox, real SQLite store in a
 * temporary data directory, real HTTP on a random port. `restart()` stops it and starts a new one
 * on the same port and data directory, as an operator would.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBusV1 } from '@umca/contracts';
import { afterAll, beforeAll } from 'vitest';
import { type RunningServer, resolveServerConfig, startServer } from '../../src/index.js';

const quiet = { info() {}, warn() {}, error() {} };

export interface TestServer {
  readonly url: string;
  readonly dataDir: string;
  /** The running server's event bus: to publish what a test cannot make through the API (a gate's verdict). */
  readonly bus: EventBusV1;
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function useServer(
  options: {
    sse?: { heartbeatMs?: number; retryMs?: number };
    /** Model provider settings, read when the server starts. */
    modelEnv?: () => NodeJS.ProcessEnv;
    /** More server configuration (as flags); a function is read when the server starts (a collector started first, say). */
    config?: Record<string, unknown> | (() => Record<string, unknown>);
    /** The environment the configuration is read with, as UMCA_* variables and `${NAME}` references in its files (default none). */
    configEnv?: () => NodeJS.ProcessEnv;
  } = {},
): () => TestServer {
  const dataDir = mkdtempSync(join(tmpdir(), 'umca-serve-'));
  let server: RunningServer | undefined;
  let port = 0;
  const handle: TestServer = {
    get url() {
      if (!server) throw new Error('the server is not running');
      return server.url;
    },
    dataDir,
    get bus() {
      if (!server) throw new Error('the server is not running');
      return server.bus;
    },
    async start() {
      const config = typeof options.config === 'function' ? options.config() : options.config;
      server = await startServer(resolveServerConfig({ flags: { ...config, port, dataDir }, env: options.configEnv?.() ?? {} }), {
        logger: quiet,
        ...(options.modelEnv ? { modelEnv: options.modelEnv() } : {}),
        ...(options.sse ? { sse: options.sse } : {}),
      });
      port = server.port;
    },
    async stop() {
      await server?.close();
      server = undefined;
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
  };
  beforeAll(() => handle.start());
  afterAll(() => handle.stop());
  return () => handle;
}
