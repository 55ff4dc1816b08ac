/**
 * @module @umca/models
 * The model gateway (`ModelGatewayV1`) and its providers (`ChatModelV1`): OpenAI-compatible
 * endpoints by name, a local GGUF model in process, and the MCP client's own model (sampling).
 * The interfaces are the ports in @umca/contracts. Any new export added here becomes public API.
 */
export { createModelGateway, type ModelGatewayOptions } from './create-model-gateway.js';
export { ModelError, type ModelErrorCode } from './model-error.js';
export { KNOWN_PROVIDERS, type ProviderSettings, providerSettings } from './provider-settings.js';
export { createLocalModel } from './providers/local-model.js';
export { type CreateMessage, createSamplingModel, type SamplingRequest } from './providers/sampling-model.js';
