/**
 * @module rocketmq-bus-signal
 * The shared bus's signal on Apache RocketMQ 5 (`rocketmq-client-nodejs`, gRPC through the proxy):
 * each event, once stored, is sent whole to a FIFO topic (`umca-events`) with its run as the
 * message group, so a run's events keep their order for anyone consuming the topic (the RocketMQ
 * Dashboard, other systems); its offset in the store rides along as a property. Each replica reads
 * the topic in a consumer group of its own (every replica sees every event) and takes each message
 * as word that the store has grown; what it serves comes from the store, by offset.
 */
import type { Logger, StoredEvent } from '@umca/contracts';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import type { BusSignal } from '../open-shared-bus.js';
import { BusError } from './rocketmq-address.js';
import { rocketMqLogger, startWithin } from './rocketmq-logger.js';

export interface RocketMqBusSignalOptions {
  /** The proxy's gRPC endpoint, `host:port`. */
  endpoints: string;
  /** The FIFO topic (default `umca-events`). */
  topic?: string;
  /** This replica's consumer group; one per replica (default `umca-replica-<random>`). */
  consumerGroup: string;
  logger: Logger;
  /** How long one receive waits for a message (default 5000 ms). */
  awaitMs?: number;
}

export const OFFSET_PROPERTY = 'umcaOffset';
/** How long a client's start may take before it is taken as refused (it answers in a second or two). */
export const START_MS = 20_000;

export async function openRocketMqBusSignal(options: RocketMqBusSignalOptions): Promise<BusSignal> {
  const topic = options.topic ?? 'umca-events';
  const base = { endpoints: options.endpoints, namespace: '', requestTimeout: 3_000 };
  const producer = new Producer({ ...base, topic, maxAttempts: 3, logger: rocketMqLogger(options.logger, 'producer') });
  const consumer = new SimpleConsumer({
    ...base,
    consumerGroup: options.consumerGroup,
    subscriptions: new Map([[topic, '*']]),
    awaitDuration: options.awaitMs ?? 5_000,
    logger: rocketMqLogger(options.logger, 'consumer'),
  });
  try {
    await startWithin(producer.startup(), START_MS, () => new Error(`no answer within ${START_MS / 1000} s`));
    await startWithin(consumer.startup(), START_MS, () => missingGroup(options.endpoints, options.consumerGroup));
  } catch (error) {
    await Promise.allSettled([producer.shutdown(), consumer.shutdown()]);
    throw error instanceof BusError ? error : describeStartFailure(error, options.endpoints, topic);
  }

  const listeners: Array<(offset: number) => void> = [];
  let running = true;
  let failure: string | undefined;
  const worked = () => {
    failure = undefined;
  };
  const failed = (what: string, error: unknown) => {
    failure = `${what} at ${options.endpoints} failed: ${(error as Error).message ?? String(error)}`;
  };
  const receiving = (async () => {
    while (running) {
      try {
        const messages = await consumer.receive(32, 30_000);
        worked();
        // Only the newest offset matters: one word for the whole batch, and the acknowledgements
        // go out without holding up the next receive (a lost one only means the word comes twice).
        let newest = 0;
        for (const message of messages) newest = Math.max(newest, Number(message.properties.get(OFFSET_PROPERTY)) || 0);
        if (newest > 0) for (const listener of listeners) listener(newest);
        for (const message of messages) void consumer.ack(message).catch(() => {});
      } catch (error) {
        if (!running) break;
        failed('receiving from the events topic', error);
        options.logger.debug?.({ err: error }, 'rocketmq: receiving from the events topic failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  })();

  return {
    async announce(stored: StoredEvent) {
      try {
        await producer.send({
          topic,
          body: Buffer.from(JSON.stringify(stored.event)),
          messageGroup: stored.event.subject,
          keys: [stored.event.id],
          tag: stored.event.type,
          properties: new Map([[OFFSET_PROPERTY, String(stored.offset)]]),
        });
        worked();
      } catch (error) {
        failed('sending to the events topic', error);
        throw error;
      }
    },
    state: () => (failure ? { up: false, detail: failure } : { up: true }),
    listen(listener) {
      listeners.push(listener);
    },
    async close() {
      running = false;
      await Promise.allSettled([producer.shutdown(), consumer.shutdown()]);
      await receiving;
    },
  };
}

/** RocketMQ's proxy refuses consumers of a group nobody created, and its client retries that forever. */
export function missingGroup(endpoints: string, group: string): BusError {
  return new BusError(
    'missing_topic',
    `RocketMQ at ${endpoints} did not accept the consumer group ${group}: create UMCA's topics and groups once with scripts/rocketmq-topics.sh (docs/scale-out.md), then start again`,
  );
}

/** A start that failed, said so that the operator knows what to do (a missing topic, a broker not there). */
export function describeStartFailure(error: unknown, endpoints: string, topic: string): BusError {
  const message = (error as Error).message ?? String(error);
  if (/topic.*not.*exist|TOPIC_NOT_FOUND|No topic route/i.test(message)) {
    return new BusError(
      'missing_topic',
      `RocketMQ at ${endpoints} has no topic ${topic}: create the topics once with scripts/rocketmq-topics.sh (docs/scale-out.md), then start again`,
      { cause: error },
    );
  }
  return new BusError(
    'unavailable',
    `cannot reach RocketMQ's proxy at ${endpoints}: ${message}. Check that it runs and listens for gRPC there`,
    {
      cause: error,
    },
  );
}
