/**
 * Scale-out, end to end, with real servers: one PostgreSQL (Debian's), one Apache RocketMQ 5 (name
 * server, broker and proxy from Maven Central), two `umca serve --workers remote` replicas and
 * `umca worker` processes, each a process of its own as an operator runs them. Runs submitted to
 * one replica are followed live on the other; a client moves between replicas with its last
 * offset and misses and repeats nothing; a worker killed mid-run loses nothing and its run ends
 * once; the broker stopped and started while runs come in loses and doubles nothing; PostgreSQL
 * stopped makes requests fail with a 503 that says so, and they work again once it is back.
 * Bounded by counts of events and runs, never by the wall clock.
 */

import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createClient, type UmcaClient } from '@umca/client';
import type { StoredEvent, UmcaEvent } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPostgres, startPostgres } from './support/postgres.js';
import { type RunningRocketMq, startRocketMq } from './support/rocketmq.js';
import { startUmcaServer, startUmcaWorker, type UmcaProcess } from './support/umca-process.js';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
let postgres: RunningPostgres;
let rocketmq: RunningRocketMq;
let storeUrl: string;
let busUrl: string;
const servers: UmcaProcess[] = [];
const workers: UmcaProcess[] = [];
let a: UmcaClient;
let b: UmcaClient;

const LEASE = ['--lease-seconds', '3'];

beforeAll(async () => {
  [postgres, rocketmq] = await Promise.all([
    startPostgres(),
    // Leases of 3 s need receives shorter than the proxy's default floor of 10 s.
    startRocketMq({ proxyConfig: { minInvisibleTimeMillsForRecv: 1000 } }),
  ]);
  // The topics and groups as an operator makes them (docs/scale-out.md).
  await run('sh', [join(ROOT, 'scripts/rocketmq-topics.sh'), '--namesrv', rocketmq.namesrvAddr]);
  storeUrl = await postgres.createDatabase('umca');
  busUrl = `rocketmq://${rocketmq.endpoints}`;
  const flags = ['--store', storeUrl, '--bus', busUrl];
  // The first replica migrates the new database; the second finds it current.
  servers.push(await startUmcaServer([...flags, '--workers', 'remote']));
  servers.push(await startUmcaServer([...flags, '--workers', 'remote']));
  workers.push(await startUmcaWorker([...flags, '--concurrency', '2', ...LEASE]));
  workers.push(await startUmcaWorker([...flags, '--concurrency', '2', ...LEASE]));
  a = createClient({ baseUrl: servers[0]?.url ?? '' });
  b = createClient({ baseUrl: servers[1]?.url ?? '' });
}, 300_000);

afterAll(async () => {
  for (const process of [...workers, ...servers]) await process.stop().catch(() => {});
  await Promise.allSettled([rocketmq?.close(), postgres?.close()]);
}, 120_000);

/** Every event of a run, read from a replica until its run.ended. */
async function eventsOf(client: UmcaClient, runId: string): Promise<UmcaEvent[]> {
  const events: UmcaEvent[] = [];
  for await (const { event } of client.followRun(runId)) events.push(event);
  return events;
}

const types = (events: UmcaEvent[]) => events.map((event) => event.type);

