/**
 * @module start-worker
 * `umca worker`: a runner worker for servers started with `--workers remote`. It opens the shared
 * store and bus, its own runner (the same sandboxes and lanes as a server's), and takes executions
 * from the RocketMQ work topic, one per free slot, until it is told to stop; then it finishes the
 * runs it has, records them, and closes.
 */

import { availableParallelism } from 'node:os';
import type { Logger, RunnerV1 } from '@umca/contracts';
import { openRocketMqWorkSource, parseRocketMqAddress } from '@umca/events';
import { createRunner } from '@umca/runner';
import { type RunWorker, type RunWorkerStats, startRunWorker } from '@umca/runs';
import { checkScaleOut } from '../config/check-scale-out.js';
import { ConfigError } from '../config/server-config.js';
import { openTracing } from '../tracing/open-tracing.js';
import { resolveTracing, type TraceSettings } from '../tracing/trace-settings.js';
import { openBackends } from './open-backends.js';

export interface WorkerSettings extends TraceSettings {
  readonly dataDir: string;
  readonly store: string;
  readonly bus: string;
  /** Runs at once (default: the runner's concurrency, the CPUs). */
  readonly concurrency?: number;
  readonly allowReducedIsolation?: boolean;
  readonly containerLane?: boolean;
  readonly wheelhouse?: string;
  /** How long a claim holds without renewal (default 30 s). */
  readonly leaseMs?: number;
}

export interface RunningWorker {
  stats(): RunWorkerStats;
  /** Stops taking work, finishes and records the runs in progress, closes everything. */
  close(): Promise<void>;
}

export async function startWorker(settings: WorkerSettings, options: { logger: Logger; runner?: RunnerV1 }): Promise<RunningWorker> {
  const problems = checkScaleOut({ store: settings.store, bus: settings.bus }, {}, 'worker');
  if (problems.length > 0) throw new ConfigError(`the worker configuration is invalid:\n  ${problems.join('\n  ')}`);
  const { logger } = options;
  const backends = await openBackends(settings, logger);
  // The worker's spans (each execution) join the trace of the server that sent the run.
  const tracing = openTracing({ settings: resolveTracing(settings), spans: backends.store.spans, logger, serviceName: 'umca-worker' });
  let runner: RunnerV1 | undefined;
  let worker: RunWorker | undefined;
  let source: Awaited<ReturnType<typeof openRocketMqWorkSource>> | undefined;
  try {
    const concurrency = settings.concurrency ?? availableParallelism();
    runner =
      options.runner ??
      (await createRunner({
        logger,
        concurrency,
        ...(settings.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
        ...(settings.containerLane ? { containerLane: true } : {}),
        ...(settings.wheelhouse ? { wheelhouseDir: settings.wheelhouse } : {}),
      }));
    source = await openRocketMqWorkSource({ endpoints: parseRocketMqAddress(settings.bus), logger });
    worker = startRunWorker({
      runner,
      store: backends.store,
      bus: backends.bus,
      source,
      logger,
      concurrency,
      tracing: tracing.tracing,
      ...(settings.leaseMs ? { leaseMs: settings.leaseMs } : {}),
    });
  } catch (error) {
    await source?.close().catch(() => {});
    if (runner && !options.runner) await runner.close();
    await tracing.shutdown();
    await backends.close();
    throw error;
  }
  const running = worker;
  let closing: Promise<void> | undefined;
  return {
    stats: () => running.stats(),
    close() {
      closing ??= (async () => {
        await running.close();
        await source?.close().catch(() => {});
        if (runner && !options.runner) await runner.close();
        await tracing.shutdown();
        await backends.close();
      })();
      return closing;
    },
  };
}
