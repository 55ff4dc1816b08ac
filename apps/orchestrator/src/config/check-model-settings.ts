/**
 * @module check-model-settings
 * The default model and its fallbacks, checked when the process starts rather than when the first
 * task fails: a well-formed name, a known provider, a key where one is needed, a model file that
 * exists.
 */
import { createModelGateway, ModelError } from '@umca/models';
import { ConfigError } from './server-config.js';

/** Where the model settings were given, as the user wrote them; each problem is reported under it. */
export interface ModelSettingSources {
  model: string;
  fallbackModels: string;
}

const SERVER_SOURCES: ModelSettingSources = {
  model: 'model (--model or UMCA_MODEL)',
  fallbackModels: 'fallbackModels (--fallback-model or UMCA_MODEL_FALLBACKS)',
};

export function checkModelSettings(
  settings: { model?: string; fallbackModels?: readonly string[] },
  env: NodeJS.ProcessEnv = process.env,
  sources: ModelSettingSources = SERVER_SOURCES,
): void {
  const gateway = createModelGateway({ env });
  const problems: string[] = [];
  for (const [where, spec] of [
    ...(settings.model ? [[sources.model, settings.model] as const] : []),
    ...(settings.fallbackModels ?? []).map((spec) => [sources.fallbackModels, spec] as const),
  ]) {
    if (spec === 'sampling') {
      problems.push(`${where}: "sampling" cannot be a server default; it is chosen per MCP call`);
      continue;
    }
    try {
      gateway.preflight(spec);
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      problems.push(`${where}: ${error.message}`);
    }
  }
  if (problems.length) throw new ConfigError(`the model settings cannot work:\n  ${problems.join('\n  ')}`);
}
