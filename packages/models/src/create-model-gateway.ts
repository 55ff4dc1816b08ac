/**
 * @module create-model-gateway
 * One gateway to every model: it reads `provider:model` names (`qwen:qwen-max`,
 * `ollama:qwen2.5-coder:7b`, `local:/models/x.gguf`, `sampling`), calls them over one interface,
 * falls back along an ordered list when a model fails, and accounts tokens and latency for every
 * call.
 */
import type { ChatModelV1, ModelAttempt, ModelGatewayV1 } from '@umca/contracts';
import { ModelError } from './model-error.js';
import { customProviderNames, KNOWN_PROVIDERS, providerSettings } from './provider-settings.js';
import { createLocalModel } from './providers/local-model.js';
import { createOpenAiCompatibleModel } from './providers/openai-compatible-model.js';

export interface ModelGatewayOptions {
  /** Where providers' addresses and keys are read. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Retries per model on 408/409/429/5xx and connection failures. Default: UMCA_MODEL_MAX_RETRIES, else 2. */
  maxRetries?: number;
  /** Per-request timeout. Default: UMCA_MODEL_TIMEOUT_MS, else 120 s. */
  timeoutMs?: number;
  /** The HTTP client for remote providers (tests pass one). */
  fetch?: typeof fetch;
  /** Models provided by the caller's context, by name (the MCP client's `sampling`). */
  contextModels?: Readonly<Record<string, ChatModelV1>>;
  now?: () => number;
}

function positive(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

export function createModelGateway(options: ModelGatewayOptions = {}): ModelGatewayV1 {
  const env = options.env ?? process.env;
  const maxRetries = options.maxRetries ?? positive(env.UMCA_MODEL_MAX_RETRIES) ?? 2;
  const timeoutMs = options.timeoutMs ?? positive(env.UMCA_MODEL_TIMEOUT_MS) ?? 120_000;
  const now = options.now ?? (() => performance.now());
  const cache = new Map<string, ChatModelV1>();

  const providers = () => [
    ...Object.keys(KNOWN_PROVIDERS),
    ...customProviderNames(env),
    'local',
    ...Object.keys(options.contextModels ?? {}),
  ];

  function resolve(spec: string): ChatModelV1 {
    const trimmed = spec.trim();
    const context = options.contextModels?.[trimmed.replace(/:$/, '')];
    if (context) return context;
    if (trimmed === 'sampling') {
      throw new ModelError(
        'unavailable',
        'the sampling model is only available to flows started from an MCP client that offers sampling (and where the operator allows it)',
      );
    }
    const colon = trimmed.indexOf(':');
    if (colon <= 0 || colon === trimmed.length - 1) {
      throw new ModelError(
        'invalid_model_spec',
        `"${spec}" is not a model name: write provider:model, e.g. qwen:qwen-max, deepseek:deepseek-chat, ollama:qwen2.5-coder:7b or local:/path/to/model.gguf`,
      );
    }
    const cached = cache.get(trimmed);
    if (cached) return cached;
    const provider = trimmed.slice(0, colon).toLowerCase();
    const model = trimmed.slice(colon + 1);
    let resolved: ChatModelV1;
    if (provider === 'local') {
      resolved = createLocalModel(model);
    } else {
      const settings = providerSettings(provider, env);
      if (!settings) {
        throw new ModelError(
          'unknown_provider',
          `no model provider is called "${provider}"; use one of ${providers().join(', ')}, or define it with UMCA_PROVIDER_${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BASE_URL`,
        );
      }
      resolved = createOpenAiCompatibleModel({
        settings,
        model,
        maxRetries,
        timeoutMs,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
    }
    cache.set(trimmed, resolved);
    return resolved;
  }

  return {
    specificationVersion: 'v1',
    resolve,
    providers,
    preflight(spec) {
      resolve(spec).check?.();
    },
    async chat(specs, request, chatOptions = {}) {
      if (specs.length === 0)
        throw new ModelError('invalid_model_spec', 'no model was named: pass --model provider:model or set UMCA_MODEL');
      const attempts: ModelAttempt[] = [];
      let lastError: ModelError | undefined;
      for (const spec of specs) {
        const started = now();
        let model: ChatModelV1;
        try {
          model = resolve(spec);
        } catch (error) {
          const failure = error as ModelError;
          attempts.push({ modelId: spec, latencyMs: 0, error: { code: failure.code, message: failure.message } });
          lastError = failure;
          if (!failure.canFallBack) throw failure;
          continue;
        }
        try {
          const response = await model.chat(request, chatOptions);
          const latencyMs = now() - started;
          attempts.push({ modelId: model.id, latencyMs });
          return { ...response, modelId: model.id, provider: model.provider, model: model.model, latencyMs, attempts };
        } catch (error) {
          const failure =
            error instanceof ModelError ? error : new ModelError('provider_error', (error as Error).message, { cause: error });
          attempts.push({ modelId: model.id, latencyMs: now() - started, error: { code: failure.code, message: failure.message } });
          lastError = failure;
          if (!failure.canFallBack || chatOptions.signal?.aborted) throw failure;
        }
      }
      const tried = attempts.map((attempt) => `${attempt.modelId} (${attempt.error?.code})`).join(', ');
      throw new ModelError(
        lastError?.code ?? 'provider_error',
        specs.length > 1 ? `every model failed: ${tried}. Last: ${lastError?.message}` : (lastError?.message ?? 'the model failed'),
        {
          cause: lastError,
        },
      );
    },
  };
}
