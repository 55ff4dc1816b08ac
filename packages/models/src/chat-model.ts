/**
 * @module chat-model
 * The one interface every model provider implements: a chat turn in, text (and tool calls) and
 * usage out, with text streamed as it is generated. The wire underneath is the OpenAI-compatible
 * chat completions API for every remote provider.
 */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** JSON text, as the model produced it. */
  readonly arguments: string;
}

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
  /** On assistant messages: the tools it asked to call. */
  readonly toolCalls?: readonly ToolCall[];
  /** On tool messages: the call this answers. */
  readonly toolCallId?: string;
}

export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments. */
  readonly parameters: Record<string, unknown>;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly temperature?: number;
  readonly maxTokens?: number;
}

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface ChatResponse {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: Usage;
  readonly finishReason: string;
}

export interface ChatOptions {
  readonly signal?: AbortSignal;
  /** Receives text as it is generated. */
  readonly onText?: (delta: string) => void;
}

export interface ChatModel {
  /** `provider:model`, as the caller named it. */
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  /** Throws ModelError, naming what to fix, when the model cannot be used here (a missing key or file); calls nothing. */
  check?(): void;
  chat(request: ChatRequest, options?: ChatOptions): Promise<ChatResponse>;
}
