/**
 * The stand-in for RAGFlow and a Dify app (packages/upstream-tools/test/support/stand_in_server.py,
 * the official Python MCP SDK) as a real MCP server for a test file: started on a free port before
 * the file's tests, over Streamable HTTP at /mcp with no token, and stopped after them. Call it
 * before `useServer`, whose `config` function then reads `url`, so UMCA starts as its client.
 * `absentUrl` is an MCP address where nothing listens, for a registered server that is down.
 * With `token`, it answers only requests that carry `Authorization: Bearer <token>`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll } from 'vitest';
import { findFreePort, logTail, startWatchedProcess, type WatchedProcess } from '../../../../test/support/watched-process.js';
import { until } from './until.js';

const PYTHON = resolve(import.meta.dirname, '../../../../node_modules/.umca-python/bin/python');
const STAND_IN = resolve(import.meta.dirname, '../../../../packages/upstream-tools/test/support/stand_in_server.py');

export interface StandInMcpServer {
  readonly url: string;
  readonly absentUrl: string;
  /** A connected MCP client of it, for what a test must do before UMCA starts (add a tool). */
  connect(): Promise<Client>;
  /** Kills it at once, as a crash would (a server that dies under UMCA); it is not started again. */
  kill(): Promise<void>;
}

export function useStandInMcpServer(options: { token?: string } = {}): () => StandInMcpServer {
  let child: WatchedProcess | undefined;
  let handle: StandInMcpServer | undefined;
  beforeAll(async () => {
    const [port, absent] = [await findFreePort(), await findFreePort()];
    const folder = mkdtempSync(join(tmpdir(), 'umca-stand-in-'));
    const logFile = join(folder, 'server.log');
    child = startWatchedProcess({
      command: PYTHON,
      args: [STAND_IN, 'http', String(port), ...(options.token ? [options.token] : [])],
      cwd: folder,
      env: { PATH: process.env.PATH },
      logFile,
      stopSignal: 'TERM',
      stopGraceMs: 5_000,
    });
    const url = `http://127.0.0.1:${port}/mcp`;
    async function connect(): Promise<Client> {
      const client = new Client({ name: 'umca-test', version: '0.1.0' });
      const headers = options.token ? { authorization: `Bearer ${options.token}` } : undefined;
      await client.connect(new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined));
      return client;
    }
    // Until it answers an MCP handshake (Python takes a second or two to start), a bounded wait.
    let answered = false;
    await until(
      async () => {
        answered = await connect().then(
          (client) => client.close().then(() => true),
          () => false,
        );
        return answered;
      },
      150,
      100,
    );
    if (!answered) throw new Error(`the stand-in MCP server did not answer at ${url}: ${logTail(logFile)}`);
    const started = child;
    handle = { url, absentUrl: `http://127.0.0.1:${absent}/mcp`, connect, kill: async () => started.kill() };
  });
  afterAll(() => child?.stop());
  return () => {
    if (!handle) throw new Error('the stand-in MCP server is not running');
    return handle;
  };
}
