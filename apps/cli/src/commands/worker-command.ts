/**
 * @module worker-command
 * `umca worker`: runs executions for servers started with `--workers remote`, taken from
 * RocketMQ and recorded in PostgreSQL (docs/scale-out.md). Its settings come from the same flags,
 * environment and config file as `umca serve`'s, checked before anything is opened. SIGINT or
 * SIGTERM: it stops taking work, finishes the runs it has and records them, then exits.
 */
import { ConfigError, createLogger, resolveServerConfigWithSources, startWorker } from '@umca/orchestrator';
import { describePostgresUrl } from '@umca/store';
import type { Command } from 'commander';

interface WorkerFlags {
  store?: string;
  bus?: string;
  dataDir?: string;
  config?: string;
  concurrency?: string;
  allowReducedIsolation?: boolean;
  containerLane?: boolean;
  wheelhouse?: string;
  logLevel?: string;
  logFormat?: string;
  leaseSeconds?: string;
  tracing?: string;
  traceContent?: boolean;
  otlpEndpoint?: string;
  traceProject?: string;
}

async function workerCommand(flags: WorkerFlags): Promise<number> {
  let config: ReturnType<typeof resolveServerConfigWithSources>['config'];
  try {
    ({ config } = resolveServerConfigWithSources({
      ...(flags.config ? { configPath: flags.config } : {}),
      flags: {
        store: flags.store,
        bus: flags.bus,
        dataDir: flags.dataDir,
        concurrency: flags.concurrency,
        allowReducedIsolation: flags.allowReducedIsolation,
        containerLane: flags.containerLane,
        wheelhouse: flags.wheelhouse,
        logLevel: flags.logLevel,
        logFormat: flags.logFormat,
        tracing: flags.tracing,
        traceContent: flags.traceContent,
        otlpEndpoint: flags.otlpEndpoint,
        traceProject: flags.traceProject,
      },
    }));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`umca: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const lease = flags.leaseSeconds ?? process.env.UMCA_WORKER_LEASE_SECONDS;
  const leaseSeconds = lease === undefined ? 30 : Number(lease);
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1 || leaseSeconds > 3600) {
    const where =
      flags.leaseSeconds === undefined ? `UMCA_WORKER_LEASE_SECONDS=${JSON.stringify(lease)}` : `--lease-seconds ${JSON.stringify(lease)}`;
    process.stderr.write(`umca: ${where}: must be a whole number of seconds from 1 to 3600\n`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel, ...(config.logFormat ? { format: config.logFormat } : {}) });
  let worker: Awaited<ReturnType<typeof startWorker>>;
  try {
    worker = await startWorker(
      {
        dataDir: config.dataDir,
        store: config.store,
        bus: config.bus,
        ...(config.concurrency ? { concurrency: config.concurrency } : {}),
        ...(config.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
        ...(config.containerLane ? { containerLane: true } : {}),
        ...(config.wheelhouse ? { wheelhouse: config.wheelhouse } : {}),
        leaseMs: leaseSeconds * 1000,
        tracing: config.tracing,
        traceContent: config.traceContent,
        traceProject: config.traceProject,
        ...(config.otlpEndpoint ? { otlpEndpoint: config.otlpEndpoint } : {}),
      },
      { logger },
    );
  } catch (error) {
    process.stderr.write(`umca: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 2 : 3;
  }
  process.stderr.write(
    `umca: worker taking runs from ${config.bus}, recording them in ${describePostgresUrl(config.store)}; Ctrl-C stops\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.stderr.write('umca: stopping; the runs in progress are finished and recorded first\n');
      void worker.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const stats = worker.stats();
  process.stderr.write(
    `umca: worker stopped after ${stats.completed} run(s) (${stats.takenOver} taken over, ${stats.duplicates} duplicate deliveries)\n`,
  );
  return 0;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run executions for servers started with --workers remote (RocketMQ in, PostgreSQL out); docs/scale-out.md')
    .option('--store <url>', "the servers' PostgreSQL, postgres://user:password@host:5432/db (env UMCA_STORE)")
    .option('--bus <url>', "the RocketMQ proxy's gRPC address, rocketmq://host:8081 (env UMCA_BUS)")
    .option('--concurrency <n>', 'runs at once: one message taken per free slot (default: CPUs; env UMCA_RUNNER_CONCURRENCY)')
    .option('--data-dir <dir>', 'where the runner keeps its caches (default .umca; env UMCA_DATA_DIR)')
    .option('--config <file>', 'a JSON config file (default: umca.config.json if present)')
    .option('--wheelhouse <dir>', 'folder of pure-Python wheels programs may import')
    .option('--allow-reduced-isolation', 'run even without the OS sandbox (bubblewrap); weaker isolation')
    .option('--container-lane', 'offer the container lane to runs whose callers may use it')
    .option('--tracing <on|off>', 'spans of each execution, in the trace of the server that sent it (default on; env UMCA_TRACING)')
    .option('--trace-content', 'record code and program output on spans (default off; env UMCA_TRACE_CONTENT=1)')
    .option(
      '--otlp-endpoint <url>',
      'also send spans over OTLP/HTTP to this collector (env UMCA_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT)',
    )
    .option('--trace-project <name>', 'the Phoenix project spans are filed under (default umca; env UMCA_TRACE_PROJECT)')
    .option(
      '--lease-seconds <n>',
      'how long a run stays with a worker that stopped answering before another takes it over (default 30; env UMCA_WORKER_LEASE_SECONDS)',
    )
    .option('--log-level <level>', 'debug, info (default), warn, error or silent (env UMCA_LOG_LEVEL)')
    .option('--log-format <format>', 'pretty (default on a terminal) or json (env UMCA_LOG_FORMAT)')
    .addHelpText(
      'after',
      '\nExit status: 0 once stopped and every run it took is recorded; 2 bad settings (nothing is opened); 3 it could not start.',
    )
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await workerCommand(flags);
    });
}
