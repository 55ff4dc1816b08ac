/**
 * Tracing benchmark: what spans cost a run. Three services in one process share one runner (the
 * same warm sandboxes), each on its own SQLite data directory: tracing off, on with the embedded
 * store (the default), and on with the store plus OTLP/HTTP protobuf export to a local sink that
 * accepts and discards (so the figure is UMCA's own cost: building, batching, encoding and
 * sending spans, not a collector's). Measured side by side, interleaved in rounds so drift falls
 * on all three alike:
 *  - a trivial run (`print(1)`) from submission to its recorded result (2 spans);
 *  - a one-round agent task against the scripted OpenAI-compatible TEST DOUBLE (about 8 spans).
 * Medians, p99 and the ratio of medians to tracing off. Written as a vitest file only to reuse
 * the tests' TypeScript support; it asserts nothing.
 *
 *   npm run bench:tracing          (UMCA_BENCH_QUICK=1 for fewer runs; figures in docs/tracing.md)
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptExecutionRequest, acceptTaskRequest } from '@umca/policy';
import { createRunner } from '@umca/runner';
import { it } from 'vitest';
import { openService, type Service } from '../apps/orchestrator/src/index.js';
import { ADD_GOOD, ADD_PLAN, scriptAgent } from '../packages/models/test/support/scripted-agent.js';
import { startScriptedOpenAiServer } from '../packages/models/test/support/scripted-openai-server.js';

const quick = process.env.UMCA_BENCH_QUICK === '1';
const ROUNDS = quick ? 5 : 12;
const RUNS_PER_ROUND = 25;
const TASKS_PER_ROUND = quick ? 4 : 10;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const quiet = { info() {}, warn: console.warn, error: console.error };

it('measures what tracing costs a run', async () => {
  let sinkRequests = 0;
  let sinkBytes = 0;
  const sink = createServer((request, response) => {
    sinkRequests++;
    request.on('data', (chunk: Buffer) => {
      sinkBytes += chunk.length;
    });
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-protobuf' });
      response.end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const model = await startScriptedOpenAiServer();
  scriptAgent(model, ADD_PLAN, [ADD_GOOD]);
  const runner = await createRunner({ logger: quiet });
  const modelEnv = { UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl };
  const open = (settings: Record<string, unknown>) =>
    openService(
      { dataDir: mkdtempSync(join(tmpdir(), 'umca-bench-tracing-')), ...settings },
      { logger: quiet, runner, modelEnv, otelEnv: {} },
    );
  const services: Array<[string, Service]> = [
    ['tracing off', await open({ tracing: 'off' })],
    ['tracing on, embedded store (default)', await open({})],
    ['tracing on, store + OTLP export', await open({ otlpEndpoint: sinkUrl })],
  ];
  const runs = new Map<string, number[]>(services.map(([name]) => [name, []]));
  const tasks = new Map<string, number[]>(services.map(([name]) => [name, []]));
  const timed = async (into: number[], work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    into.push(performance.now() - started);
  };
  const trivial = (service: Service) => async () =>
    (await service.runs.submit(acceptExecutionRequest({ language: 'python', code: 'print(1)' }))).done;
  const oneRound = (service: Service) => async () =>
    (await service.runs.submitTask(acceptTaskRequest({ task: 'write add(a, b)', model: 'scripted:coder', maxIterations: 1 }))).done;

  // Warm-up: every service, both kinds, before anything is measured.
  for (const [, service] of services) {
    for (let index = 0; index < 10; index++) await trivial(service)();
    for (let index = 0; index < 3; index++) await oneRound(service)();
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, service] of round % 2 ? [...services].reverse() : services) {
      for (let index = 0; index < RUNS_PER_ROUND; index++) await timed(runs.get(name) as number[], trivial(service));
      for (let index = 0; index < TASKS_PER_ROUND; index++) await timed(tasks.get(name) as number[], oneRound(service));
    }
  }
  for (const [, service] of services) await service.tracing.flush();

  console.log(`\nUMCA tracing benchmark: ${cpus().length} CPUs, Node ${process.version}${quick ? ', quick' : ''}`);
  for (const [label, samples] of [
    ['a trivial run (print(1)), submission to result', runs],
    ['a one-round agent task (scripted model), submission to result', tasks],
  ] as const) {
    console.log(`\n${label}`);
    const base = percentile(samples.get('tracing off') as number[], 50);
    for (const [name, values] of samples) {
      const p50 = percentile(values, 50);
      console.log(
        `  ${name.padEnd(40)} p50 ${p50.toFixed(2).padStart(8)} ms   p99 ${percentile(values, 99).toFixed(2).padStart(8)} ms   ×${(p50 / base).toFixed(3)}   (n=${values.length})`,
      );
    }
  }
  const [, , otlp] = services;
  console.log(`\nspans: ${JSON.stringify(Object.fromEntries(services.map(([name, service]) => [name, service.tracing.counts()])))}`);
  console.log(`OTLP sink: ${sinkRequests} requests, ${(sinkBytes / 1024).toFixed(0)} KiB (${otlp?.[0]})`);
  for (const [, service] of services) await service.close();
  await runner.close();
  await model.close();
  sink.close();
});
