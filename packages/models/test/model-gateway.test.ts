import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelGateway, ModelError } from '../src/index.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from './support/scripted-openai-server.js';

let server: ScriptedOpenAiServer;
beforeAll(async () => {
  server = await startScriptedOpenAiServer();
});
afterAll(() => server.close());

const ask = { messages: [{ role: 'user' as const, content: 'hello' }] };
const gatewayFor = (env: Record<string, string> = {}) =>
  createModelGateway({ env: { UMCA_PROVIDER_SCRIPTED_BASE_URL: server.baseUrl, ...env }, maxRetries: 2 });

async function failure(promise: Promise<unknown>): Promise<ModelError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ModelError);
    return error as ModelError;
  }
  throw new Error('expected a ModelError');
}

describe('the model gateway over the OpenAI-compatible wire', () => {
  it('streams text, reports usage, latency and the model it used', async () => {
    server.script.push({ text: 'Hello from the scripted model', chunks: 4, usage: { prompt_tokens: 7, completion_tokens: 6 } });
    const deltas: string[] = [];
    const response = await gatewayFor().chat(
      ['scripted:tiny'],
      { ...ask, temperature: 0, maxTokens: 50 },
      { onText: (delta) => deltas.push(delta) },
    );
    expect(response).toMatchObject({
      text: 'Hello from the scripted model',
      usage: { promptTokens: 7, completionTokens: 6 },
      modelId: 'scripted:tiny',
      provider: 'scripted',
      model: 'tiny',
    });
    expect(deltas.length).toBeGreaterThanOrEqual(4);
    expect(deltas.join('')).toBe(response.text);
    expect(response.latencyMs).toBeGreaterThan(0);
    expect(server.requests.at(-1)?.body).toMatchObject({
      model: 'tiny',
      stream: true,
      temperature: 0,
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hello' }],
    });
  });

  it('assembles streamed tool calls', async () => {
    server.script.push({ toolCalls: [{ name: 'run_code', arguments: '{"language":"python","code":"print(1)"}' }] });
    const response = await gatewayFor().chat(['scripted:tiny'], {
      ...ask,
      tools: [{ name: 'run_code', description: 'runs code', parameters: { type: 'object', properties: {} } }],
    });
    expect(response.toolCalls).toEqual([{ id: 'call_0', name: 'run_code', arguments: '{"language":"python","code":"print(1)"}' }]);
    expect(response.finishReason).toBe('tool_calls');
    expect(server.requests.at(-1)?.body.tools).toHaveLength(1);
  });

  it('retries 429 (honouring Retry-After) and 5xx, then succeeds', async () => {
    const before = server.requests.length;
    server.script.push(
      { status: 429, headers: { 'retry-after-ms': '20' } },
      { status: 503, headers: { 'retry-after-ms': '20' } },
      { text: 'third time' },
    );
    const response = await gatewayFor().chat(['scripted:tiny'], ask);
    expect(response.text).toBe('third time');
    expect(server.requests.length - before).toBe(3);
  });

  it('falls back along the list when a model fails, and says what it tried', async () => {
    server.script.push(
      { status: 500, headers: { 'retry-after-ms': '1' } },
      { status: 500, headers: { 'retry-after-ms': '1' } },
      { status: 500, headers: { 'retry-after-ms': '1' } },
      { text: 'from the fallback' },
    );
    const response = await gatewayFor().chat(['scripted:primary', 'scripted:backup'], ask);
    expect(response).toMatchObject({ text: 'from the fallback', modelId: 'scripted:backup' });
    expect(response.attempts.map((attempt) => [attempt.modelId, attempt.error?.code])).toEqual([
      ['scripted:primary', 'provider_error'],
      ['scripted:backup', undefined],
    ]);
  });

  it('names the setting to fix: missing key, refused key, unknown model, unreachable endpoint', async () => {
    const missing = await failure(createModelGateway({ env: {} }).chat(['qwen:qwen-max'], ask));
    expect(missing.code).toBe('missing_api_key');
    expect(missing.message).toContain('DASHSCOPE_API_KEY');

    server.script.push({ status: 401 });
    const refused = await failure(gatewayFor({ UMCA_PROVIDER_SCRIPTED_API_KEY: 'sk-wrong-secret' }).chat(['scripted:tiny'], ask));
    expect(refused.code).toBe('invalid_api_key');
    expect(refused.message).toContain('UMCA_PROVIDER_SCRIPTED_API_KEY');
    expect(refused.message).not.toContain('sk-wrong-secret');
    expect(server.requests.at(-1)?.authorization).toBe('Bearer sk-wrong-secret');

    server.script.push({ status: 404, errorMessage: 'The model `nope` does not exist' });
    const unknown = await failure(gatewayFor().chat(['scripted:nope'], ask));
    expect(unknown.code).toBe('unknown_model');
    expect(unknown.message).toContain('"nope"');

    const unreachable = await failure(
      createModelGateway({ env: { UMCA_PROVIDER_GONE_BASE_URL: 'http://127.0.0.1:9/v1' }, maxRetries: 0 }).chat(['gone:model'], ask),
    );
    expect(unreachable.code).toBe('unreachable');
    expect(unreachable.message).toContain('UMCA_PROVIDER_GONE_BASE_URL');
  });

  it('refuses model names it cannot use, before calling anything', async () => {
    expect((await failure(gatewayFor().chat(['gpt-4o'], ask))).code).toBe('invalid_model_spec');
    const unknown = await failure(gatewayFor().chat(['acme:model'], ask));
    expect(unknown.code).toBe('unknown_provider');
    expect(unknown.message).toContain('qwen, deepseek, glm, openai, vllm, sglang, ollama');
    expect(unknown.message).toContain('UMCA_PROVIDER_ACME_BASE_URL');
  });

  it('reads provider addresses and keys from the environment, and model names with colons', async () => {
    const gateway = createModelGateway({ env: { UMCA_PROVIDER_OLLAMA_BASE_URL: server.baseUrl } });
    server.script.push({ text: 'ollama says hi' });
    const response = await gateway.chat(['ollama:qwen2.5-coder:0.5b'], ask);
    expect(response.model).toBe('qwen2.5-coder:0.5b');
    expect(server.requests.at(-1)?.body.model).toBe('qwen2.5-coder:0.5b');
  });

  it('stops a call in progress when the caller aborts', async () => {
    server.script.push({ text: 'a very slow answer', chunks: 10, delayMs: 200 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const cancelled = await failure(gatewayFor().chat(['scripted:tiny', 'scripted:backup'], ask, { signal: controller.signal }));
    expect(cancelled.code).toBe('cancelled');
  });

  it('reports malformed output from a provider as its failure', async () => {
    server.script.push({ raw: 'data: {not json\n\n' }, { raw: 'data: {not json\n\n' }, { raw: 'data: {not json\n\n' });
    const broken = await failure(gatewayFor().chat(['scripted:tiny'], ask));
    expect(broken.code).toBe('provider_error');
  });
});
