/**
 * The MCP server in process: the official SDK client over the SDK's in-memory transport, the real
 * run service, store (SQLite in memory) and bus, with a scripted runner (a test double of
 * RunnerV1, see @umca/testkit) in place of the sandbox. Proves what the MCP edge itself decides:
 * the JSON-RPC error of a missing resource, the prompts and what they tell the client's model,
 * and the words of a refused run_task. The same server over real transports is in the real tier.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { createEmbeddedBus } from '@umca/events';
import { createRunService } from '@umca/runs';
import { openSqliteStore } from '@umca/store';
import { createFakeRunner } from '@umca/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpServer } from '../src/index.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function connect(options: { allowSampling?: boolean; clientSamples?: boolean } = {}) {
  const store = openSqliteStore({ memory: true });
  const bus = createEmbeddedBus({ log: store.events });
  const runner = createFakeRunner(() => ({ output: [['stdout', '42\n']] }));
  const runs = createRunService({ runner, store, bus });
  const server = createMcpServer({ runs, bus, ...(options.allowSampling === undefined ? {} : { allowSampling: options.allowSampling }) });
  const client = new Client({ name: 'umca-test', version: '1.0.0' }, { capabilities: options.clientSamples ? { sampling: {} } : {} });
  if (options.clientSamples) {
    client.setRequestHandler(CreateMessageRequestSchema, () => {
      throw new Error('no model call is expected in this test');
    });
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  open.push(async () => {
    await client.close();
    await server.close();
    await store.close();
  });
  return { client, runner };
}

async function rpcError(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}

describe('the resource umca://runs/{runId}', () => {
  it('answers a run that does not exist with "Resource not found" (-32002) and the URI, not an internal error', async () => {
    const { client } = await connect();
    const error = await rpcError(client.readResource({ uri: 'umca://runs/run_nosuch' }));
    expect(error.code).toBe(-32002);
    expect(error.data).toEqual({ uri: 'umca://runs/run_nosuch' });
    expect(error.message).toContain('there is no run run_nosuch');
  });

  it('still reads a run that exists', async () => {
    const { client } = await connect();
    const called = await client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print(42)' } });
    const runId = (called.structuredContent as { runId: string }).runId;
    const read = await client.readResource({ uri: `umca://runs/${runId}` });
    expect(read.contents.map((content) => content.uri)).toEqual([
      `umca://runs/${runId}`,
      `umca://runs/${runId}/output`,
      `umca://runs/${runId}/events`,
    ]);
  });
});

describe('run_task without a model', () => {
  it('from a client without sampling, names the model argument, the server default and sampling', async () => {
    const { client, runner } = await connect();
    const result = await client.callTool({ name: 'run_task', arguments: { task: 'write add(a, b)' } });
    expect(result.isError).toBe(true);
    const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
    expect(text).toContain('Pass "model"');
    expect(text).toContain('--model');
    expect(text).toContain('UMCA_MODEL');
    expect(text).toContain('an MCP client that offers sampling');
    expect(text).toContain('this client does not offer it');
    expect(runner.executions).toEqual([]);
  });

  it('from a client with sampling the operator turned off, says so', async () => {
    const { client } = await connect({ allowSampling: false, clientSamples: true });
    const result = await client.callTool({ name: 'run_task', arguments: { task: 'write add(a, b)' } });
    expect(result.isError).toBe(true);
    expect((result.content as Array<{ text: string }>)[0]?.text).toContain('UMCA_MCP_SAMPLING=deny');
  });
});
