/**
 * @module to-chat-request
 * An OpenAI-compatible chat completion request, as the gateway takes it: `developer` messages as
 * `system`, content parts joined into text, the assistant's tool calls and the tool answers kept
 * with their ids, tools offered unless `tool_choice` is `none`. Content the gateway cannot carry
 * (an image, audio) is refused, naming the message and the part.
 */
import type { ChatCompletionRequest, ChatMessage, ChatRequest } from '@umca/contracts';
import { PolicyError } from '@umca/policy';

/**
 * Refuses, before the schema does with less to say, a content part that is not text: it names
 * the message, the part and its type.
 */
export function refuseNonTextParts(body: unknown): void {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return;
  messages.forEach((message: unknown, index) => {
    const content = (message as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) return;
    content.forEach((part: unknown, partIndex) => {
      const type = (part as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && type !== 'text') {
        throw new PolicyError(
          'invalid_request',
          `messages[${index}].content[${partIndex}] is a ${JSON.stringify(type)} part: UMCA's models take text only; send the text, or describe what the ${type} holds`,
        );
      }
    });
  });
}

function textOf(content: ChatCompletionRequest['messages'][number]['content']): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text).join('');
}

export function toChatRequest(request: ChatCompletionRequest): ChatRequest {
  const messages: ChatMessage[] = request.messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content: textOf(message.content),
    ...(message.tool_calls?.length
      ? { toolCalls: message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })) }
      : {}),
    ...(message.tool_call_id ? { toolCallId: message.tool_call_id } : {}),
  }));
  const tools =
    request.tool_choice === 'none'
      ? []
      : (request.tools ?? []).map((tool) => ({
          name: tool.function.name,
          description: tool.function.description ?? '',
          parameters: tool.function.parameters ?? { type: 'object', properties: {} },
        }));
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  return {
    messages,
    ...(tools.length ? { tools } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(maxTokens === undefined ? {} : { maxTokens }),
  };
}
