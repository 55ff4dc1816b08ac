/**
 * @module app-deps
 * What the HTTP app is built from. Everything is injected, so tests build an app in-process.
 */
import type { EventBus } from '@umca/events';
import type { Runner } from '@umca/runner';
import type { Store } from '@umca/store';
import type { ServiceMetrics } from '../metrics/create-metrics.js';
import type { RunService } from '../runs/run-service.js';

export interface AppDeps {
  runs: RunService;
  bus: EventBus;
  store: Store;
  runner: Runner;
  metrics: ServiceMetrics;
  /** Host header values the service answers to (DNS-rebinding protection). */
  allowedHosts: () => ReadonlySet<string>;
  /** Folder of the built web UI, served at /. */
  uiDir?: string;
  /** Largest request body accepted, in bytes (executions may carry a WASI module). */
  maxBodyBytes?: number;
  /** SSE timing, injectable for tests. */
  sse?: { heartbeatMs?: number; retryMs?: number };
  /** Extra routes mounted before the catch-all (the MCP endpoint). */
  mount?: (app: import('@hono/zod-openapi').OpenAPIHono) => void;
}