describe('two servers and remote workers on one PostgreSQL and one RocketMQ', () => {
  it('reports each dependency as up, and that runs execute on remote workers', async () => {
    const readiness = await a.readiness();
    expect(readiness.workers).toBe('remote');
    expect(readiness.dependencies).toEqual([
      { name: 'store', kind: 'postgres', status: 'up' },
      { name: 'bus', kind: 'rocketmq', status: 'up' },
      { name: 'work queue', kind: 'rocketmq', status: 'up' },
    ]);
  });

  it('runs code submitted to one server on a worker, followed live on the other', async () => {
    const accepted = await a.submitExecution({ language: 'python', code: 'for i in range(3): print("line", i)' });
    const onB = await eventsOf(b, accepted.runId);
    expect(types(onB)).toEqual(
      expect.arrayContaining([
        'dev.umca.run.created.v1',
        'dev.umca.run.started.v1',
        'dev.umca.output.appended.v1',
        'dev.umca.run.ended.v1',
      ]),
    );
    expect(onB[0]?.type).toBe('dev.umca.run.created.v1');
    expect(onB.at(-1)).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: 'ok' } });
    const stdout = onB.flatMap((event) => (event.type === 'dev.umca.output.appended.v1' ? [event.data.text] : [])).join('');
    expect(stdout).toBe('line 0\nline 1\nline 2\n');
    expect(await a.getRun(accepted.runId)).toMatchObject({ status: 'ok', result: { stdout } });
    // One trace across the processes: the server's run span, the worker's execution span under it,
    // and every event (the worker's too) carrying the run's trace context.
    const { traceId } = await a.getRun(accepted.runId);
    expect(new Set(onB.map((event) => event.traceparent?.split('-')[1]))).toEqual(new Set([traceId]));
    let spans: Awaited<ReturnType<typeof b.getRunTrace>>['spans'] = [];
    for (let poll = 0; poll < 300 && spans.length < 2; poll++) {
      spans = (await b.getRunTrace(accepted.runId)).spans;
      if (spans.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const root = spans.find((span) => span.name === 'run python');
    expect(spans.find((span) => span.name === 'execute_tool run_code')).toMatchObject({
      traceId,
      parentSpanId: root?.spanId,
      attributes: { 'umca.execution.status': 'ok' },
    });
  });

  it('lets a client move from one server to the other with its last offset: nothing missed, nothing repeated', async () => {
    const from = (await a.readiness()).lastEventOffset;
    const runs = await Promise.all(
      Array.from({ length: 4 }, (_, index) => a.submitExecution({ language: 'python', code: `print(${index})` })),
    );
    // A run may end within the first six events (a worker can finish one before the server has
    // created the others), so its end counts on either side.
    const ended = new Set<string>();
    const see = (stored: StoredEvent) => {
      if (stored.event.type === 'dev.umca.run.ended.v1') ended.add(stored.event.subject);
      return runs.every((run) => ended.has(run.runId));
    };
    const onA: StoredEvent[] = [];
    for await (const stored of a.events({ after: from })) {
      onA.push(stored);
      see(stored);
      if (onA.length === 6) break; // four runs make at least sixteen events
    }
    const onB: StoredEvent[] = [];
    for await (const stored of b.events({ after: onA.at(-1)?.offset ?? from })) {
      onB.push(stored);
      if (see(stored)) break;
    }
    const offsets = [...onA, ...onB].map((stored) => stored.offset);
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, index) => from + index + 1));
  });

  it('runs a job again on another worker when its worker is killed mid-run, and ends it once', async () => {
    const accepted = await a.submitExecution({
      language: 'python',
      code: 'import time\nprint("started", flush=True)\ntime.sleep(6)\nprint("finished")',
    });
    for await (const { event } of b.followRun(accepted.runId)) {
      if (event.type === 'dev.umca.output.appended.v1' && event.data.text.includes('started')) break;
    }
    // The worker that says it runs it is killed outright, as a crashed machine would be.
    const holder = workers.find((worker) => worker.log().includes(accepted.runId));
    expect(holder).toBeDefined();
    await holder?.kill();
    const events = await eventsOf(a, accepted.runId);
    expect(events.filter((event) => event.type === 'dev.umca.run.ended.v1')).toHaveLength(1);
    expect(events.find((event) => event.type === 'dev.umca.run.restarted.v1')).toMatchObject({ data: { attempt: 2 } });
    expect(events.at(-1)).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: 'ok' } });
    expect(await b.getRun(accepted.runId)).toMatchObject({ status: 'ok', result: { stdout: 'started\nfinished\n' } });
    // The runs that follow go to the worker that is left, and to one that joins.
    workers.splice(workers.indexOf(holder as UmcaProcess), 1);
    workers.push(await startUmcaWorker(['--store', storeUrl, '--bus', busUrl, '--concurrency', '2', ...LEASE]));
  });

  it('refuses a run with 429 once more wait than a server allows, and cancels running and waiting runs', async () => {
    const small = await startUmcaServer(['--store', storeUrl, '--bus', busUrl, '--workers', 'remote', '--max-queued', '2']);
    servers.push(small);
    const sleeper = { language: 'python' as const, code: 'import time\nprint("up", flush=True)\ntime.sleep(120)' };
    const from = (await a.readiness()).lastEventOffset;
    const runIds = (await Promise.all(Array.from({ length: 6 }, () => a.submitExecution(sleeper)))).map((run) => run.runId);
    // Two workers with two slots each: four run, two wait.
    const up = new Set<string>();
    for await (const { event } of a.events({ after: from })) {
      if (event.type === 'dev.umca.output.appended.v1' && runIds.includes(event.subject)) up.add(event.subject);
      if (up.size === 4) break;
    }
    expect((await a.listRuns({ status: 'queued' })).runs.map((run) => run.id).sort()).toEqual(runIds.filter((id) => !up.has(id)).sort());
    const refused = await fetch(`${small.url}/v1/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify(sleeper),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({
      code: 'busy',
      detail: expect.stringMatching(/2 runs are waiting \(the most this server lets wait is 2\)/),
    });
    for (const runId of runIds) expect(await b.cancelRun(runId)).toMatchObject({ status: 'cancelling' });
    for (const runId of runIds) {
      const events = await eventsOf(a, runId);
      expect(events.filter((event) => event.type === 'dev.umca.run.ended.v1')).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({ data: { status: 'cancelled' } });
    }
    expect((await a.listRuns({ status: 'queued' })).runs).toEqual([]);
  });

  it('loses and doubles nothing when the broker stops and starts while runs come in', async () => {
    const from = (await a.readiness()).lastEventOffset;
    const submitted: string[] = [];
    for (let index = 0; index < 12; index++) {
      if (index === 4) await rocketmq.stopBroker();
      if (index === 8) await rocketmq.startBroker();
      const client = index % 2 ? a : b;
      submitted.push((await client.submitExecution({ language: 'python', code: `print(${index} * 2)` })).runId);
    }
    // Every run ends, once, and the stream of either server shows each run's events in order.
    const ended = new Map<string, number>();
    const byRun = new Map<string, string[]>();
    for await (const { event } of b.events({ after: from })) {
      byRun.set(event.subject, [...(byRun.get(event.subject) ?? []), event.type]);
      if (event.type === 'dev.umca.run.ended.v1') ended.set(event.subject, (ended.get(event.subject) ?? 0) + 1);
      if (submitted.every((runId) => ended.has(runId))) break;
    }
    for (const runId of submitted) {
      expect(ended.get(runId)).toBe(1);
      const sequence = byRun.get(runId) ?? [];
      expect(sequence[0]).toBe('dev.umca.run.created.v1');
      expect(sequence.at(-1)).toBe('dev.umca.run.ended.v1');
      expect((await a.getRun(runId)).status).toBe('ok');
    }
  });

  it('answers 503 saying the database is down while PostgreSQL is stopped, and recovers when it is back', async () => {
    const accepted = await a.submitExecution({ language: 'python', code: 'print("before")' });
    await eventsOf(a, accepted.runId);
    await postgres.stop();
    const response = await fetch(`${servers[0]?.url}/v1/runs/${accepted.runId}`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBeTruthy();
    expect(await response.json()).toMatchObject({
      code: 'unavailable',
      detail: expect.stringMatching(/the PostgreSQL store postgres:\/\/umca@127\.0\.0\.1:\d+\/umca did not answer/),
    });
    const ready = await fetch(`${servers[1]?.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ code: 'store_unavailable' });
    await postgres.start();
    expect(await b.getRun(accepted.runId)).toMatchObject({ status: 'ok' });
    const after = await b.runCode('print("after")');
    expect(after).toMatchObject({ status: 'ok', stdout: 'after\n' });
  });
});
