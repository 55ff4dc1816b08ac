/**
 * @module app-deps
 * What the HTTP app is built from: the run service and the ports it reads, metrics and a logger.
 * Everything is injected, so a test builds the app in process with `app.request()` and fakes of
 * the ports, and the server wires the real ones.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { EventBusV1, Logger, Readiness, RunnerV1, SpanStoreV1, UpstreamToolsV1 } from '@umca/contracts';
import type { RunService, SessionService, TaskContext } from '@umca/runs';
import type { AccessControl } from '../auth/access-control.js';
import type { ServiceMetrics } from '../metrics/create-metrics.js';
import type { ChatCompletionModels } from '../routes/chat-completion-routes.js';
import type { EdgeEnv } from './request-id.js';

export type DependencyState = Readiness['dependencies'][number];

export interface AppDeps {
  runs: RunService;
  /** Sessions (`/v1/sessions`); absent when runs execute on remote workers. */
  sessions?: SessionService;
  /** Who may do what: tokens, the policy, the quotas (createAccessControl({}) for a loopback server without authentication). */
  access: AccessControl;
  bus: EventBusV1;
  /** Where runs' spans are kept (`/v1/runs/{id}/trace`); absent: no run has a trace here. */
  spans?: Pick<SpanStoreV1, 'trace'>;
  /** The upstream MCP servers' tools (`/v1/tools`); absent when none is configured. */
  upstream?: Pick<UpstreamToolsV1, 'servers' | 'tools'>;
  /** The local runner; absent when runs execute on remote workers. */
  runner?: Pick<RunnerV1, 'stats'>;
  /** The store, the bus and the work queue as readiness reports them (default: the store and bus are assumed up). */
  dependencies?: () => Promise<DependencyState[]>;
  metrics: ServiceMetrics;
  /** The service's logger; each request's lines carry its request id. */
  logger: Logger & { child?(bindings: Record<string, unknown>): Logger };
  /** Host header values the service answers to (DNS-rebinding protection). */
  allowedHosts: () => ReadonlySet<string>;
  /** Folder of the built web UI, served at /. */
  uiDir?: string;
  /** The URL clients reach this server at (`--public-url`), for the resource it names in its metadata. */
  publicUrl?: string;
  /** Largest request body accepted, in bytes (executions may carry a WASI module). */
  maxBodyBytes?: number;
  /** SSE timing, injectable for tests. */
  sse?: { heartbeatMs?: number; retryMs?: number };
  /** Extra routes mounted before the catch-all (the MCP endpoint). */
  mount?: (app: OpenAPIHono<EdgeEnv>) => void;
  /** The model a task gets when it names none; without one, /openapi.json marks `model` required. */
  defaultModel?: string;
  /** Context for tasks submitted over HTTP (none today; MCP passes sampling). */
  taskContext?: TaskContext;
  /** The model gateway behind `POST /v1/chat/completions`; absent: that endpoint has no model to ask. */
  models?: ChatCompletionModels;
}
