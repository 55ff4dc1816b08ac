/**
 * POST /v1/chat/completions on a real `umca serve` with a policy and UMCA's own tokens, called
 * with the official OpenAI TypeScript SDK, as agent frameworks call it: a completion, a stream
 * (text as it comes, the finish reason, usage on request), a tool call and its answer back; a
 * role whose models do not include the one asked for is refused (403, `policy.denied`), and so is
 * one without `run_task`; bad input is a 400 naming the field; a model that fails is a 502, or an
 * error in the stream. The model behind the gateway is the scripted OpenAI-compatible TEST DOUBLE
 * (see its file): hosted models cannot be reached here and their answers are not repeatable.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalTokenStore } from '@umca/auth';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../../packages/models/test/support/scripted-openai-server.js';
import { useServer } from './support/use-server.js';

let model: ScriptedOpenAiServer;
beforeAll(async () => {
  model = await startScriptedOpenAiServer();
});
afterAll(() => model.close());

const folder = mkdtempSync(join(tmpdir(), 'umca-chat-'));
const policyFile = join(folder, 'policy.yaml');
writeFileSync(
  policyFile,
  `version: umca.policy.v1
roles:
  developer: { tools: [run_task, list_runs], models: ["scripted:*", "nosuch:*"] }
  local-only: { tools: [run_task], models: ["ollama:*"] }
  viewer: { tools: [list_runs], models: ["*"] }
`,
);
// First started without the policy (which needs tokens to check); restarted with it once UMCA's own tokens exist.
let withPolicy = false;
const server = useServer({
  modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }),
  config: () => (withPolicy ? { policy: policyFile } : {}),
});
const tokens: Record<string, string> = {};
beforeAll(async () => {
  const store = createLocalTokenStore({ dir: join(server().dataDir, 'auth') });
  for (const role of ['developer', 'local-only', 'viewer']) {
    tokens[role] = (await store.issue({ sub: `${role}-1`, roles: [role], ttlSeconds: 3600 })).token;
  }
  withPolicy = true;
  await server().restart();
});

const openai = (role: string) => new OpenAI({ baseURL: `${server().url}/v1`, apiKey: tokens[role] ?? '', maxRetries: 0 });
const post = (role: string, body: unknown) =>
  fetch(`${server().url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('POST /v1/chat/completions', () => {
  it('answers a completion through the gateway, as the OpenAI SDK expects', async () => {
    model.script.push({ text: 'Hello from the gateway.', usage: { prompt_tokens: 12, completion_tokens: 5 } });
    const completion = await openai('developer').chat.completions.create({
      model: 'scripted:coder',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Say ' },
            { type: 'text', text: 'hello.' },
          ],
        },
      ],
      temperature: 0,
      max_completion_tokens: 64,
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'scripted:coder',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the gateway.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    // What the provider received: the developer message as system, the parts joined, the limits.
    const sent = model.requests.at(-1)?.body;
    expect(sent?.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello.' },
    ]);
    expect(sent).toMatchObject({ model: 'coder', temperature: 0, max_tokens: 64 });
  });

  it('streams the text as it comes, then the finish reason and, asked for, the usage', async () => {
    model.script.push({ text: 'one two three four', chunks: 4, usage: { prompt_tokens: 3, completion_tokens: 4 } });
    const stream = await openai('developer').chat.completions.create({
      model: 'scripted:coder',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    const finish: Array<string | null> = [];
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.delta.content) deltas.push(choice.delta.content);
        if (choice.finish_reason) finish.push(choice.finish_reason);
      }
    }
    expect(deltas.join('')).toBe('one two three four');
    expect(deltas.length).toBeGreaterThan(1);
    expect(finish).toEqual(['stop']);
    expect(usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });

  it('offers tools, gives the model’s tool call, and takes its answer back', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'run_code',
          description: 'Run Python.',
          parameters: { type: 'object', properties: { code: { type: 'string' } } },
        },
      },
    ];
    model.script.push({ toolCalls: [{ name: 'run_code', arguments: '{"code": "print(6 * 7)"}' }] });
    const asked = await openai('developer').chat.completions.create({
      model: 'scripted:coder',
      messages: [{ role: 'user', content: 'What is 6 * 7? Use the tool.' }],
      tools,
    });
    const [choice] = asked.choices;
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call).toMatchObject({ type: 'function', function: { name: 'run_code', arguments: '{"code": "print(6 * 7)"}' } });
    expect(model.requests.at(-1)?.body.tools).toEqual([
      expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'run_code' }) }),
    ]);

    model.script.push({ text: 'It is 42.' });
    const answered = await openai('developer').chat.completions.create({
      model: 'scripted:coder',
      messages: [
        { role: 'user', content: 'What is 6 * 7? Use the tool.' },
        { role: 'assistant', content: null, tool_calls: choice?.message.tool_calls ?? [] },
        { role: 'tool', tool_call_id: call?.id ?? '', content: '42\n' },
      ],
      tools,
      tool_choice: 'none',
    });
    expect(answered.choices[0]?.message.content).toBe('It is 42.');
    const sent = model.requests.at(-1)?.body as { messages: Array<Record<string, unknown>>; tools?: unknown };
    expect(sent.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: call?.id, content: '42\n' });
    expect(sent.messages.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [expect.objectContaining({ id: call?.id })] });
    // tool_choice none: the model was offered no tools.
    expect(sent.tools).toBeUndefined();
  });

  it('refuses a model the caller’s roles do not allow, and a caller without run_task, with a policy.denied event', async () => {
    const before = model.requests.length;
    const denied = await post('local-only', { model: 'scripted:coder', messages: [{ role: 'user', content: 'hi' }] });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: 'policy_denied', rule: 'models' });
    const viewer = await post('viewer', { model: 'scripted:coder', messages: [{ role: 'user', content: 'hi' }] });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toMatchObject({ code: 'policy_denied', rule: 'tools' });
    expect(model.requests.length, 'no model was asked').toBe(before);
    const noToken = await fetch(`${server().url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    const refusals = (await server().bus.read({ after: 0, limit: 1_000 }))
      .map((stored) => stored.event)
      .filter((event) => event.type === 'dev.umca.policy.denied.v1')
      .map((event) => event.data as { sub: string; rule: string });
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sub: 'local-only-1', rule: 'models' }),
        expect.objectContaining({ sub: 'viewer-1', rule: 'tools' }),
      ]),
    );
  });

  it('says what is wrong with bad input, naming the field, and asks no model', async () => {
    const before = model.requests.length;
    const cases: Array<[unknown, RegExp]> = [
      [{ model: 'scripted:coder', messages: [] }, /messages/],
      [
        { model: 'scripted:coder', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }] },
        /messages\[0\]\.content\[0\] is a "image_url" part: UMCA's models take text only/,
      ],
      [{ model: 'scripted:coder', n: 2, messages: [{ role: 'user', content: 'hi' }] }, /only one choice \(n = 1\)/],
      [{ messages: [{ role: 'user', content: 'hi' }] }, /no model: name one in `model`/],
      [
        { model: 'nosuch:model', messages: [{ role: 'user', content: 'hi' }] },
        /the model nosuch:model cannot be used here: no model provider is called "nosuch"/,
      ],
      [{ model: 'scripted:coder', messages: [{ role: 'robot', content: 'hi' }] }, /role/],
    ];
    for (const [body, detail] of cases) {
      const response = await post('developer', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json()).detail).toMatch(detail);
    }
    expect(model.requests.length).toBe(before);
  });

  it('answers 502 when the model fails, and in a stream, an error then the end', async () => {
    // A refusal the provider does not retry (a 5xx is retried, and then answered by the script's fallback).
    model.script.push({ status: 400, errorMessage: 'the provider broke' });
    const failed = await post('developer', { model: 'scripted:coder', messages: [{ role: 'user', content: 'hi' }] });
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ code: 'model_failed', detail: expect.stringContaining('the provider broke') });

    model.script.push({ status: 400, errorMessage: 'the provider broke again' });
    const streamed = await post('developer', { model: 'scripted:coder', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(streamed.status).toBe(200);
    const data = (await streamed.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6));
    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data.at(-2) ?? '{}')).toMatchObject({
      error: { code: 'model_failed', message: expect.stringContaining('the provider broke again') },
    });
  });
});
