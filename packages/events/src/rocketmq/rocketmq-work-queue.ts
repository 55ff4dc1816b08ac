/**
 * @module rocketmq-work-queue
 * The work queue on Apache RocketMQ 5: servers send each execution to a normal topic (`umca-work`,
 * keyed by run id) and workers share one consumer group (`umca-workers`), taking one message per
 * free sandbox. A message is invisible to the others while its worker holds it, and comes back if
 * it is not acknowledged in time, so a worker that dies mid-run loses nothing.
 */
import type { Logger, WorkDeliveryV1, WorkItemV1, WorkQueueV1, WorkSourceV1 } from '@umca/contracts';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { BusError } from './rocketmq-address.js';
import { describeStartFailure, missingGroup, START_MS } from './rocketmq-bus-signal.js';
import { rocketMqLogger, startWithin } from './rocketmq-logger.js';

export interface RocketMqWorkOptions {
  /** The proxy's gRPC endpoint, `host:port`. */
  endpoints: string;
  /** The topic (default `umca-work`). */
  topic?: string;
  logger: Logger;
}

export async function openRocketMqWorkQueue(options: RocketMqWorkOptions): Promise<WorkQueueV1> {
  const topic = options.topic ?? 'umca-work';
  const producer = new Producer({
    endpoints: options.endpoints,
    namespace: '',
    requestTimeout: 3_000,
    topic,
    maxAttempts: 3,
    logger: rocketMqLogger(options.logger, 'work producer'),
  });
  try {
    await startWithin(producer.startup(), START_MS, () => new Error(`no answer within ${START_MS / 1000} s`));
  } catch (error) {
    await producer.shutdown().catch(() => {});
    throw describeStartFailure(error, options.endpoints, topic);
  }
  return {
    specificationVersion: 'v1',
    async enqueue(item: WorkItemV1) {
      await producer.send({ topic, body: Buffer.from(JSON.stringify(item)), keys: [item.runId], tag: item.request.language });
    },
    close: () => producer.shutdown(),
  };
}

export interface RocketMqWorkSourceOptions extends RocketMqWorkOptions {
  /** The workers' shared consumer group (default `umca-workers`). */
  consumerGroup?: string;
  /** How long one receive waits for a message (default 5000 ms). */
  awaitMs?: number;
}

export async function openRocketMqWorkSource(options: RocketMqWorkSourceOptions): Promise<WorkSourceV1> {
  const topic = options.topic ?? 'umca-work';
  const consumer = new SimpleConsumer({
    endpoints: options.endpoints,
    namespace: '',
    requestTimeout: 3_000,
    consumerGroup: options.consumerGroup ?? 'umca-workers',
    subscriptions: new Map([[topic, '*']]),
    awaitDuration: options.awaitMs ?? 5_000,
    logger: rocketMqLogger(options.logger, 'work consumer'),
  });
  const group = options.consumerGroup ?? 'umca-workers';
  try {
    await startWithin(consumer.startup(), START_MS, () => missingGroup(options.endpoints, group));
  } catch (error) {
    await consumer.shutdown().catch(() => {});
    throw error instanceof BusError ? error : describeStartFailure(error, options.endpoints, topic);
  }
  return {
    specificationVersion: 'v1',
    async take({ invisibleMs }): Promise<WorkDeliveryV1 | undefined> {
      const [message] = await consumer.receive(1, invisibleMs);
      if (!message) return undefined;
      let item: WorkItemV1;
      try {
        item = JSON.parse(message.body.toString('utf8')) as WorkItemV1;
      } catch {
        // Not ours to run: dropped so that it does not come back forever, and said.
        options.logger.error({ messageId: message.messageId }, `the work topic ${topic} held a message that is not JSON; it was dropped`);
        await consumer.ack(message).catch(() => {});
        return undefined;
      }
      return {
        item,
        deliveryAttempt: message.deliveryAttempt ?? 1,
        ack: () => consumer.ack(message),
        extend: (ms) => consumer.changeInvisibleDuration(message, ms),
      };
    },
    close: () => consumer.shutdown(),
  };
}
