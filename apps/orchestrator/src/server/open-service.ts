/**
 * @module open-service
 * The composition root every way of running UMCA shares (`umca serve`, `umca mcp`, `umca run`):
 * the embedded implementations of the ports (the SQLite store in the data directory, the bus over
 * it, the runner with its wasm lane, the model gateway), recovery of runs a previous process left
 * unfinished, and the run service over them. Model settings are checked first (ConfigError names
 * the problem).
 */
import type { EventBusV1, Logger, RunnerV1, StoreV1 } from '@umca/contracts';
import { createEmbeddedBus } from '@umca/events';
import { createModelGateway } from '@umca/models';
import { createRunner, stderrLogger } from '@umca/runner';
import { createRunService, type RunService, type RunServiceOptions, recoverInterruptedRuns } from '@umca/runs';
import { openSqliteStore } from '@umca/store';
import { checkModelSettings } from '../config/check-model-settings.js';

export interface ServiceSettings {
  dataDir: string;
  concurrency?: number;
  allowReducedIsolation?: boolean;
  /** Offer the container lane (see RunnerOptions.containerLane). */
  containerLane?: boolean;
  wheelhouse?: string;
  model?: string;
  fallbackModels?: readonly string[];
}

export interface Service {
  readonly store: StoreV1;
  readonly bus: EventBusV1;
  readonly runner: RunnerV1;
  readonly runs: RunService;
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
}

export async function openService(settings: ServiceSettings, options: OpenServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? stderrLogger;
  checkModelSettings(settings, options.modelEnv);
  const store = openSqliteStore({ dataDir: settings.dataDir });
  const bus = createEmbeddedBus({ log: store.events });
  const recovered = await recoverInterruptedRuns(store, bus);
  if (recovered > 0) logger.warn(`${recovered} run(s) left unfinished by a previous process were recorded as cancelled`);
  let runner: RunnerV1;
  try {
    runner =
      options.runner ??
      (await createRunner({
        logger,
        ...(settings.concurrency ? { concurrency: settings.concurrency } : {}),
        ...(settings.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
        ...(settings.containerLane ? { containerLane: true } : {}),
        ...(settings.wheelhouse ? { wheelhouseDir: settings.wheelhouse } : {}),
      }));
  } catch (error) {
    await store.close();
    throw error;
  }
  const runs = createRunService({
    runner,
    store,
    bus,
    logger,
    ...(options.onRunEnded ? { onRunEnded: options.onRunEnded } : {}),
    ...(options.onPublishFailed ? { onPublishFailed: options.onPublishFailed } : {}),
    models: {
      createGateway: ({ contextModels }) =>
        createModelGateway({ ...(options.modelEnv ? { env: options.modelEnv } : {}), ...(contextModels ? { contextModels } : {}) }),
      ...(settings.model ? { defaultModel: settings.model } : {}),
      ...(settings.fallbackModels?.length ? { fallbackModels: settings.fallbackModels } : {}),
    },
  });
  return {
    store,
    bus,
    runner,
    runs,
    async close() {
      await runs.shutdown();
      if (!options.runner) await runner.close();
      await store.close();
    },
  };
}
