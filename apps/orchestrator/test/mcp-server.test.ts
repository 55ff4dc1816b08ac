/**
 * The MCP server in process: the official SDK client over the SDK's in-memory transport, the real
 * run service, store (SQLite in memory) and bus, with a scripted runner (a test double of
 * RunnerV1, see @umca/testkit) in place of the sandbox. Proves what the MCP edge itself decides:
 * the JSON-RPC error of a missing resource, the prompts and what they tell the client's model,
 * and the words of a refused run_task. The same server over real transports is in the real tier.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageRequestSchema, type GetPromptResult, McpError } from '@modelcontextprotocol/sdk/types.js';
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

/** The text of a prompt's first message. */
function textOf(messages: GetPromptResult['messages']): string {
  const content = messages[0]?.content;
  return content?.type === 'text' ? content.text : '';
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

describe('prompts', () => {
  it('are offered, each with its arguments and which of them are required', async () => {
    const { client } = await connect();
    expect(client.getServerCapabilities()?.prompts).toBeDefined();
    const { prompts } = await client.listPrompts();
    const byName = Object.fromEntries(prompts.map((prompt) => [prompt.name, prompt]));
    expect(Object.keys(byName).sort()).toEqual(['analyse_data_file', 'hand_over_task', 'write_and_test_function']);
    const required = (name: string) =>
      Object.fromEntries((byName[name]?.arguments ?? []).map((argument) => [argument.name, argument.required]));
    expect(required('analyse_data_file')).toEqual({ question: true, data: true, format: false });
    expect(required('write_and_test_function')).toEqual({ description: true, language: false, name: false, examples: false });
    expect(required('hand_over_task')).toEqual({ task: true, language: false, model: false });
    for (const prompt of prompts) {
      expect(prompt.title).toBeTruthy();
      expect(prompt.description).toBeTruthy();
      for (const argument of prompt.arguments ?? []) expect(argument.description, `${prompt.name}.${argument.name}`).toBeTruthy();
    }
  });

  it('analyse_data_file puts the data into the program as a literal that gives it back exactly', async () => {
    const { client } = await connect();
    const data = 'name,note\n"a ""quoted"" one",back\\slash\n\'single\',"""triple"""\n';
    const { messages } = await client.getPrompt({ name: 'analyse_data_file', arguments: { question: 'how many rows?', data } });
    const text = textOf(messages);
    expect(text).toContain('run_code');
    expect(text).toContain('language "python"');
    expect(text).toContain('how many rows?');
    expect(text).toMatch(/numpy and pandas are not available/);
    expect(text).toContain('runId');
    const line = text.split('\n').find((candidate) => candidate.startsWith('DATA = '));
    // The line is a JSON string literal, which Python reads the same way.
    expect(JSON.parse((line ?? '').slice('DATA = '.length))).toBe(data);
  });

  it('analyse_data_file given a URL tells the model to allow that host and no other', async () => {
    const { client } = await connect();
    const { messages } = await client.getPrompt({
      name: 'analyse_data_file',
      arguments: { question: 'mean price?', data: 'https://data.example.org:8443/files/prices.csv', format: 'csv' },
    });
    const text = textOf(messages);
    expect(text).toContain('allowedOutboundHosts ["https://data.example.org:8443"]');
    expect(text).not.toContain('DATA = ');
  });

  it('write_and_test_function asks for tests run with run_code in the language asked for', async () => {
    const { client } = await connect();
    const { messages } = await client.getPrompt({
      name: 'write_and_test_function',
      arguments: {
        description: 'parse "1h30m" into seconds',
        language: 'javascript',
        name: 'parseDuration',
        examples: "parseDuration('1h') === 3600",
      },
    });
    const text = textOf(messages);
    expect(text).toContain('javascript function named parseDuration');
    expect(text).toContain('run_code with language "javascript"');
    expect(text).toContain("parseDuration('1h') === 3600");
    expect(text).toContain('all N tests passed');
  });

  it('write_and_test_function takes an empty optional argument as left out', async () => {
    const { client } = await connect();
    const { messages } = await client.getPrompt({
      name: 'write_and_test_function',
      arguments: { description: 'add two numbers', language: '' },
    });
    expect(textOf(messages)).toContain('run_code with language "python"');
  });

  it('hand_over_task drives run_task with the arguments given and says what to report for each verdict', async () => {
    const { client } = await connect();
    const { messages } = await client.getPrompt({
      name: 'hand_over_task',
      arguments: { task: 'primes below 30', model: 'ollama:qwen2.5-coder:7b' },
    });
    const text = textOf(messages);
    expect(text).toContain('Call run_task with task set to the text above, model "ollama:qwen2.5-coder:7b"');
    for (const verdict of ['"pass"', '"fail"', '"unverified"']) expect(text).toContain(verdict);
  });

  it('refuse an unknown language with invalid params, naming the prompt', async () => {
    const { client } = await connect();
    const error = await rpcError(client.getPrompt({ name: 'write_and_test_function', arguments: { description: 'x', language: 'cobol' } }));
    expect(error.code).toBe(-32602);
    expect(error.message).toContain('write_and_test_function');
  });

  it('complete the language argument', async () => {
    const { client } = await connect();
    const { completion } = await client.complete({
      ref: { type: 'ref/prompt', name: 'write_and_test_function' },
      argument: { name: 'language', value: 'j' },
    });
    expect(completion.values).toEqual(['javascript']);
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
