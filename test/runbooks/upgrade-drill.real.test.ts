/**
 * The upgrade runbook, run as an operator runs it: ops/runbooks/upgrade-drill.sh builds the
 * previous version of UMCA from this checkout's history (the commit before the newest store
 * migration), serves it with runs, backs up, upgrades to this checkout across the migration and
 * rolls back, checking every run and event at each step. Also: what it says and does for a
 * shallow clone, an unknown ref and a ref with no migration since.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { keepEvidence } from '../support/evidence.js';
import { startPostgres } from '../support/postgres.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DRILL = join(ROOT, 'ops/runbooks/upgrade-drill.sh');
const PREPARE = join(ROOT, 'ops/runbooks/prepare-previous-umca.sh');
// The CLI as built, not ./umca, which may rebuild: the suite has just built it.
const ENV = { ...process.env, UMCA_CLI: `node ${join(ROOT, 'apps/cli/bin/umca.js')}` };
const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();

async function refusal(script: string, args: string[], cwd = ROOT): Promise<{ code?: number; stderr: string }> {
  return run('sh', [script, ...args], { cwd, env: ENV }).then(
    ({ stderr }) => ({ stderr }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
  );
}

describe('the upgrade drill', () => {
  it('upgrades the previous version across a schema migration and rolls back, nothing lost but the run after the upgrade', async () => {
    // The drill needs this checkout's history; the suite's checkout has it (a shallow clone is refused, below).
    expect(git('rev-parse', '--is-shallow-repository'), 'run `git fetch --unshallow` first').toBe('false');
    const evidence = mkdtempSync(join(tmpdir(), 'umca-upgrade-evidence-'));
    const { stdout, stderr } = await run('sh', [DRILL, '--runs', '3', '--evidence', evidence], {
      cwd: ROOT,
      env: ENV,
      // The first run builds the previous version (about 2.5 min here); later runs reuse it.
      timeout: 600_000,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`the drill failed:\n${error.stderr}\n${error.stdout}`);
    });
    expect(stderr).not.toContain('FAILED');
    expect(stderr).toContain('ok: every run (3) and event');
    expect(stderr).toContain('ok: the previous version refuses the migrated data and says why');
    expect(stderr).toContain('ok: after the rollback every run and event of the previous version is back, event for event');
    const result = JSON.parse(stdout.trim());
    // The figures, for whoever reads the suite's output (docs/runbooks/upgrade.md quotes them).
    console.info(`upgrade drill (sqlite): ${stdout.trim()}`);
    expect(result).toMatchObject({
      drill: 'upgrade',
      ok: true,
      store: 'sqlite',
      runs: 3,
      runsLostInRollback: 1,
      to: git('rev-parse', 'HEAD'),
    });
    expect(result.schemaTo).toBeGreaterThan(result.schemaFrom);
    expect(result.events).toBeGreaterThanOrEqual(3 * 2);
    expect(result.upgradeDowntimeMs).toBeGreaterThan(0);
    expect(result.rollbackDowntimeMs).toBeGreaterThan(0);
    // It ran from a real earlier commit, with a store migration between it and this checkout.
    expect(git('merge-base', '--is-ancestor', result.from, 'HEAD')).toBe('');
    expect(git('log', '--format=%H', `${result.from}..HEAD`, '--', 'packages/store/src/open-sqlite-store.ts')).not.toBe('');
    const [file] = readdirSync(evidence);
    expect(file).toMatch(/^upgrade-\d{8}T\d{6}Z\.json$/);
    expect(JSON.parse(readFileSync(join(evidence, file ?? ''), 'utf8'))).toEqual(result);
    keepEvidence(evidence);
  }, 620_000);

  it('upgrades a PostgreSQL store the same way: pg_dump before, pg_restore into an emptied schema for the rollback', async () => {
    const postgres = await startPostgres();
    try {
      const store = await postgres.createDatabase();
      const { stdout, stderr } = await run('sh', [DRILL, '--runs', '2', '--store', store], { cwd: ROOT, env: ENV, timeout: 600_000 }).catch(
        (error: { stdout?: string; stderr?: string }) => {
          throw new Error(`the drill failed:\n${error.stderr}\n${error.stdout}`);
        },
      );
      expect(stderr).not.toContain('FAILED');
      expect(stderr).toContain('ok: the previous version refuses the migrated data and says why');
      const result = JSON.parse(stdout.trim());
      console.info(`upgrade drill (postgres): ${stdout.trim()}`);
      expect(result).toMatchObject({ drill: 'upgrade', ok: true, store: 'postgres', runs: 2, runsLostInRollback: 1 });
      expect(result.schemaTo).toBeGreaterThan(result.schemaFrom);
      // A second run on the same database is refused: the drill wants an empty one.
      const again = await refusal(DRILL, ['--store', store]);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('--store must name an empty database');
    } finally {
      await postgres.close();
    }
  }, 620_000);

  it('refuses a shallow clone with exit 2 and says how to fetch the history', async () => {
    const clone = mkdtempSync(join(tmpdir(), 'umca-shallow-'));
    try {
      execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, clone]);
      // The scripts as they are in this checkout, which may be newer than its last commit.
      cpSync(join(ROOT, 'ops/runbooks'), join(clone, 'ops/runbooks'), { recursive: true });
      const { code, stderr } = await refusal(join(clone, 'ops/runbooks/upgrade-drill.sh'), [], clone);
      expect(code).toBe(2);
      expect(stderr).toContain('this clone is shallow');
      expect(stderr).toContain('git fetch --unshallow');
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses, with exit 2, a ref that is not there, a ref with no migration since, and bad flags', async () => {
    const unknown = await refusal(PREPARE, ['--from', 'no-such-ref-anywhere']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--from no-such-ref-anywhere is not a commit in this clone');
    const current = await refusal(PREPARE, ['--from', 'HEAD']);
    expect(current.code).toBe(2);
    expect(current.stderr).toContain('no store migration between HEAD');
    const runs = await refusal(DRILL, ['--runs', 'many']);
    expect(runs.code).toBe(2);
    expect(runs.stderr).toContain("--runs must be a whole number from 1 to 50, not 'many'");
    const store = await refusal(DRILL, ['--store', 'mysql://db/umca']);
    expect(store.code).toBe(2);
    expect(store.stderr).toContain("--store takes a postgres:// URL (the embedded store is the default), not 'mysql://db/umca'");
  }, 60_000);
});
