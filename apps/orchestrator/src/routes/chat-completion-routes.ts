/**
 * @module chat-completion-routes
 * POST /v1/chat/completions: UMCA's model gateway on the OpenAI-compatible wire, for agent
 * frameworks that speak it (AgentScope, LangChain, the OpenAI SDKs), under G0: the caller needs
 * `run_task` and its roles' `models` must allow the model (a refusal is a 403 and a
 * `policy.denied` event). The model is `provider:model`, as tasks name it; without one, the
 * server's default model and its fallbacks. Each completion is an LLM span (its own trace) when
 * tracing is on. With `stream: true` the answer is Server-Sent Events of `chat.completion.chunk`s
 * ending with `data: [DONE]`; the model call stops when the client goes away.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { chatCompletionRequestSchema, type GatewayResponse, type ModelGatewayFactoryV1, UmcaError } from '@umca/contracts';
import { authorizeModels, PolicyError, parseOrThrow } from '@umca/policy';
import { endModelSpan, failSpan, NO_TRACING, type RunTracing, startModelSpan } from '@umca/tracing';
import { streamSSE } from 'hono/streaming';
import type { AppDeps } from '../app/app-deps.js';
import { readJson } from '../app/read-json.js';
import type { EdgeEnv } from '../app/request-id.js';
import { grantWith } from '../auth/request-access.js';
import { chunkOf, closingChunks, completionOf } from '../openai/completion-answer.js';
import { refuseNonTextParts, toChatRequest } from '../openai/to-chat-request.js';
import { problemAnswer } from '../openapi/answers.js';
import { ref } from '../openapi/component-schemas.js';

/** A model that cannot work here (before any call), or every model tried failed. */
export class ChatCompletionError extends UmcaError<'model_unavailable' | 'model_failed'> {
  override readonly name = 'UMCA_ChatCompletionError';
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The gateway the endpoint calls, and the models a request without one gets. */
export interface ChatCompletionModels {
  readonly createGateway: ModelGatewayFactoryV1;
  readonly defaultModel?: string;
  readonly fallbackModels?: readonly string[];
  readonly tracing?: RunTracing;
}

const createChatCompletion = createRoute({
  method: 'post',
  path: '/v1/chat/completions',
  operationId: 'createChatCompletion',
  tags: ['models'],
  summary: "A chat completion from UMCA's model gateway (OpenAI-compatible)",
  description:
    "The OpenAI chat completions wire over UMCA's gateway, for agent frameworks: `model` is provider:model (absent: the server's default and its fallbacks). Needs `run_task`, and a model the caller's roles allow. Text content only; `n` must be 1; `tool_choice` other than `none` lets the model choose. With `stream: true`, Server-Sent Events of `chat.completion.chunk` objects, then `data: [DONE]`.",
  request: { body: { required: true, content: { 'application/json': { schema: ref('ChatCompletionRequest') } } } },
  responses: {
    200: {
      description: 'The completion (`chat.completion`), or with `stream: true` its chunks as Server-Sent Events.',
      content: {
        'application/json': { schema: ref('ChatCompletion') },
        'text/event-stream': {
          schema: { type: 'string', description: '`data: <chat.completion.chunk JSON>` lines, then `data: [DONE]`.' },
        },
      },
    },
    400: problemAnswer(
      'Nothing was asked of a model: the request is invalid (`invalid_request`: a field, content that is not text, no model when the server has no default) or names a model that cannot work here (`model_unavailable`).',
    ),
    413: problemAnswer('The request body is too large.'),
    502: problemAnswer('Every model tried failed (`model_failed`, and why): the answer could not be given.'),
  },
});

export function registerChatCompletionRoutes(app: OpenAPIHono<EdgeEnv>, deps: AppDeps): void {
  app.openAPIRegistry.registerPath(createChatCompletion);
  app.post(createChatCompletion.path, async (context) => {
    const grant = grantWith(context, 'run_task');
    const body = await readJson(context);
    refuseNonTextParts(body);
    const request = parseOrThrow(chatCompletionRequestSchema, 'chat completion request', body);
    const models = deps.models;
    const named = request.model?.trim();
    const candidates = named ? [named] : models?.defaultModel ? [models.defaultModel, ...(models.fallbackModels ?? [])] : [];
    if (candidates.length === 0 || !models) {
      throw new PolicyError(
        'invalid_request',
        'no model: name one in `model` as provider:model (qwen:qwen-max, ollama:qwen2.5-coder:7b, local:/models/x.gguf), or start the server with --model',
      );
    }
    authorizeModels(grant, candidates);
    const gateway = models.createGateway({});
    for (const candidate of candidates) {
      try {
        gateway.preflight(candidate);
      } catch (error) {
        throw new ChatCompletionError('model_unavailable', `the model ${candidate} cannot be used here: ${describe(error)}`, {
          cause: error,
        });
      }
    }
    const chat = toChatRequest(request);
    const tracing = models.tracing ?? NO_TRACING;
    const identity = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000) };
    const controller = new AbortController();
    const call = async (onText?: (delta: string) => void): Promise<GatewayResponse> => {
      const span = startModelSpan(tracing, ROOT_CONTEXT, {
        models: candidates,
        messages: chat.messages,
        ...(chat.temperature === undefined ? {} : { temperature: chat.temperature }),
        ...(chat.maxTokens === undefined ? {} : { maxTokens: chat.maxTokens }),
      });
      try {
        const response = await gateway.chat(candidates, chat, { signal: controller.signal, ...(onText ? { onText } : {}) });
        endModelSpan(tracing, span, response);
        return response;
      } catch (error) {
        failSpan(span, error);
        if (controller.signal.aborted) throw error;
        const code = error instanceof UmcaError ? ` (${error.code})` : '';
        throw new ChatCompletionError('model_failed', `${describe(error)}${code}`, { cause: error });
      }
    };

    if (!request.stream) {
      context.req.raw.signal.addEventListener('abort', () => controller.abort(), { once: true });
      return context.json(completionOf(identity, await call()), 200);
    }
    return streamSSE(context, async (stream) => {
      stream.onAbort(() => controller.abort());
      const send = (payload: object | string) => stream.writeSSE({ data: typeof payload === 'string' ? payload : JSON.stringify(payload) });
      // Text is written in the order it comes; the answer waits for what was queued before it.
      let queue = send(chunkOf(identity, candidates[0] ?? '', { role: 'assistant', content: '' }));
      try {
        const response = await call((delta) => {
          queue = queue.then(() => send(chunkOf(identity, candidates[0] ?? '', { content: delta })));
        });
        await queue;
        for (const chunk of closingChunks(identity, response, request.stream_options?.include_usage === true)) await send(chunk);
      } catch (error) {
        await queue.catch(() => {});
        if (controller.signal.aborted) return;
        const code = error instanceof UmcaError ? error.code : 'internal_error';
        await send({ error: { message: describe(error), type: code, code } });
      }
      await send('[DONE]');
    });
  });
}
