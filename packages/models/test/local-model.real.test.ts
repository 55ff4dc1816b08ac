/**
 * The local provider with a real GGUF model (SmolLM2-135M-Instruct) run in this process by
 * node-llama-cpp: real tokens, streamed; cancelled mid-answer; clear errors for what cannot work.
 * The model is tiny, so what it says is not checked, only that it says it properly.
 */
import { describe, expect, it } from 'vitest';
import { createModelGateway, ModelError } from '../src/index.js';
import { testGguf } from './support/test-gguf.js';

const gateway = createModelGateway({ env: {} });
const model = `local:${testGguf()}`;

describe('the local provider', () => {
  it('answers with real tokens, streamed as they come, and counts them', async () => {
    const deltas: string[] = [];
    const response = await gateway.chat(
      [model],
      {
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: 'Name three colours.' },
        ],
        maxTokens: 40,
        temperature: 0,
      },
      { onText: (delta) => deltas.push(delta) },
    );
    expect(response.modelId).toBe(model);
    expect(response.text.trim().length).toBeGreaterThan(0);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(response.text);
    expect(response.usage.promptTokens).toBeGreaterThan(5);
    expect(response.usage.completionTokens).toBeGreaterThan(0);
    expect(response.usage.completionTokens).toBeLessThanOrEqual(41);
  });

  it('says why it stopped: `length` when cut at maxTokens, `stop` when the model ended its answer', async () => {
    const cut = await gateway.chat([model], {
      messages: [{ role: 'user', content: 'Count from 1 to 500, one number per line.' }],
      maxTokens: 8,
      temperature: 0,
    });
    expect(cut.finishReason).toBe('length');
    // A question this model answers in a few tokens (at temperature 0, always the same answer).
    const ended = await gateway.chat([model], {
      messages: [{ role: 'user', content: 'What is 2 + 2? Answer with the number only.' }],
      maxTokens: 200,
      temperature: 0,
    });
    expect(ended.finishReason).toBe('stop');
    expect(ended.usage.completionTokens).toBeLessThan(200);
  });

  it('answers the same way twice at temperature 0 (no history leaks between calls)', async () => {
    const ask = () =>
      gateway.chat([model], { messages: [{ role: 'user', content: 'Say hello.' }], maxTokens: 16, temperature: 0 }).then((r) => r.text);
    expect(await ask()).toBe(await ask());
  });

  it('stops mid-answer when cancelled', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const call = gateway.chat(
      [model],
      { messages: [{ role: 'user', content: 'Count from 1 to 500, one number per line.' }], maxTokens: 1_000 },
      {
        signal: controller.signal,
        onText: () => {
          if (++chunks === 3) controller.abort();
        },
      },
    );
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
    expect(chunks).toBeLessThan(50);
  });

  it('names the missing file, and refuses tool calls', async () => {
    expect(() => gateway.preflight('local:/nowhere/model.gguf')).toThrow(/\/nowhere\/model\.gguf/);
    const tools = gateway.chat([model], {
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ name: 'f', description: 'f', parameters: { type: 'object', properties: {} } }],
    });
    await expect(tools).rejects.toBeInstanceOf(ModelError);
    await expect(tools).rejects.toMatchObject({ code: 'bad_request' });
  });
});
