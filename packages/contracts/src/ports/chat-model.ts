/**
 * @module chat-model
 * `ChatModelV1` and `ModelGatewayV1`: one chat turn in, text (and tool calls) and token usage out,
 * with text streamed as it is generated; and the gateway that resolves `provider:model` names and
 * falls back along an ordered list when a model fails. The wire underneath is the
 * OpenAI-compatible chat completions API for every remote provider, a GGUF model in process, or
 * the MCP client's own model (sampling).
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

export interface ChatModelV1 {
  readonly specificationVersion: 'v1';
  /** `provider:model`, as the caller named it. */
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  /** Throws (code naming what to fix) when the model cannot be used here: a missing key or file. Calls nothing. */
  check?(): void;
  chat(request: ChatRequest, options?: ChatOptions): Promise<ChatResponse>;
}

export interface ModelAttempt {
  readonly modelId: string;
  readonly latencyMs: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface GatewayResponse extends ChatResponse {
  readonly modelId: string;
  readonly provider: string;
  readonly model: string;
  readonly latencyMs: number;
  /** Every model tried, in order; all but the last failed. */
  readonly attempts: readonly ModelAttempt[];
}

export interface ModelGatewayV1 {
  readonly specificationVersion: 'v1';
  /** A model by name; throws (code naming what to fix) when the name cannot work. */
  resolve(spec: string): ChatModelV1;
  /** Calls the first model, then the next on a failure that allows falling back. */
  chat(specs: readonly string[], request: ChatRequest, options?: ChatOptions): Promise<GatewayResponse>;
  /** The names of every provider this environment offers. */
  providers(): string[];
  /** Checks, without calling it, that a model can be used here; throws naming the setting to fix. */
  preflight(spec: string): void;
}

/** Makes a gateway for one task: the environment's providers plus models the caller's context offers. */
export type ModelGatewayFactoryV1 = (options: { contextModels?: Readonly<Record<string, ChatModelV1>> }) => ModelGatewayV1;
