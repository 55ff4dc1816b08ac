/**
 * @module model-span
 * A span per model call through the gateway: `chat {model}`, a CLIENT span with the GenAI
 * attributes (operation, provider, request and response model, token usage, finish reasons) and
 * OpenInference's LLM ones (model name, provider, token counts, and, when content may be
 * recorded, the messages in and out).
 */
import {
  LLM_INPUT_MESSAGES,
  LLM_INVOCATION_PARAMETERS,
  LLM_MODEL_NAME,
  LLM_OUTPUT_MESSAGES,
  LLM_PROVIDER,
  LLM_TOKEN_COUNT_COMPLETION,
  LLM_TOKEN_COUNT_PROMPT,
  LLM_TOKEN_COUNT_TOTAL,
  MESSAGE_CONTENT,
  MESSAGE_ROLE,
  OpenInferenceSpanKind,
  SemanticConventions,
} from '@arizeai/openinference-semantic-conventions';
import { type Attributes, type Context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ChatMessage, GatewayResponse } from '@umca/contracts';
import { clip, recordContent } from './content.js';
import {
  ERROR_TYPE,
  GEN_AI_INPUT_MESSAGES,
  GEN_AI_OPERATION,
  GEN_AI_OPERATION_NAME,
  GEN_AI_OUTPUT_MESSAGES,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MAX_TOKENS,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_REQUEST_TEMPERATURE,
  GEN_AI_RESPONSE_FINISH_REASONS,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
} from './gen-ai-attributes.js';
import { type OpenSpan, openSpan, type RunTracing } from './run-tracing.js';

export interface ModelCallStart {
  /** `provider:model` names: the model, then its fallbacks. */
  readonly models: readonly string[];
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly maxTokens?: number;
}

/** `provider:model` split at its first colon (`ollama:qwen2.5-coder:7b` → ollama, qwen2.5-coder:7b). */
function splitModel(spec: string): { provider: string; model: string } {
  const colon = spec.indexOf(':');
  return colon < 0 ? { provider: spec, model: spec } : { provider: spec.slice(0, colon), model: spec.slice(colon + 1) };
}

function messageAttributes(prefix: string, messages: readonly { role: string; content: string }[]): Attributes {
  const attributes: Attributes = {};
  messages.forEach((message, index) => {
    attributes[`${prefix}.${index}.${MESSAGE_ROLE}`] = message.role;
    attributes[`${prefix}.${index}.${MESSAGE_CONTENT}`] = clip(message.content);
  });
  return attributes;
}

/** The GenAI conventions' message shape (`gen_ai.input.messages`): role and text parts. */
function genAiMessages(messages: readonly { role: string; content: string }[]): string {
  return JSON.stringify(messages.map((message) => ({ role: message.role, parts: [{ type: 'text', content: clip(message.content) }] })));
}

export function startModelSpan(tracing: RunTracing, parent: Context, call: ModelCallStart): OpenSpan {
  const requested = splitModel(call.models[0] ?? '');
  const parameters = { temperature: call.temperature, max_tokens: call.maxTokens };
  const opened = openSpan(tracing, `${GEN_AI_OPERATION.chat} ${requested.model}`, parent, {
    kind: SpanKind.CLIENT,
    attributes: {
      [SemanticConventions.OPENINFERENCE_SPAN_KIND]: OpenInferenceSpanKind.LLM,
      [GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.chat,
      [GEN_AI_PROVIDER_NAME]: requested.provider,
      [GEN_AI_REQUEST_MODEL]: requested.model,
      ...(call.temperature === undefined ? {} : { [GEN_AI_REQUEST_TEMPERATURE]: call.temperature }),
      ...(call.maxTokens === undefined ? {} : { [GEN_AI_REQUEST_MAX_TOKENS]: call.maxTokens }),
      [LLM_INVOCATION_PARAMETERS]: JSON.stringify(parameters),
      'umca.model.candidates': [...call.models],
    },
  });
  if (tracing.recordContent) {
    opened.span.setAttributes({
      ...messageAttributes(LLM_INPUT_MESSAGES, call.messages),
      [GEN_AI_INPUT_MESSAGES]: genAiMessages(call.messages),
    });
    recordContent(tracing, opened.span, { input: JSON.stringify({ messages: call.messages }), json: true });
  }
  return opened;
}

export function endModelSpan(tracing: RunTracing, opened: OpenSpan, response: GatewayResponse): void {
  const { span } = opened;
  const { promptTokens, completionTokens } = response.usage;
  span.setAttributes({
    [GEN_AI_PROVIDER_NAME]: response.provider,
    [GEN_AI_RESPONSE_MODEL]: response.model,
    [GEN_AI_RESPONSE_FINISH_REASONS]: [response.finishReason],
    [GEN_AI_USAGE_INPUT_TOKENS]: promptTokens,
    [GEN_AI_USAGE_OUTPUT_TOKENS]: completionTokens,
    [LLM_MODEL_NAME]: response.model,
    [LLM_PROVIDER]: response.provider,
    [LLM_TOKEN_COUNT_PROMPT]: promptTokens,
    [LLM_TOKEN_COUNT_COMPLETION]: completionTokens,
    [LLM_TOKEN_COUNT_TOTAL]: promptTokens + completionTokens,
    'umca.model.attempts': response.attempts.length,
  });
  for (const attempt of response.attempts.slice(0, -1)) {
    span.addEvent('model.fallback', { 'umca.model': attempt.modelId, [ERROR_TYPE]: attempt.error?.code ?? 'failed' });
  }
  if (tracing.recordContent) {
    const output = [{ role: 'assistant', content: response.text }];
    span.setAttributes({ ...messageAttributes(LLM_OUTPUT_MESSAGES, output), [GEN_AI_OUTPUT_MESSAGES]: genAiMessages(output) });
    recordContent(tracing, span, { output: response.text });
  }
  span.setStatus({ code: SpanStatusCode.OK });
  span.end();
}
