/**
 * @module completion-answer
 * The gateway's answer in the OpenAI-compatible shapes: a whole `chat.completion`, or the
 * `chat.completion.chunk`s of a stream (the role first, then text as it comes, then the tool
 * calls whole, then the finish reason, then usage when asked for).
 */
import type { ChatCompletion, GatewayResponse } from '@umca/contracts';

export interface CompletionIdentity {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
}

const toolCallsOf = (response: GatewayResponse) =>
  response.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } }));

/** OpenAI's finish reasons: a model that asked for tools says `tool_calls`, whatever its own word. */
const finishReasonOf = (response: GatewayResponse) => (response.toolCalls.length ? 'tool_calls' : response.finishReason || 'stop');

const usageOf = (response: GatewayResponse) => ({
  prompt_tokens: response.usage.promptTokens,
  completion_tokens: response.usage.completionTokens,
  total_tokens: response.usage.promptTokens + response.usage.completionTokens,
});

export function completionOf(identity: CompletionIdentity, response: GatewayResponse): ChatCompletion {
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: response.modelId,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: response.text === '' && response.toolCalls.length ? null : response.text,
          ...(response.toolCalls.length ? { tool_calls: toolCallsOf(response) } : {}),
        },
        finish_reason: finishReasonOf(response),
      },
    ],
    usage: usageOf(response),
  };
}

/** One chunk of a stream; `model` is the one asked for until the answer says which answered. */
export function chunkOf(identity: CompletionIdentity, model: string, delta: Record<string, unknown>, finishReason: string | null = null) {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** The chunks that close a stream once the answer is whole: its tool calls, its finish reason, its usage (when asked). */
export function closingChunks(identity: CompletionIdentity, response: GatewayResponse, includeUsage: boolean): object[] {
  const chunks: object[] = [];
  if (response.toolCalls.length) {
    chunks.push(
      chunkOf(identity, response.modelId, {
        tool_calls: toolCallsOf(response).map((call, index) => ({ index, ...call })),
      }),
    );
  }
  chunks.push(chunkOf(identity, response.modelId, {}, finishReasonOf(response)));
  if (includeUsage) chunks.push({ ...chunkOf(identity, response.modelId, {}), choices: [], usage: usageOf(response) });
  return chunks;
}
