/**
 * @module openai-compatible-model
 * A model behind the OpenAI-compatible chat completions API (Qwen/DashScope, DeepSeek, GLM,
 * OpenAI, vLLM, SGLang, Ollama, anything else that speaks it), through the official `openai`
 * client: streaming, tool calls, usage, timeouts, and retries with backoff on 408/409/429/5xx
 * and connection failures (honouring Retry-After).
 */

import type { ChatModelV1, ChatRequest, ChatResponse, ToolCall } from '@umca/contracts';
import OpenAI from 'openai';
import { ModelError } from '../model-error.js';
import type { ProviderSettings } from '../provider-settings.js';

export interface OpenAiCompatibleOptions {
  settings: ProviderSettings;
  model: string;
  maxRetries: number;
  timeoutMs: number;
  fetch?: typeof fetch;
}

function toWireMessages(request: ChatRequest): OpenAI.Chat.ChatCompletionMessageParam[] {
  return request.messages.map((message): OpenAI.Chat.ChatCompletionMessageParam => {
    if (message.role === 'tool') return { role: 'tool', content: message.content, tool_call_id: message.toolCallId ?? '' };
    if (message.role === 'assistant' && message.toolCalls?.length) {
      return {
        role: 'assistant',
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    }
    return { role: message.role, content: message.content } as OpenAI.Chat.ChatCompletionMessageParam;
  });
}

/** Turns the client's errors into ModelErrors that name the setting to fix. */
function describeFailure(error: unknown, settings: ProviderSettings, model: string): ModelError {
  const provider = `the ${settings.name} provider (${settings.baseUrl})`;
  const keyHint = settings.apiKeyVariables.length
    ? `check ${settings.apiKeyVariables.at(-1)} (or ${settings.apiKeyVariables[0]})`
    : 'check its configuration';
  if (error instanceof OpenAI.APIUserAbortError) return new ModelError('cancelled', 'the model call was cancelled', { cause: error });
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ModelError('unreachable', `${provider} did not answer in time; check that it is up, or raise UMCA_MODEL_TIMEOUT_MS`, {
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const code =
      (error.cause as NodeJS.ErrnoException | undefined)?.code ??
      (error.cause as { cause?: NodeJS.ErrnoException } | undefined)?.cause?.code;
    return new ModelError(
      'unreachable',
      `cannot reach ${provider}${code ? ` (${code})` : ''}; check that it is running, or set ${settings.baseUrlVariable}`,
      { cause: error },
    );
  }
  if (error instanceof OpenAI.APIError) {
    const detail = (error.message ?? '').replace(/\s+/g, ' ').slice(0, 300);
    switch (error.status) {
      case 401:
      case 403:
        return new ModelError('invalid_api_key', `${provider} refused the API key (${error.status}); ${keyHint}`, { cause: error });
      case 404:
        return new ModelError(
          'unknown_model',
          `${provider} does not know the model "${model}" (404); check the model name in --model / UMCA_MODEL`,
          { cause: error },
        );
      case 429:
        return new ModelError('rate_limited', `${provider} kept answering 429 (rate limited) after retries: ${detail}`, { cause: error });
      case 400:
      case 422:
        return new ModelError('bad_request', `${provider} refused the request for "${model}" (${error.status}): ${detail}`, {
          cause: error,
        });
      default:
        return new ModelError('provider_error', `${provider} failed (${error.status ?? 'no status'}) after retries: ${detail}`, {
          cause: error,
        });
    }
  }
  return new ModelError('provider_error', `${provider} failed: ${(error as Error).message}`, { cause: error });
}

export function createOpenAiCompatibleModel(options: OpenAiCompatibleOptions): ChatModelV1 {
  const { settings, model } = options;
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    // Local servers (vLLM, SGLang, Ollama) accept any key; the client needs one to be set.
    apiKey: settings.apiKey ?? 'not-needed',
    maxRetries: options.maxRetries,
    timeout: options.timeoutMs,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const check = () => {
    if (settings.requiresKey && !settings.apiKey) {
      throw new ModelError(
        'missing_api_key',
        `the ${settings.name} provider needs an API key: set ${settings.apiKeyVariables.at(-1)} (or ${settings.apiKeyVariables[0]}) in the environment`,
      );
    }
  };
  return {
    specificationVersion: 'v1',
    id: `${settings.name}:${model}`,
    provider: settings.name,
    model,
    check,
    async chat(request, chatOptions = {}): Promise<ChatResponse> {
      check();
      try {
        const stream = await client.chat.completions.create(
          {
            model,
            messages: toWireMessages(request),
            stream: true,
            stream_options: { include_usage: true },
            ...(request.tools?.length
              ? {
                  tools: request.tools.map((tool) => ({
                    type: 'function' as const,
                    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
                  })),
                }
              : {}),
            ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
            ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
          },
          { ...(chatOptions.signal ? { signal: chatOptions.signal } : {}) },
        );
        let text = '';
        let finishReason = 'stop';
        let usage = { promptTokens: 0, completionTokens: 0 };
        const calls = new Map<number, { id: string; name: string; arguments: string }>();
        for await (const chunk of stream) {
          if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 };
          for (const choice of chunk.choices ?? []) {
            const delta = choice.delta;
            if (delta?.content) {
              text += delta.content;
              chatOptions.onText?.(delta.content);
            }
            for (const call of delta?.tool_calls ?? []) {
              const known = calls.get(call.index) ?? { id: '', name: '', arguments: '' };
              calls.set(call.index, {
                id: call.id ?? known.id,
                name: known.name + (call.function?.name ?? ''),
                arguments: known.arguments + (call.function?.arguments ?? ''),
              });
            }
            if (choice.finish_reason) finishReason = choice.finish_reason;
          }
        }
        const toolCalls: ToolCall[] = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
        return { text, toolCalls, usage, finishReason };
      } catch (error) {
        throw error instanceof ModelError ? error : describeFailure(error, settings, model);
      }
    },
  };
}
