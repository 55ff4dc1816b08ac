/**
 * The MCP tool run_task, driven by the official TypeScript SDK client over Streamable HTTP:
 * progress per step, the client's own model through sampling (the client here answers
 * sampling/createMessage itself, as VS Code would with its model), and a server-side model (the
 * scripted OpenAI-compatible TEST DOUBLE; see its file).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADD_GOOD, ADD_PLAN, scriptAgent } from '../../../packages/models/test/support/scripted-agent.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../../packages/models/test/support/scripted-openai-server.js';
import { useServer } from './support/use-server.js';

let model: ScriptedOpenAiServer;
beforeAll(async () => {
  model = await startScriptedOpenAiServer();
});
afterAll(() => model.close());
const server = useServer({ modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }) });
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function connect(options: { sampling?: boolean } = {}) {
  const client = new Client({ name: 'umca-test', version: '1.0.0' }, { capabilities: options.sampling ? { sampling: {} } : {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server().url}/mcp`)));
  clients.push(client);
  return client;
}

describe('run_task over MCP', () => {
  it('is listed with an output schema', async () => {
    const { tools } = await (await connect()).listTools();
    const tool = tools.find((candidate) => candidate.name === 'run_task');
    expect(tool?.inputSchema.required).toEqual(['task']);
    expect(tool?.outputSchema?.properties).toHaveProperty('verdict');
  });

  it("thinks with the client's own model through sampling, reporting progress per step", async () => {
    const client = await connect({ sampling: true });
    const asked: Array<{ system: string | undefined; maxTokens: number }> = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      asked.push({ system: request.params.systemPrompt, maxTokens: request.params.maxTokens });
      const planning = request.params.systemPrompt?.startsWith('You plan');
      return { role: 'assistant', model: 'client-model', content: { type: 'text', text: planning ? ADD_PLAN : ADD_GOOD } };
    });
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      if (notification.params.logger === 'umca.task') logs.push(String(notification.params.data));
    });
    const progress: string[] = [];
    const result = await client.callTool({ name: 'run_task', arguments: { task: 'write add(a, b)', maxTokens: 300 } }, undefined, {
      onprogress: (update) => progress.push(update.message ?? ''),
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: 'ok', verdict: 'pass', models: ['sampling'], stdout: '5\n' });
    expect(asked).toHaveLength(2);
    expect(asked[0]?.system).toMatch(/^You plan/);
    expect(asked.map((call) => call.maxTokens)).toEqual([300, 300]);
    expect(progress).toEqual(['planning', 'writing code (round 1)', 'running the code (round 1)', 'checking (round 1)']);
    expect(logs[0]).toMatch(/^plan: ok/);
    expect(logs.at(-1)).toMatch(/^test #1: ok/);
  });

  it('uses a named server-side model when the call names one', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_GOOD]);
    const result = await (await connect()).callTool({ name: 'run_task', arguments: { task: 'write add(a, b)', model: 'scripted:coder' } });
    expect(result.structuredContent).toMatchObject({ verdict: 'pass', models: ['scripted:coder'] });
  });

  it('says how to choose a model when there is none: no default and no sampling', async () => {
    const result = await (await connect()).callTool({ name: 'run_task', arguments: { task: 'write add(a, b)' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('UMCA_MODEL');
  });

  it('reports a client that will not sample as a failed task, with the reason', async () => {
    const client = await connect({ sampling: true });
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      throw new Error('the user declined');
    });
    const result = await client.callTool({ name: 'run_task', arguments: { task: 'write add(a, b)' } });
    expect(result.structuredContent).toMatchObject({ status: 'error', verdict: 'fail', reason: expect.stringContaining('declined') });
  });
});

describe('run_task with sampling denied by the operator', () => {
  const denied = useServer({ config: { mcpSampling: 'deny' } });
  it('does not ask the client for its model', async () => {
    const client = new Client({ name: 'umca-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
    let asked = 0;
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      asked++;
      return { role: 'assistant', model: 'x', content: { type: 'text', text: ADD_PLAN } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${denied().url}/mcp`)));
    clients.push(client);
    const result = await client.callTool({ name: 'run_task', arguments: { task: 'write add(a, b)', model: 'sampling' } });
    expect(result.isError).toBe(true);
    expect(asked).toBe(0);
  });
});
