/**
 * @module open-service
 * The parts every way of running UMCA shares (`umca serve`, `umca mcp`, `umca run`): the store in
 * the data directory, the bus over it, recovery of runs a previous process left unfinished, the
 * runner and the run service. Model settings are checked first (ConfigError names the problem).
 */
import { createEmbeddedBus, type EventBus } from '@umca/events';
import { createRunner, type Logger, type Runner, stderrLogger } from '@umca/runner';
import { openSqliteStore, type Store } from '@umca/store';
import { checkModelSettings } from '../config/check-model-settings.js';
import { createRunService, endInterruptedRuns, type RunService, type RunServiceOptions } from '../runs/run-service.js';

export interface ServiceSettings {
  dataDir: string;
  concurrency?: number;
  allowReducedIsolation?: boolean;
  wheelhouse?: string;
  model?: string;
  fallbackModels?: readonly string[];
}

export interface Service {
  readonly store: Store;
  readonly bus: EventBus;
  readonly runner: Runner;
  readonly runs: RunService;
  /** Ends runs in progress (recorded as cancelled), then closes the runner (unless it was given) and the store. */
  close(): Promise<void>;
}

export async function openService(
  settings: ServiceSettings,
  options: {
    logger?: Logger;
    runner?: Runner;
    onRunEnded?: RunServiceOptions['onRunEnded'];
    /** Where model providers' addresses and keys are read (default process.env). */
    modelEnv?: NodeJS.ProcessEnv;
  } = {},
): Promise<Service> {
  const logger = options.logger ?? stderrLogger;
  checkModelSettings(settings, options.modelEnv);
  const store = openSqliteStore({ dataDir: settings.dataDir });
  const bus = createEmbeddedBus({ log: store.events });
  const recovered = await endInterruptedRuns(store, bus);
  if (recovered > 0) logger.warn(`${recovered} run(s) left unfinished by a previous process were recorded as cancelled`);
  let runner: Runner;
  try {
    runner =
      options.runner ??
      (await createRunner({
        logger,
        ...(settings.concurrency ? { concurrency: settings.concurrency } : {}),
        ...(settings.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
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
    ...(options.onRunEnded ? { onRunEnded: options.onRunEnded } : {}),
    models: {
      ...(options.modelEnv ? { env: options.modelEnv } : {}),
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
