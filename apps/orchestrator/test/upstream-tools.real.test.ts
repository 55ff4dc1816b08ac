/**
 * A real `umca serve` as an MCP client: the stand-in for RAGFlow and a Dify app (the official
 * Python MCP SDK, packages/upstream-tools/test/support) registered with `--mcp-server`, its tools
 * listed at /v1/tools and its health in /readyz; a registered server that is not there is down
 * there too, with the reason, and does not make UMCA unready.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readiness, UpstreamToolList } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, startWatchedProcess, type WatchedProcess } from '../../../test/support/watched-process.js';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

const PYTHON = resolve(import.meta.dirname, '../../../node_modules/.umca-python/bin/python');
const STAND_IN = resolve(import.meta.dirname, '../../../packages/upstream-tools/test/support/stand_in_server.py');

let standIn: WatchedProcess;
let port: number;
let absent: number;
beforeAll(async () => {
  [port, absent] = [await findFreePort(), await findFreePort()];
  const folder = mkdtempSync(join(tmpdir(), 'umca-stand-in-'));
  standIn = startWatchedProcess({
    command: PYTHON,
    args: [STAND_IN, 'http', String(port)],
    cwd: folder,
    env: { PATH: process.env.PATH },
    logFile: join(folder, 'server.log'),
    stopSignal: 'TERM',
    stopGraceMs: 5_000,
  });
});
afterAll(() => standIn?.stop());
const server = useServer({
  config: () => ({ mcpServers: [`ragflow=http://127.0.0.1:${port}/mcp`, `dify=http://127.0.0.1:${absent}/mcp`] }),
});

const json = async <T>(path: string): Promise<T> => (await fetch(`${server().url}${path}`)).json() as Promise<T>;

describe('upstream MCP servers', () => {
  it('lists the tools of those that are up, and each server’s health in /readyz without making UMCA unready', async () => {
    let list: UpstreamToolList = { servers: [], tools: [] };
    await until(
      async () => {
        list = await json<UpstreamToolList>('/v1/tools');
        return (
          list.servers.find((entry) => entry.name === 'ragflow')?.status === 'up' &&
          list.servers.find((entry) => entry.name === 'dify')?.status === 'down'
        );
      },
      300,
      100,
    );
    expect(list.tools.filter((tool) => tool.server === 'ragflow').map((tool) => tool.name)).toContain('ragflow_ragflow_retrieval');
    expect(list.tools.some((tool) => tool.server === 'dify')).toBe(false);
    expect(list.servers.find((entry) => entry.name === 'dify')?.detail).toMatch(/^cannot connect: .*trying again in \d+ s$/);
    const response = await fetch(`${server().url}/readyz`);
    expect(response.status).toBe(200);
    const readiness = (await response.json()) as Readiness;
    expect(readiness.dependencies.filter((dependency) => dependency.name === 'mcp server')).toEqual([
      { name: 'mcp server', kind: 'mcp', server: 'ragflow', status: 'up' },
      expect.objectContaining({ name: 'mcp server', kind: 'mcp', server: 'dify', status: 'down' }),
    ]);
  });
});
