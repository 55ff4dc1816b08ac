/**
 * The PostgreSQL backup-and-restore runbook, run as an operator runs it:
 * ops/runbooks/postgres-backup-drill.sh, given a real PostgreSQL 15 (Debian's, started by the test),
 * makes a scratch database there, serves UMCA on it, dumps it with pg_dump while serving, loses the
 * database, restores it with pg_restore and checks that everything the dump holds is back, that
 * resuming a run's events gives what it gave before, and that only the run made after the dump is
 * lost. It must leave the server's databases as it found them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepEvidence } from '../support/evidence.js';
import { type RunningPostgres, startPostgres } from '../support/postgres.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DRILL = join(ROOT, 'ops/runbooks/postgres-backup-drill.sh');
// The CLI as built, not ./umca, which may rebuild: the suite has just built it.
const env = { ...process.env, UMCA_CLI: `node ${join(ROOT, 'apps/cli/bin/umca.js')}` };
let postgres: RunningPostgres;

beforeAll(async () => {
  postgres = await startPostgres();
}, 120_000);

afterAll(async () => {
  await postgres?.close();
}, 60_000);

async function databases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>('SELECT datname FROM pg_database ORDER BY datname')).rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

describe('the PostgreSQL backup-and-restore drill', () => {
  it('restores every run and event the dump holds, resumes exactly, loses only what came after, and drops only its own database', async () => {
    const before = await databases();
    const evidence = mkdtempSync(join(tmpdir(), 'umca-drill-evidence-'));
    const { stdout, stderr } = await run('sh', [DRILL, '--store', postgres.url, '--runs', '3', '--evidence', evidence], {
      cwd: ROOT,
      env,
      timeout: 300_000,
    });
    expect(stderr).toContain('ok: every run the dump holds is back (3)');
    expect(stderr).toMatch(/ok: every event the dump holds is back \(\d+, up to offset \d+\)/);
    expect(stderr).toContain("ok: each run's events read, event for event, as before the disaster (3 runs)");
    expect(stderr).toMatch(/ok: resuming run run_\S+ events after offset \d+ gives, event for event, what it gave before/);
    expect(stderr).toContain('ok: the run made after the dump is the one lost (the recovery point)');
    expect(stderr).toContain("ok: a new run after the restore goes on past the gap after the dump's last offset");
    expect(stderr).toMatch(
      /ok: new events are numbered past every offset the lost server gave out \(a client that saw offset \d+ misses none\)/,
    );
    expect(stderr).not.toContain('FAILED');
    // The password is in no message.
    expect(stderr).not.toContain(new URL(postgres.url).password);
    const result = JSON.parse(stdout.trim());
    expect(result).toMatchObject({
      drill: 'postgres-backup',
      ok: true,
      runsInDump: 3,
      runsBeforeDisaster: 4,
      runsAfterRestore: 3,
      lostRuns: 1,
    });
    expect(result.eventsInDump).toBeGreaterThanOrEqual(3 * 4);
    expect(result.lastOffsetInDump).toBe(result.eventsInDump);
    expect(result.dumpBytes).toBeGreaterThan(0);
    expect(result.recoveryMs).toBeGreaterThan(0);
    const [file] = readdirSync(evidence);
    expect(file).toMatch(/^postgres-backup-\d{8}T\d{6}Z\.json$/);
    expect(JSON.parse(readFileSync(join(evidence, file ?? ''), 'utf8'))).toEqual(result);
    keepEvidence(evidence);
    expect(await databases()).toEqual(before);
    rmSync(evidence, { recursive: true });
  }, 320_000);

  it('refuses bad usage with exit 2, naming the flag, and touches nothing', async () => {
    const before = await databases();
    const refusals: Array<[string[], RegExp]> = [
      [[], /--store is required/],
      [['--store', 'mysql://umca@127.0.0.1/umca'], /--store must be a postgres:\/\/ URL/],
      [['--store', postgres.url, '--runs', 'three'], /--runs must be a whole number/],
      [['--store', postgres.url.replace(/:[^:@/]+@/, ':wrong-password@')], /could not connect to --store postgres:\/\/umca@127\.0\.0\.1/],
      [['--store', postgres.url, '--pg-bin', '/nonexistent'], /\/nonexistent\/pg_dump is missing: .*--pg-bin/],
      [['--runs'], /--runs needs a number/],
    ];
    for (const [args, message] of refusals) {
      const failure = await run('sh', [DRILL, ...args], { cwd: ROOT, env }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure.code, args.join(' ')).toBe(2);
      expect(failure.stderr).toMatch(message);
      expect(failure.stderr).not.toContain('wrong-password');
    }
    expect(await databases()).toEqual(before);
  }, 120_000);
});
