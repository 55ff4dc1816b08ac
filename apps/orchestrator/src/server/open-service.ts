/**
 * @module open-service
 * The composition root every way of running UMCA shares (`umca serve`, `umca mcp`, `umca run`):
 * the store and the bus (open-backends.ts: embedded by default, PostgreSQL and RocketMQ scaled
 * out), the runner with its lanes, or, with remote workers, the work queue instead; the model
 * gateway; recovery of runs a previous process left unfinished (embedded store only: a shared
 * store's unfinished runs belong to live workers); and the run service over them. Model settings
 * are checked first (ConfigError names the problem).
 */
import { join } from 'node:path';
import type {
  EventBusV1,
  Logger,
  ModelGatewayFactoryV1,
  RunnerV1,
  StoreV1,
  UpstreamServer,
  UpstreamToolsV1,
  WorkQueueV1,
} from '@umca/contracts';
import { openRocketMqWorkQueue, parseRocketMqAddress } from '@umca/events';
import { createModelGateway } from '@umca/models';
import { createRunner, stderrLogger } from '@umca/runner';
import {
  createRunService,
  createSessionService,
  type ModelSettings,
  openRemoteRuns,
  openSessionSnapshotFiles,
  type RemoteRuns,
  type RunService,
  type RunServiceOptions,
  recoverInterruptedRuns,
  type SessionService,
} from '@umca/runs';
import { openUpstreamTools } from '@umca/upstream-tools';
import type { DependencyState } from '../app/app-deps.js';
import { checkModelSettings } from '../config/check-model-settings.js';
import { type OpenTracing, openTracing } from '../tracing/open-tracing.js';
import { resolveTracing, type TraceSettings } from '../tracing/trace-settings.js';
import { openBackends } from './open-backends.js';

export interface ServiceSettings extends TraceSettings {
  dataDir: string;
  /** `embedded` (default) or a postgres:// URL. */
  store?: string;
  /** `embedded` (default) or a rocketmq:// URL. */
  bus?: string;
  /** `remote`: executions go to `umca worker`s through the bus; this server starts no runner. */
  workers?: 'local' | 'remote';
  /** With remote workers: runs that may wait before new ones are refused. */
  maxQueued?: number;
  concurrency?: number;
  allowReducedIsolation?: boolean;
  /** Offer the container lane (see RunnerOptions.containerLane). */
  containerLane?: boolean;
  wheelhouse?: string;
  model?: string;
  fallbackModels?: readonly string[];
  /** Upstream MCP servers whose tools agents and programs may call (checked by the configuration). */
  upstreamServers?: readonly UpstreamServer[];
  /** Upstream tool calls one run may make (default 50). */
  toolCallsPerRun?: number;
}

export interface Service {
  readonly store: StoreV1;
  readonly bus: EventBusV1;
  /** Absent when runs execute on remote workers. */
  readonly runner?: RunnerV1;
  readonly runs: RunService;
  /** Sessions; absent when runs execute on remote workers (a session is a sandbox of this server's). */
  readonly sessions?: SessionService;
  /** Where spans go, and how many went. */
  readonly tracing: OpenTracing;
  /** The upstream MCP servers' tools; absent when none is configured. */
  readonly upstream?: UpstreamToolsV1;
  /** The model gateway tasks use, and the default model and fallbacks (for `POST /v1/chat/completions` too). */
  readonly models: ModelSettings;
  /** The store, the bus and (with remote workers) the work queue, as readiness reports them. */
  dependencies(): Promise<DependencyState[]>;
  /** Ends runs in progress (recorded as cancelled), then closes the runner (unless it was given) and the store. */
  close(): Promise<void>;
}

export interface OpenServiceOptions {
  logger?: Logger;
  /** A runner to use instead of starting one (tests, embedders); it is not closed with the service. */
  runner?: RunnerV1;
  onRunEnded?: RunServiceOptions['onRunEnded'];
  onPublishFailed?: RunServiceOptions['onPublishFailed'];
  /** Where model providers' addresses and keys are read (default process.env). */
  modelEnv?: NodeJS.ProcessEnv;
  /** Where OpenTelemetry's OTEL_* variables are read (default process.env). */
  otelEnv?: NodeJS.ProcessEnv;
  /** How often span batches go out (default 1 s). */
  traceDelayMs?: number;
  /**
   * End runs a stopped process left unfinished (default true). False for a process that opens a
   * data directory a running `umca serve` may use too (`umca eval run`): its runs are not ours.
   */
  recoverInterrupted?: boolean;
}

