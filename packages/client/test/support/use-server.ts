/**
 * A real `umca serve` in the test process, for the client to talk to: real runner and sandbox, a
 * real SQLite store in a temporary data directory, real HTTP on a random port. `restart()` stops
 * it and starts a new one on the same port and data directory, as an operator would. (The same
 * idea as the orchestrator's tests' helper; test files are not shared across packages.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, resolveServerConfig, startServer } from '@umca/orchestrator';
import { afterAll, beforeAll } from 'vitest';

const quiet = { info() {}, warn() {}, error() {} };

export interface TestServer {
  readonly url: string;
  restart(): Promise<void>;
}

export function useServer(options: { sse?: { heartbeatMs?: number; retryMs?: number } } = {}): () => TestServer {
  const dataDir = mkdtempSync(join(tmpdir(), 'umca-client-'));
  let server: RunningServer | undefined;
  let port = 0;
  const start = async () => {
    server = await startServer(resolveServerConfig({ flags: { port, dataDir }, env: {} }), {
      logger: quiet,
      ...(options.sse ? { sse: options.sse } : {}),
    });
    port = server.port;
  };
  const stop = async () => {
    await server?.close();
    server = undefined;
  };
  const handle: TestServer = {
    get url() {
      if (!server) throw new Error('the server is not running');
      return server.url;
    },
    async restart() {
      await stop();
      await start();
    },
  };
  beforeAll(start);
  afterAll(stop);
  return () => handle;
}
