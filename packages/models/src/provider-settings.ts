/**
 * @module provider-settings
 * Where each named provider lives and which environment variable holds its key, resolved from
 * the environment in this one place. Any provider's address and key can also be set as
 * `UMCA_PROVIDER_<NAME>_BASE_URL` and `UMCA_PROVIDER_<NAME>_API_KEY`, and any new name defined
 * that way is a provider too (for any other OpenAI-compatible endpoint).
 */

export interface ProviderSettings {
  readonly name: string;
  readonly baseUrl: string;
  /** The environment variable to set the address with (for messages). */
  readonly baseUrlVariable: string;
  readonly apiKey: string | undefined;
  /** The environment variables a key is read from (for messages); empty when none is needed. */
  readonly apiKeyVariables: readonly string[];
  readonly requiresKey: boolean;
}

interface KnownProvider {
  baseUrl: string;
  keyVariables: string[];
  requiresKey: boolean;
  description: string;
}

/** The providers UMCA knows by name. */
export const KNOWN_PROVIDERS: Readonly<Record<string, KnownProvider>> = {
  qwen: {
    baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    keyVariables: ['DASHSCOPE_API_KEY'],
    requiresKey: true,
    description: 'Qwen on Alibaba Cloud DashScope (OpenAI-compatible mode)',
  },
  deepseek: { baseUrl: 'https://api.deepseek.com/v1', keyVariables: ['DEEPSEEK_API_KEY'], requiresKey: true, description: 'DeepSeek' },
  glm: {
    baseUrl: 'https://open.bigmodel.cn/api/paas/v4',
    keyVariables: ['ZHIPUAI_API_KEY', 'GLM_API_KEY'],
    requiresKey: true,
    description: 'GLM on Zhipu AI',
  },
  openai: { baseUrl: 'https://api.openai.com/v1', keyVariables: ['OPENAI_API_KEY'], requiresKey: true, description: 'OpenAI' },
  vllm: {
    baseUrl: 'http://127.0.0.1:8000/v1',
    keyVariables: ['VLLM_API_KEY'],
    requiresKey: false,
    description: 'a vLLM server (vllm serve MODEL)',
  },
  sglang: { baseUrl: 'http://127.0.0.1:30000/v1', keyVariables: ['SGLANG_API_KEY'], requiresKey: false, description: 'an SGLang server' },
  ollama: {
    baseUrl: 'http://127.0.0.1:11434/v1',
    keyVariables: [],
    requiresKey: false,
    description: 'Ollama (its OpenAI-compatible /v1 endpoint)',
  },
};

const upper = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** Provider names defined only through UMCA_PROVIDER_<NAME>_BASE_URL. */
export function customProviderNames(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .map((key) => key.match(/^UMCA_PROVIDER_([A-Z0-9_]+)_BASE_URL$/)?.[1])
    .filter((name): name is string => Boolean(name))
    .map((name) => name.toLowerCase())
    .filter((name) => !(name in KNOWN_PROVIDERS));
}

export function providerSettings(name: string, env: NodeJS.ProcessEnv): ProviderSettings | undefined {
  const known = KNOWN_PROVIDERS[name];
  const prefix = `UMCA_PROVIDER_${upper(name)}`;
  const baseUrlVariable = `${prefix}_BASE_URL`;
  const ollamaHost = name === 'ollama' && env.OLLAMA_HOST ? `${env.OLLAMA_HOST.replace(/\/$/, '')}/v1` : undefined;
  const baseUrl = env[baseUrlVariable] ?? ollamaHost ?? known?.baseUrl;
  if (!baseUrl) return undefined;
  const keyVariables = [`${prefix}_API_KEY`, ...(known?.keyVariables ?? [])];
  const keyVariable = keyVariables.find((variable) => env[variable]);
  return {
    name,
    baseUrl,
    baseUrlVariable,
    apiKey: keyVariable ? env[keyVariable] : undefined,
    apiKeyVariables: keyVariables,
    requiresKey: known?.requiresKey ?? false,
  };
}