export async function openService(settings: ServiceSettings, options: OpenServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? stderrLogger;
  checkModelSettings(settings, options.modelEnv);
  const backends = await openBackends(settings, logger);
  const { store, bus } = backends;
  let runner: RunnerV1 | undefined;
  let queue: WorkQueueV1 | undefined;
  let remote: RemoteRuns | undefined;
  try {
    if (!backends.shared && options.recoverInterrupted !== false) {
      const recovered = await recoverInterruptedRuns(store, bus);
      if (recovered > 0) logger.warn(`${recovered} run(s) left unfinished by a previous process were recorded as cancelled`);
    }
    if (settings.workers === 'remote') {
      queue = await openRocketMqWorkQueue({ endpoints: parseRocketMqAddress(settings.bus ?? ''), logger });
      remote = await openRemoteRuns(
        { store, bus, logger, now: () => new Date() },
        { queue, ...(settings.maxQueued ? { maxQueued: settings.maxQueued } : {}) },
      );
    } else {
      runner =
        options.runner ??
        (await createRunner({
          logger,
          ...(settings.concurrency ? { concurrency: settings.concurrency } : {}),
          ...(settings.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
          ...(settings.containerLane ? { containerLane: true } : {}),
          ...(settings.wheelhouse ? { wheelhouseDir: settings.wheelhouse } : {}),
        }));
    }
  } catch (error) {
    await remote?.close();
    await queue?.close().catch(() => {});
    await backends.close();
    throw error;
  }
  // Connected in the background: a server that is down does not stop this one (readiness says so).
  const upstream = settings.upstreamServers?.length ? openUpstreamTools({ servers: settings.upstreamServers, logger }) : undefined;
  const tracing = openTracing({
    settings: resolveTracing(settings, options.otelEnv),
    spans: store.spans,
    logger,
    serviceName: 'umca',
    ...(options.traceDelayMs ? { scheduledDelayMillis: options.traceDelayMs } : {}),
  });
  const models: ModelSettings = {
    createGateway: ({ contextModels }: Parameters<ModelGatewayFactoryV1>[0]) =>
      createModelGateway({ ...(options.modelEnv ? { env: options.modelEnv } : {}), ...(contextModels ? { contextModels } : {}) }),
    ...(settings.model ? { defaultModel: settings.model } : {}),
    ...(settings.fallbackModels?.length ? { fallbackModels: settings.fallbackModels } : {}),
  };
  const runs = createRunService({
    tracing: tracing.tracing,
    ...(runner ? { runner } : {}),
    ...(remote ? { remote } : {}),
    store,
    bus,
    logger,
    ...(options.onRunEnded ? { onRunEnded: options.onRunEnded } : {}),
    ...(options.onPublishFailed ? { onPublishFailed: options.onPublishFailed } : {}),
    ...(upstream ? { upstreamTools: upstream } : {}),
    ...(settings.toolCallsPerRun ? { toolCallsPerRun: settings.toolCallsPerRun } : {}),
    models,
  });
  // Paused sessions wait in the data folder, sealed with the server's key (docs/sessions.md).
  const sessions = runner
    ? createSessionService({ runner, runs, logger, snapshots: openSessionSnapshotFiles({ dir: join(settings.dataDir, 'sessions') }) })
    : undefined;
  const restored = await sessions?.restore();
  if (restored) logger.info(`${restored} paused session(s) kept by the last run of the server wait for their next run`);
  return {
    store,
    bus,
    models,
    ...(runner ? { runner } : {}),
    runs,
    ...(sessions ? { sessions } : {}),
    tracing,
    ...(upstream ? { upstream } : {}),
    async dependencies() {
      const states = [
        ...(await backends.dependencies()),
        ...(upstream?.servers() ?? []).map(
          (server): DependencyState => ({
            name: 'mcp server',
            kind: 'mcp',
            server: server.name,
            status: server.status === 'up' ? 'up' : 'down',
            ...(server.status === 'up' ? {} : { detail: server.detail ?? 'connecting' }),
          }),
        ),
      ];
      if (!remote) return states;
      const unsent = remote.unsent();
      return [
        ...states,
        unsent > 0
          ? {
              name: 'work queue',
              kind: 'rocketmq',
              status: 'down',
              detail: `${unsent} run(s) wait to be sent to the workers; the broker does not take them`,
            }
          : { name: 'work queue', kind: 'rocketmq', status: 'up' },
      ];
    },
    async close() {
      await sessions?.shutdown();
      await runs.shutdown();
      await tracing.shutdown();
      await upstream?.close();
      if (runner && !options.runner) await runner.close();
      await remote?.close();
      await queue?.close().catch(() => {});
      await backends.close();
    },
  };
}
