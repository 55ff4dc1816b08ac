/**
 * UMCA as an MCP client of real MCP servers: the stand-in for RAGFlow and a Dify app
 * (support/stand_in_server.py, the official Python MCP SDK) over Streamable HTTP with a bearer
 * token and over stdio. Tools listed with their prefix and called; a tool's failure, a slow tool
 * past its timeout, a list that changes, a wrong token, a server that dies mid-call and comes
 * back; a stdio server that gets none of UMCA's environment but PATH and HOME.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { UpstreamServer, UpstreamToolsV1 } from '@umca/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, startWatchedProcess, type WatchedProcess } from '../../../test/support/watched-process.js';
import { openUpstreamTools, UpstreamError } from '../src/index.js';

const PYTHON = resolve(import.meta.dirname, '../../../node_modules/.umca-python/bin/python');
const SERVER = resolve(import.meta.dirname, 'support/stand_in_server.py');
const TOKEN = 'stand-in-token-5d1f';
const quiet = { info() {}, warn() {}, error() {} };
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function startStandIn(port?: number): Promise<{ port: number; process: WatchedProcess }> {
  const chosen = port ?? (await findFreePort());
  const folder = mkdtempSync(join(tmpdir(), 'umca-stand-in-'));
  const proc = startWatchedProcess({
    command: PYTHON,
    args: [SERVER, 'http', String(chosen), TOKEN],
    cwd: folder,
    env: { PATH: process.env.PATH },
    logFile: join(folder, 'server.log'),
    stopSignal: 'TERM',
    stopGraceMs: 5_000,
  });
  cleanup.push(() => proc.stop());
  return { port: chosen, process: proc };
}

/** Polls (100 ms apart, `polls` times at most) until `check` holds. */
async function until(check: () => boolean, polls = 300): Promise<void> {
  for (let poll = 0; poll < polls; poll++) {
    if (check()) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('the condition did not hold in time');
}

function open(servers: UpstreamServer[]): UpstreamToolsV1 {
  const tools = openUpstreamTools({ servers, logger: quiet, backoff: { initialMs: 100, maxMs: 400 }, healthIntervalMs: 300 });
  cleanup.push(() => tools.close());
  return tools;
}

const http = (port: number, extra: Partial<UpstreamServer> = {}): UpstreamServer =>
  ({
    name: 'ragflow',
    transport: 'http',
    url: `http://127.0.0.1:${port}/mcp`,
    auth: { type: 'bearer', token: TOKEN },
    timeoutMs: 10_000,
    ...extra,
  }) as UpstreamServer;

describe('an upstream MCP server over Streamable HTTP', () => {
  it('lists its tools under its prefix and calls them, with their structured results', async () => {
    const { port } = await startStandIn();
    const tools = open([http(port)]);
    await until(() => tools.servers()[0]?.status === 'up');
    expect(tools.servers()[0]).toMatchObject({ name: 'ragflow', transport: 'http', status: 'up', tools: 6 });
    expect(
      tools
        .tools()
        .map((tool) => tool.name)
        .sort(),
    ).toEqual([
      'ragflow_add_tool',
      'ragflow_environment_names',
      'ragflow_failing',
      'ragflow_ragflow_retrieval',
      'ragflow_slow',
      'ragflow_workflow_run',
    ]);
    const retrieval = tools.tools().find((tool) => tool.tool === 'ragflow_retrieval');
    expect(retrieval?.inputSchema).toMatchObject({ properties: { question: { type: 'string' } }, required: ['question'] });
    const answer = await tools.call('ragflow_ragflow_retrieval', { question: 'How long do refunds take?', top_k: 1 });
    expect(answer).toMatchObject({ isError: false, structured: { chunks: [{ document_id: 'doc-1', title: 'Refunds' }] } });
    expect(answer.text).toContain('14 days');
    expect(answer.durationMs).toBeGreaterThan(0);
  });

  it('reports a tool that failed as a result, a slow one past its time as a timeout, an unknown one by name', async () => {
    const { port } = await startStandIn();
    const tools = open([http(port), http(port, { name: 'hurried', timeoutMs: 1_500 })]);
    await until(() => tools.servers().every((server) => server.status === 'up'));
    const failed = await tools.call('ragflow_failing', {});
    expect(failed).toMatchObject({ isError: true });
    expect(failed.text).toContain('the upstream tool broke');
    const slow = await tools.call('hurried_slow', { seconds: 10 }).catch((error: unknown) => error);
    expect(slow).toBeInstanceOf(UpstreamError);
    expect(slow).toMatchObject({ code: 'timeout', message: 'hurried.slow did not answer within 1500 ms (its timeoutMs)' });
    await expect(tools.call('ragflow_nope', {})).rejects.toMatchObject({
      code: 'unknown_tool',
      message: expect.stringContaining('there is no upstream tool ragflow_nope'),
    });
    // The server is still up after a timeout, and answers.
    expect((await tools.call('hurried_workflow_run', { order_id: 'A-1' })).structured).toMatchObject({ status: 'succeeded' });
    expect(tools.servers().map((server) => server.status)).toEqual(['up', 'up']);
  });

  it('follows a server whose tool list changes', async () => {
    const { port } = await startStandIn();
    const tools = open([http(port)]);
    await until(() => tools.servers()[0]?.status === 'up');
    await tools.call('ragflow_add_tool', { name: 'fresh' });
    await until(() => tools.tools().some((tool) => tool.name === 'ragflow_fresh'));
    expect((await tools.call('ragflow_fresh', {})).text).toBe('fresh works');
  });

  it('is down, saying why and without the token, when the token is wrong', async () => {
    const { port } = await startStandIn();
    const tools = open([http(port, { auth: { type: 'bearer', token: 'wrong-token-value' } })]);
    await until(() => tools.servers()[0]?.status === 'down');
    const [state] = tools.servers();
    expect(state?.detail).toMatch(/cannot connect: .*; trying again in \d+ s/);
    expect(JSON.stringify(state)).not.toContain('wrong-token-value');
    await expect(tools.call('ragflow_slow', { seconds: 0 })).rejects.toMatchObject({ code: 'unknown_tool' });
  });

  it('fails a call cleanly when the server dies during it, and reconnects when it is back', async () => {
    const first = await startStandIn();
    const tools = open([http(first.port)]);
    await until(() => tools.servers()[0]?.status === 'up');
    const call = tools.call('ragflow_slow', { seconds: 30 }).catch((error: unknown) => error);
    await new Promise((done) => setTimeout(done, 300));
    await first.process.kill();
    const error = await call;
    expect(error).toBeInstanceOf(UpstreamError);
    // Found dead by its health check, long before the call's 10 s were up.
    expect(error).toMatchObject({
      code: 'server_down',
      message: expect.stringContaining('the MCP server ragflow stopped answering during the call'),
    });
    await until(() => tools.servers()[0]?.status === 'down');
    await startStandIn(first.port);
    await until(() => tools.servers()[0]?.status === 'up', 600);
    expect((await tools.call('ragflow_workflow_run', { order_id: 'B-2' })).isError).toBe(false);
  });
});

describe('an upstream MCP server over stdio', () => {
  it('runs with only PATH, HOME and its own environment: none of UMCA’s secrets', async () => {
    process.env.UMCA_TEST_SECRET_FOR_UPSTREAM = 'must-not-leak';
    cleanup.push(async () => {
      delete process.env.UMCA_TEST_SECRET_FOR_UPSTREAM;
    });
    const tools = open([
      { name: 'local', transport: 'stdio', command: PYTHON, args: [SERVER, 'stdio'], env: { STAND_IN_MODE: 'stdio' }, timeoutMs: 10_000 },
    ]);
    await until(() => tools.servers()[0]?.status === 'up');
    const names = JSON.stringify(
      (await tools.call('local_environment_names', {})).structured ?? (await tools.call('local_environment_names', {})).text,
    );
    expect(names).toContain('STAND_IN_MODE');
    expect(names).not.toContain('UMCA_TEST_SECRET_FOR_UPSTREAM');
  });
});
