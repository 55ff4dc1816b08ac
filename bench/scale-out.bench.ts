/**
 * Scale-out benchmark: the embedded setup (one `umca serve`, SQLite, its own sandboxes) beside the
 * scaled-out one (two `umca serve --workers remote` on PostgreSQL and RocketMQ 5, with one and then
 * two `umca worker`s), every part a real process on this machine, in one run:
 *  - runs per second end to end (submitted with Prefer: respond-async, 30 at a time, until every
 *    one has ended on the event stream);
 *  - the latency from an event's publication to its arrival over SSE, 100 subscribers (on the
 *    embedded server; 50 on each replica when scaled out);
 *  - one run's latency from request to result (the remote path's cost over the embedded one).
 * Medians and p99; ratios between the setups. Written as a vitest file only to reuse the tests'
 * server starters (TypeScript); it asserts nothing.
 *
 *   npm run bench:scale-out          (UMCA_BENCH_QUICK=1 for fewer runs; the figures are in docs/scale-out.md)
 */
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createClient, type UmcaClient } from '@umca/client';
import { it } from 'vitest';
import { startPostgres } from '../test/support/postgres.js';
import { startRocketMq } from '../test/support/rocketmq.js';
import { startUmcaServer, startUmcaWorker, type UmcaProcess } from '../test/support/umca-process.js';

const quick = process.env.UMCA_BENCH_QUICK === '1';
const RUNS = quick ? 60 : 200;
const LATENCY_RUNS = quick ? 20 : 60;
const SUBSCRIBERS = 100;
const WORKER_SLOTS = 2;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const line = (label: string, samples: number[], unit = 'ms') =>
  console.log(
    `${label.padEnd(64)} p50 ${percentile(samples, 50).toFixed(1).padStart(7)} ${unit}   p99 ${percentile(samples, 99).toFixed(1).padStart(7)} ${unit}   (n=${samples.length})`,
  );

/** Submits `count` runs, `parallel` waiting at a time, and waits until all have ended: runs per second. */
async function throughput(clients: UmcaClient[], count: number, parallel = 30): Promise<number> {
  const from = (await clients[0]!.readiness()).lastEventOffset;
  const submitted = new Set<string>();
  const ended = new Set<string>();
  const controller = new AbortController();
  const started = performance.now();
  let allSubmitted = false;
  let resolveDone = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const following = (async () => {
    try {
      for await (const { event } of clients[0]!.events({ after: from, signal: controller.signal })) {
        if (event.type !== 'dev.umca.run.ended.v1') continue;
        ended.add(event.subject);
        if (allSubmitted && [...submitted].every((runId) => ended.has(runId))) resolveDone();
      }
    } catch {
      // aborted
    }
  })();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        const client = clients[index % clients.length]!;
        for (;;) {
          try {
            submitted.add((await client.submitExecution({ language: 'python', code: `print(${index})` })).runId);
            break;
          } catch (error) {
            if ((error as { status?: number }).status !== 429) throw error;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      }
    }),
  );
  allSubmitted = true;
  if ([...submitted].every((runId) => ended.has(runId))) resolveDone();
  await done;
  const seconds = (performance.now() - started) / 1000;
  controller.abort();
  await following;
  return count / seconds;
}

