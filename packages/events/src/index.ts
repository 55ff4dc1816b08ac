/**
 * @module @umca/events
 * The event buses (`EventBusV1`, the port in @umca/contracts): embedded in one process, or shared by
 * replicas over one store with RocketMQ as the signal; the RocketMQ work queue; an event log in memory.
 * Any new export added here becomes public API.
 */
export { createEmbeddedBus, type EmbeddedBusOptions } from './create-embedded-bus.js';
export { createMemoryEventLog } from './create-memory-event-log.js';
export { type BusSignal, openSharedBus, POLLING_ONLY, type SharedBus, type SharedBusOptions } from './open-shared-bus.js';
export { BusError, parseRocketMqAddress } from './rocketmq/rocketmq-address.js';
export { openRocketMqBusSignal, type RocketMqBusSignalOptions } from './rocketmq/rocketmq-bus-signal.js';
export {
  openRocketMqWorkQueue,
  openRocketMqWorkSource,
  type RocketMqWorkOptions,
  type RocketMqWorkSourceOptions,
} from './rocketmq/rocketmq-work-queue.js';
