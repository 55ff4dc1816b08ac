/**
 * @module @umca/models
 * The model gateway. Any new export added here becomes public API.
 */
export type {
  ChatMessage,
  ChatModel,
  ChatOptions,
  ChatRequest,
  ChatResponse,
  ChatRole,
  ToolCall,
  ToolDefinition,
  Usage,
} from './chat-model.js';
export {
  createModelGateway,
  type GatewayResponse,
  type ModelAttempt,
  type ModelGateway,
  type ModelGatewayOptions,
} from './create-model-gateway.js';
export { ModelError, type ModelErrorCode } from './model-error.js';
export { KNOWN_PROVIDERS, type ProviderSettings, providerSettings } from './provider-settings.js';
export { createLocalModel } from './providers/local-model.js';
export { type CreateMessage, createSamplingModel, type SamplingRequest } from './providers/sampling-model.js';
