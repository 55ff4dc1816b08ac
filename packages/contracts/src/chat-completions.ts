/**
 * @module chat-completions
 * The OpenAI-compatible chat completions wire (`POST /v1/chat/completions`), so any agent
 * framework that speaks it (AgentScope, LangChain, the OpenAI SDKs) reaches UMCA's model gateway
 * under UMCA's policy: the models a caller may use, its traces. What the gateway does not do is
 * refused by name rather than ignored (`n` above 1, content parts that are not text); sampling
 * parameters the gateway has no use for are accepted and left out. Fields UMCA does not know
 * are accepted, as OpenAI's clients send many.
 */
import { z } from 'zod';

const textPartSchema = z
  .object({ type: z.literal('text'), text: z.string() })
  .loose()
  .describe('A text part: the only kind UMCA takes (an image or audio part is refused, naming it).');

export const chatCompletionMessageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z.union([z.string(), z.array(textPartSchema).max(1_000), z.null()]).optional(),
    tool_calls: z
      .array(
        z
          .object({
            id: z.string().max(200),
            type: z.literal('function').default('function'),
            function: z.object({ name: z.string().max(200), arguments: z.string() }).loose(),
          })
          .loose(),
      )
      .max(128)
      .optional(),
    tool_call_id: z.string().max(200).optional(),
    name: z.string().max(200).optional(),
  })
  .loose();

export const chatCompletionToolSchema = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64')
          .describe('The function name the model calls.'),
        description: z.string().max(100_000).optional(),
        parameters: z.record(z.string(), z.unknown()).optional().describe('JSON Schema of its arguments.'),
      })
      .loose(),
  })
  .loose();

const tokenLimit = z.int().min(1).max(1_000_000);

export const chatCompletionRequestSchema = z
  .object({
    model: z
      .string()
      .min(1)
      .max(1_000)
      .optional()
      .describe("provider:model, as tasks name models (qwen:qwen-max, local:/models/x.gguf); absent: the server's default model."),
    messages: z.array(chatCompletionMessageSchema).min(1).max(10_000),
    tools: z.array(chatCompletionToolSchema).max(128).optional(),
    tool_choice: z
      .unknown()
      .optional()
      .describe('`none` sends no tools; anything else lets the model choose (a forced choice is not supported).'),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: tokenLimit.optional(),
    max_completion_tokens: tokenLimit.optional().describe('Preferred over `max_tokens` when both are given.'),
    stream: z.boolean().optional().describe('Answer as Server-Sent Events (`chat.completion.chunk`), ending with `data: [DONE]`.'),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().optional(),
    // An integer, not a literal: OpenAPI client generators write `const: 1` as code that Python warns about.
    n: z.int().min(1).max(1, 'only one choice (n = 1) is supported').optional(),
  })
  .loose()
  .describe('An OpenAI-compatible chat completion request (the fields UMCA reads).');

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatCompletionMessage = z.infer<typeof chatCompletionMessageSchema>;

const usageSchema = z.object({ prompt_tokens: z.int(), completion_tokens: z.int(), total_tokens: z.int() });

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const chatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.int().describe('Unix seconds.'),
    model: z.string().describe('provider:model that answered (a fallback, when the first failed).'),
    choices: z.array(
      z.object({
        index: z.literal(0),
        message: z.object({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(toolCallSchema).optional() }),
        finish_reason: z.string(),
      }),
    ),
    usage: usageSchema,
  })
  .describe('An OpenAI-compatible chat completion.');

export type ChatCompletion = z.infer<typeof chatCompletionSchema>;