/** 100 subscribers spread over `clients`; each run's events timed from their `time` to arrival. */
async function publishToSse(clients: UmcaClient[], submitTo: UmcaClient, runs: number): Promise<number[]> {
  const from = (await submitTo.readiness()).lastEventOffset;
  const controller = new AbortController();
  const latencies: number[] = [];
  const runIds = new Set<string>();
  const endedBySubscriber = Array.from({ length: SUBSCRIBERS }, () => new Set<string>());
  const subscribers = endedBySubscriber.map(async (ended, index) => {
    try {
      for await (const { event } of clients[index % clients.length]!.events({ after: from, signal: controller.signal })) {
        latencies.push(Date.now() - Date.parse(event.time));
        if (event.type === 'dev.umca.run.ended.v1') ended.add(event.subject);
      }
    } catch {
      // aborted
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // every stream open
  for (let index = 0; index < runs; index++) runIds.add((await submitTo.submitExecution({ language: 'python', code: 'print(1)' })).runId);
  while (!endedBySubscriber.every((ended) => [...runIds].every((runId) => ended.has(runId))))
    await new Promise((resolve) => setTimeout(resolve, 100));
  controller.abort();
  await Promise.all(subscribers);
  return latencies;
}

async function requestToResult(client: UmcaClient, count: number): Promise<number[]> {
  for (let index = 0; index < 5; index++) await client.runCode('print(1)');
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await client.runCode('print(1)');
    samples.push(performance.now() - started);
  }
  return samples;
}

it('measures the embedded and the scaled-out setups side by side', { timeout: 3_600_000 }, async () => {
  console.log(`UMCA scale-out benchmark: ${cpus().length} CPUs, Node ${process.version}${quick ? ', quick' : ''}\n`);
  const processes: UmcaProcess[] = [];
  const [postgres, rocketmq] = await Promise.all([startPostgres(), startRocketMq()]);
  try {
    await promisify(execFile)('sh', [
      join(resolve(import.meta.dirname, '..'), 'scripts/rocketmq-topics.sh'),
      '--namesrv',
      rocketmq.namesrvAddr,
    ]);
    const store = ['--store', await postgres.createDatabase('umca'), '--bus', `rocketmq://${rocketmq.endpoints}`];

    const embedded = await startUmcaServer(['--concurrency', String(WORKER_SLOTS)]);
    processes.push(embedded);
    const local = createClient({ baseUrl: embedded.url });
    const embeddedRate = await throughput([local], RUNS);
    const embeddedSse = await publishToSse([local], local, quick ? 5 : 20);
    const embeddedLatency = await requestToResult(local, LATENCY_RUNS);
    await embedded.stop();

    const replicas = [await startUmcaServer([...store, '--workers', 'remote']), await startUmcaServer([...store, '--workers', 'remote'])];
    processes.push(...replicas);
    const [a, b] = replicas.map((replica) => createClient({ baseUrl: replica.url })) as [UmcaClient, UmcaClient];
    processes.push(await startUmcaWorker([...store, '--concurrency', String(WORKER_SLOTS)]));
    const oneWorkerRate = await throughput([a, b], RUNS);
    const remoteLatency = await requestToResult(a, LATENCY_RUNS);
    processes.push(await startUmcaWorker([...store, '--concurrency', String(WORKER_SLOTS)]));
    const twoWorkerRate = await throughput([a, b], RUNS);
    const remoteSse = await publishToSse([a, b], a, quick ? 5 : 20);

    console.log(`runs per second, ${RUNS} runs of print(n), 30 submitted at a time:`);
    console.log(`  embedded (one server, ${WORKER_SLOTS} sandboxes)                        ${embeddedRate.toFixed(1)} runs/s`);
    console.log(
      `  scaled out, 2 servers + 1 worker (${WORKER_SLOTS} slots)                 ${oneWorkerRate.toFixed(1)} runs/s   (${(oneWorkerRate / embeddedRate).toFixed(2)}x embedded)`,
    );
    console.log(
      `  scaled out, 2 servers + 2 workers (${WORKER_SLOTS} slots each)           ${twoWorkerRate.toFixed(1)} runs/s   (${(twoWorkerRate / oneWorkerRate).toFixed(2)}x one worker)`,
    );
    console.log(`\npublish to SSE delivery, ${SUBSCRIBERS} subscribers (event time to arrival, ms resolution):`);
    line('  embedded: 100 on one server', embeddedSse);
    line('  scaled out: 50 on each of 2 servers', remoteSse);
    console.log(`\none run, request to result (runCode('print(1)'), one at a time):`);
    line('  embedded', embeddedLatency);
    line('  scaled out (server -> RocketMQ -> worker -> PostgreSQL -> server)', remoteLatency);
    console.log(
      `  added by the remote path: ${(percentile(remoteLatency, 50) - percentile(embeddedLatency, 50)).toFixed(1)} ms at p50 (${(percentile(remoteLatency, 50) / percentile(embeddedLatency, 50)).toFixed(2)}x)`,
    );
  } finally {
    for (const process of processes.reverse()) await process.stop().catch(() => {});
    await Promise.allSettled([rocketmq.close(), postgres.close()]);
  }
});
