/**
 * @module @umca/events
 * The embedded event bus (`EventBusV1`, the port in @umca/contracts) and an event log in memory.
 * Any new export added here becomes public API.
 */
export { createEmbeddedBus, type EmbeddedBusOptions } from './create-embedded-bus.js';
export { createMemoryEventLog } from './create-memory-event-log.js';
