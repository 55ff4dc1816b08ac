/**
 * @module sampling-model
 * The calling MCP client's own model, through MCP sampling (`sampling/createMessage`): a flow
 * started from VS Code can think with the model VS Code already uses, when the client offers
 * sampling and the operator allows it. Usage is not reported by sampling, so it counts as zero.
 */
import type { ChatModelV1, ChatResponse } from '@umca/contracts';
import { ModelError } from '../model-error.js';

export interface SamplingRequest {
  messages: Array<{ role: 'user' | 'assistant'; content: { type: 'text'; text: string } }>;
  systemPrompt?: string;
  maxTokens: number;
  temperature?: number;
}

export type CreateMessage = (request: SamplingRequest, options: { signal?: AbortSignal }) => Promise<{ model?: string; content: unknown }>;

export function createSamplingModel(createMessage: CreateMessage): ChatModelV1 {
  return {
    specificationVersion: 'v1',
    id: 'sampling',
    provider: 'sampling',
    model: 'client',
    async chat(request, options = {}): Promise<ChatResponse> {
      if (request.tools?.length) throw new ModelError('bad_request', 'MCP sampling here carries text only, not tool calls');
      const system = request.messages
        .filter((message) => message.role === 'system')
        .map((message) => message.content)
        .join('\n\n');
      const messages = request.messages
        .filter((message) => message.role === 'user' || message.role === 'assistant')
        .map((message) => ({ role: message.role as 'user' | 'assistant', content: { type: 'text' as const, text: message.content } }));
      let result: { model?: string; content: unknown };
      try {
        result = await createMessage(
          {
            messages,
            maxTokens: request.maxTokens ?? 1024,
            ...(system ? { systemPrompt: system } : {}),
            ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          },
          options.signal ? { signal: options.signal } : {},
        );
      } catch (error) {
        if (options.signal?.aborted) throw new ModelError('cancelled', 'the model call was cancelled', { cause: error });
        throw new ModelError('unavailable', `the MCP client did not sample: ${(error as Error).message}`, { cause: error });
      }
      const content = result.content as { type?: string; text?: string } | Array<{ type?: string; text?: string }>;
      const text = (Array.isArray(content) ? content : [content])
        .filter((part) => part?.type === 'text')
        .map((part) => part.text ?? '')
        .join('');
      options.onText?.(text);
      return { text, toolCalls: [], usage: { promptTokens: 0, completionTokens: 0 }, finishReason: 'stop' };
    },
  };
}
