/**
 * The origin check, in-process through `app.request()`: every route, the MCP endpoint included,
 * refuses a browser request from a foreign or opaque (`Origin: null`) origin before it does
 * anything. The check stands in front of every route, so no sandbox is needed: the runner here
 * only counts the runs it is asked for, and a refused request must never ask for one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunnerV1 } from '@umca/contracts';
import { unstartedResult } from '@umca/runner';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createAccessControl,
  createApp,
  createLogger,
  createMcpHttpHandler,
  createMcpServer,
  createMetrics,
  openService,
  type Service,
} from '../src/index.js';

const HOST = '127.0.0.1:8787';
const executed: unknown[] = [];
const countingRunner: RunnerV1 = {
  specificationVersion: 'v1',
  isolation: 'os',
  async execute(request) {
    executed.push(request);
    return unstartedResult({ status: 'rejected', reason: 'this test runs nothing', isolation: 'os' });
  },
  stats: () => ({ isolation: 'os', active: 0, queued: 0, idleSandboxes: 0, completed: 0, sandboxStartupMs: undefined, lanes: [] }),
  async close() {},
};

let service: Service;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  service = await openService(
    { dataDir: mkdtempSync(join(tmpdir(), 'umca-origin-')) },
    { runner: countingRunner, logger: createLogger({ level: 'silent' }) },
  );
  const mcp = createMcpHttpHandler({
    createServer: () => createMcpServer({ runs: service.runs, bus: service.bus }),
    streams: service.store.streams,
  });
  app = createApp({
    ...service,
    access: createAccessControl({}),
    metrics: createMetrics({ activeRuns: () => 0 }),
    logger: createLogger({ level: 'silent' }),
    allowedHosts: () => new Set([HOST]),
    // The same mount as `umca serve` (start-server.ts).
    mount: (routes) => routes.all('/mcp', (context) => mcp.handle(context.req.raw)),
  });
});
afterAll(() => service?.close());
beforeEach(() => {
  executed.length = 0;
});

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'origin-test', version: '0' } },
});
const execution = JSON.stringify({ language: 'python', code: 'print(1)' });
const routes: Array<[method: string, path: string, body?: string]> = [
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/metrics'],
  ['GET', '/openapi.json'],
  ['GET', '/schemas'],
  ['GET', '/v1/runs'],
  ['GET', '/v1/events'],
  ['POST', '/v1/executions', execution],
  ['POST', '/v1/tasks', JSON.stringify({ task: 'print one' })],
  ['POST', '/v1/runs/run_x/cancel', '{}'],
  ['POST', '/mcp', initialize],
  ['GET', '/mcp'],
  ['DELETE', '/mcp'],
];

function send(method: string, path: string, body: string | undefined, origin: string | undefined): Promise<Response> {
  const headers: Record<string, string> = {
    host: HOST,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (origin !== undefined) headers.origin = origin;
  return Promise.resolve(app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }));
}

describe('origin check', () => {
  it.each(routes)('%s %s refuses Origin: null with 403 problem+json', async (method, path, body) => {
    const response = await send(method, path, body, 'null');
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = await response.json();
    expect(problem).toMatchObject({ status: 403, title: 'Forbidden origin' });
    expect(problem.detail).toContain('Origin: null');
    expect(executed).toEqual([]);
  });

  it.each(routes)('%s %s refuses a foreign origin with 403 problem+json', async (method, path, body) => {
    const response = await send(method, path, body, 'https://evil.example');
    expect(response.status).toBe(403);
    expect((await response.json()).detail).toContain('"https://evil.example"');
    expect(executed).toEqual([]);
  });

  it('lets the server’s own pages and clients without an Origin through', async () => {
    expect((await send('GET', '/healthz', undefined, `http://${HOST}`)).status).toBe(200);
    expect((await send('GET', '/healthz', undefined, undefined)).status).toBe(200);
    const mcp = await send('POST', '/mcp', initialize, `http://${HOST}`);
    expect(mcp.status).toBe(200);
    expect(mcp.headers.get('mcp-session-id')).toBeTruthy();
    await mcp.body?.cancel();
    expect((await send('POST', '/v1/executions', execution, `http://${HOST}`)).status).toBe(200);
    expect(executed).toHaveLength(1);
  });
});
