/**
 * @module work-queue
 * `WorkQueueV1` and `WorkSourceV1`: executions handed from servers to runner workers (`umca serve
 * --workers remote`, `umca worker`). At least once: a delivery not acknowledged in time (its worker
 * died) is delivered again, so workers make it exactly once with the store's claims (`RunStoreV1.claim`)
 * and acknowledge only after the run's end is recorded. Scaled out: Apache RocketMQ.
 */

import type { ParsedExecutionRequest } from '../execution-request.js';
import type { Lane } from '../execution-result.js';

/** One run to execute: the run exists in the store (queued) before its item is sent. */
export interface WorkItemV1 {
  readonly runId: string;
  /** The request as the edge accepted it; the worker accepts it again (parses, compiles its egress policy). */
  readonly request: ParsedExecutionRequest;
  /** The lanes the caller's grant allows; absent: every lane. */
  readonly lanes?: readonly Lane[];
  /** The `sub` of who started it, carried on its events. */
  readonly principal?: string;
  /** The W3C trace context of the run's span on the server: the worker's spans join that trace. */
  readonly traceparent?: string;
}

export interface WorkDeliveryV1 {
  readonly item: WorkItemV1;
  /** 1 for the first delivery, more for each redelivery. */
  readonly deliveryAttempt: number;
  /** Done with it (its end is recorded, or it needs nothing more): it is not delivered again. */
  ack(): Promise<void>;
  /** Keeps it from other workers for `ms` from now (a long run renews this while it runs). */
  extend(ms: number): Promise<void>;
}

export interface WorkQueueV1 {
  readonly specificationVersion: 'v1';
  /** Sends an item to the workers; rejects when it could not be sent (the broker is down). */
  enqueue(item: WorkItemV1): Promise<void>;
  close(): Promise<void>;
}

export interface WorkSourceV1 {
  readonly specificationVersion: 'v1';
  /** The next item, kept from other workers for `invisibleMs`; undefined when none came within one long poll. */
  take(options: { readonly invisibleMs: number }): Promise<WorkDeliveryV1 | undefined>;
  close(): Promise<void>;
}
