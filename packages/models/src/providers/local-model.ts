/**
 * @module local-model
 * A GGUF model run in this process with node-llama-cpp (prebuilt llama.cpp), so UMCA runs agent
 * flows with no server and no key: `--model local:/path/to/model.gguf`. Calls to one model are
 * served one at a time on one context; its history is cleared between calls.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import type { ChatModelV1, ChatResponse } from '@umca/contracts';
import { ModelError } from '../model-error.js';

type LlamaModule = typeof import('node-llama-cpp');
type Loaded = {
  module: LlamaModule;
  model: import('node-llama-cpp').LlamaModel;
  context: import('node-llama-cpp').LlamaContext;
};

const loaded = new Map<string, Promise<Loaded>>();

async function load(path: string): Promise<Loaded> {
  const module = await import('node-llama-cpp');
  // One thread per core: more threads than cores makes llama.cpp's spinning workers thrash.
  const threads = Math.max(1, cpus().length);
  const llama = await module.getLlama({ gpu: false, logLevel: module.LlamaLogLevel.error, maxThreads: threads });
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: Math.min(4096, model.trainContextSize), threads });
  return { module, model, context };
}

let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const result = queue.then(task, task);
  queue = result.catch(() => {});
  return result;
}

export function createLocalModel(path: string): ChatModelV1 {
  const check = () => {
    if (!existsSync(path)) {
      throw new ModelError(
        'unknown_model',
        `there is no GGUF model at ${path}; give the path of a .gguf file with --model local:/path/model.gguf (docs/models.md says where to get one)`,
      );
    }
  };
  return {
    specificationVersion: 'v1',
    id: `local:${path}`,
    provider: 'local',
    model: path,
    check,
    chat(request, options = {}) {
      check();
      if (request.tools?.length)
        throw new ModelError('bad_request', 'the local provider does not offer tool calls; use a remote provider for tools');
      return exclusive(async (): Promise<ChatResponse> => {
        if (options.signal?.aborted) throw new ModelError('cancelled', 'the model call was cancelled');
        let entry = loaded.get(path);
        if (!entry) {
          entry = load(path);
          loaded.set(path, entry);
          entry.catch(() => loaded.delete(path));
        }
        let state: Loaded;
        try {
          state = await entry;
        } catch (error) {
          throw new ModelError('unavailable', `the local model at ${path} could not be loaded: ${(error as Error).message}`, {
            cause: error,
          });
        }
        const sequence = state.context.getSequence();
        try {
          const system = request.messages
            .filter((message) => message.role === 'system')
            .map((message) => message.content)
            .join('\n\n');
          const turns = request.messages.filter((message) => message.role !== 'system');
          const last = turns.at(-1);
          if (last?.role !== 'user')
            throw new ModelError('bad_request', 'the local provider needs the conversation to end with a user message');
          const session = new state.module.LlamaChatSession({
            contextSequence: sequence,
            ...(system ? { systemPrompt: system } : {}),
            autoDisposeSequence: false,
          });
          const history = session.getChatHistory();
          for (const turn of turns.slice(0, -1)) {
            history.push(turn.role === 'assistant' ? { type: 'model', response: [turn.content] } : { type: 'user', text: turn.content });
          }
          session.setChatHistory(history);
          const answer = await session.promptWithMeta(last.content, {
            maxTokens: request.maxTokens ?? 512,
            temperature: request.temperature ?? 0,
            ...(options.signal ? { signal: options.signal, stopOnAbortSignal: false } : {}),
            onTextChunk: (chunk) => options.onText?.(chunk),
          });
          const text = answer.responseText;
          const promptTokens = state.model.tokenize(request.messages.map((message) => message.content).join('\n')).length;
          const completionTokens = state.model.tokenize(text).length;
          session.dispose({ disposeSequence: false });
          // OpenAI's words: `length` when the answer was cut at maxTokens, `stop` when the model ended it.
          const finishReason = answer.stopReason === 'maxTokens' ? 'length' : 'stop';
          return { text, toolCalls: [], usage: { promptTokens, completionTokens }, finishReason };
        } catch (error) {
          if (error instanceof ModelError) throw error;
          if (options.signal?.aborted) throw new ModelError('cancelled', 'the model call was cancelled', { cause: error });
          throw new ModelError('provider_error', `the local model failed: ${(error as Error).message}`, { cause: error });
        } finally {
          await sequence.clearHistory();
          sequence.dispose();
        }
      });
    },
  };
}
