/**
 * The broker-and-replica loss runbook, run as an operator runs it: ops/runbooks/broker-replica-loss-drill.sh
 * against real servers (PostgreSQL 15, RocketMQ 5, two `umca serve --workers remote` replicas and a
 * `umca worker`, each a process of its own). The drill's hooks are the site's way to stop and start
 * the broker and to kill a replica; here they are curl calls to a small control endpoint of this
 * test, which does it to the real processes with the test/support helpers (the broker killed as a
 * crash would, the replica with SIGKILL).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepEvidence } from '../support/evidence.js';
import { type RunningPostgres, startPostgres } from '../support/postgres.js';
import { type RunningRocketMq, startRocketMq } from '../support/rocketmq.js';
import { startUmcaServer, startUmcaWorker, type UmcaProcess } from '../support/umca-process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DRILL = join(ROOT, 'ops/runbooks/broker-replica-loss-drill.sh');
let postgres: RunningPostgres;
let rocketmq: RunningRocketMq;
const servers: UmcaProcess[] = [];
let worker: UmcaProcess;
let control: Server;
let controlUrl: string;
/** What the hooks asked for, in order. */
const calls: string[] = [];

beforeAll(async () => {
  [postgres, rocketmq] = await Promise.all([startPostgres(), startRocketMq()]);
  // The topics and groups as an operator makes them (docs/scale-out.md). mqadmin gives up after
  // 2 s without an answer, which a busy machine can exceed: try again, as an operator would.
  for (let attempt = 1; ; attempt++) {
    try {
      await run('sh', [join(ROOT, 'scripts/rocketmq-topics.sh'), '--namesrv', rocketmq.namesrvAddr]);
      break;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
  const flags = ['--store', await postgres.createDatabase('umca'), '--bus', `rocketmq://${rocketmq.endpoints}`];
  servers.push(await startUmcaServer([...flags, '--workers', 'remote']));
  servers.push(await startUmcaServer([...flags, '--workers', 'remote']));
  worker = await startUmcaWorker([...flags, '--concurrency', '2']);
  control = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://control');
    calls.push(`${url.pathname}${url.search}`);
    try {
      if (url.pathname === '/stop-broker') await rocketmq.stopBroker({ kill: true });
      else if (url.pathname === '/start-broker') await rocketmq.startBroker();
      else if (url.pathname === '/kill-replica') {
        const replica = servers.find((server) => server.url === url.searchParams.get('url'));
        if (!replica) throw new Error(`no replica ${url.searchParams.get('url')}`);
        await replica.kill();
      } else throw new Error(`no hook ${url.pathname}`);
      response.end('done\n');
    } catch (error) {
      response.statusCode = 500;
      response.end(`${(error as Error).message}\n`);
    }
  });
  await new Promise<void>((listening) => control.listen(0, '127.0.0.1', listening));
  controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  control?.close();
  for (const process of [worker, ...servers]) await process?.stop().catch(() => {});
  await Promise.allSettled([rocketmq?.close(), postgres?.close()]);
}, 120_000);

const hooks = () => [
  '--stop-broker',
  `curl -sf -o /dev/null -X POST ${controlUrl}/stop-broker`,
  '--start-broker',
  `curl -sf -o /dev/null -X POST ${controlUrl}/start-broker`,
  '--kill-replica',
  `curl -sf -o /dev/null -X POST "${controlUrl}/kill-replica?url=$UMCA_DRILL_REPLICA"`,
];

describe('the broker-and-replica loss drill', () => {
  it('refuses bad usage with exit 2, naming the flag, and runs no hook', async () => {
    const replicas = servers.map((server) => server.url).join(',');
    const refusals: Array<[string[], RegExp]> = [
      [hooks(), /--replicas is required/],
      [['--replicas', servers[0]?.url ?? '', ...hooks()], /--replicas needs two URLs or more/],
      [['--replicas', `${replicas},ftp://x`, ...hooks()], /--replicas: 'ftp:\/\/x' is not an http\(s\):\/\/ URL/],
      [['--replicas', replicas, ...hooks().slice(2)], /--stop-broker is required/],
      [['--replicas', replicas, ...hooks(), '--runs', '0'], /--runs must be a whole number from 1/],
      [['--replicas', `${replicas.replace(/\d+$/, '1')}`, ...hooks()], /--replicas: http:\/\/127\.0\.0\.1:1\/readyz does not answer 200/],
    ];
    for (const [args, message] of refusals) {
      const failure = await run('sh', [DRILL, ...args], { cwd: ROOT }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure.code, args.join(' ')).toBe(2);
      expect(failure.stderr).toMatch(message);
    }
    expect(calls).toEqual([]);
  }, 120_000);

  it('keeps runs and event streams through the loss of the broker and of a replica, and writes its evidence', async () => {
    const evidence = mkdtempSync(join(tmpdir(), 'umca-drill-evidence-'));
    const replicas = servers.map((server) => server.url);
    const { stdout, stderr } = await run(
      'sh',
      [DRILL, '--replicas', replicas.join(','), ...hooks(), '--runs', '4', '--evidence', evidence],
      { cwd: ROOT, timeout: 900_000 },
    ).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`the drill failed:\n${error.stderr}\n${error.stdout}`);
    });
    // What an operator reads, in the suite's log.
    console.info(stderr);
    expect(stderr).not.toContain('FAILED');
    for (const promise of [
      'ok: /readyz says the bus is down',
      'ok: submissions with the broker down are accepted (202)',
      'ok: they are recorded and wait, queued',
      'ok: /readyz shows the work queue down, with how many runs wait',
      'with the broker down (from the store)',
      'ok: /readyz says every dependency is up again on every replica',
      'ok: every waiting run completed, once: one start, one end, its output once, none restarted',
      'saw each waiting run end',
      'none missed or twice',
      'every event of the run once, in order',
      'ok: each event it got is, byte for byte, the one the run holds',
      'no longer answers after --kill-replica',
      'ok: every run submitted through the killed replica completed, once (4)',
    ]) {
      expect(stderr).toContain(promise);
    }
    const result = JSON.parse(stdout.trim());
    expect(result).toMatchObject({ drill: 'broker-replica-loss', ok: true, replicas: 2, runsWhileBrokerDown: 4 });
    expect(result.eventsBeforeKill).toBeGreaterThan(0);
    expect(result.eventsResumed).toBeGreaterThan(0);
    expect(calls).toEqual(['/stop-broker', '/start-broker', `/kill-replica?url=${replicas[0]}`]);
    await expect(fetch(`${replicas[0]}/healthz`)).rejects.toThrow();
    const [file] = readdirSync(evidence);
    expect(file).toMatch(/^broker-replica-loss-\d{8}T\d{6}Z\.json$/);
    expect(JSON.parse(readFileSync(join(evidence, file ?? ''), 'utf8'))).toEqual(result);
    keepEvidence(evidence);
    rmSync(evidence, { recursive: true });
  }, 920_000);
});
