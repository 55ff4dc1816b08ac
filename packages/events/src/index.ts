/**
 * @module @umca/events
 * The event bus interface and its embedded implementation. Any new export added here becomes
 * public API.
 */
export { createEmbeddedBus, type EmbeddedBusOptions } from './create-embedded-bus.js';
export type { EventBus, SubscribeOptions } from './event-bus.js';
