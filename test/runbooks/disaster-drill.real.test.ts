/**
 * The disaster runbook, run as an operator runs it: ops/runbooks/disaster-drill.sh takes backups
 * on a schedule into a folder of backups, leaves a newer one torn, loses the server and its data
 * directory, recovers with `umca restore --latest-in` and checks what the runbook promises: the
 * schedule kept what it should, the last good backup (not the torn one) came back whole, resume
 * is exact, and exactly the runs after it are lost; its evidence is what an auditor reads.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { keepEvidence } from '../support/evidence.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DRILL = join(ROOT, 'ops/runbooks/disaster-drill.sh');
// The CLI as built, not ./umca, which may rebuild: the suite has just built it.
const env = { ...process.env, UMCA_CLI: `node ${join(ROOT, 'apps/cli/bin/umca.js')}` };

const scratchFolders = () =>
  readdirSync(tmpdir())
    .filter((name) => name.startsWith('umca-disaster-'))
    .sort();

describe('the disaster drill', () => {
  it('recovers from the last good backup, passing over a torn one, and reports what was lost and how long it took', async () => {
    const evidence = mkdtempSync(join(tmpdir(), 'umca-drill-evidence-'));
    const { stdout, stderr } = await run('sh', [DRILL, '--backups', '3', '--runs-between', '2', '--keep', '2', '--evidence', evidence], {
      cwd: ROOT,
      env,
      timeout: 400_000,
    });
    expect(stderr).toContain('ok: the schedule kept the newest 2 backups');
    expect(stderr).toContain('ok: the restore took the last good backup');
    expect(stderr).toContain('ok: the restore passed over the torn backup and said why');
    expect(stderr).toContain('ok: every run the last backup holds is back (6)');
    expect(stderr).toMatch(/ok: resuming run run_\S+ events after offset \d+ gives, event for event, what it gave before/);
    expect(stderr).toContain('ok: the 2 runs made after the last backup are the ones lost (the recovery point)');
    expect(stderr).not.toContain('FAILED');
    const result = JSON.parse(stdout.trim());
    expect(result).toMatchObject({
      drill: 'disaster',
      ok: true,
      backupsTaken: 3,
      backupsKept: 2,
      passedOver: 1,
      runsBeforeDisaster: 8,
      runsRestored: 6,
      lostRuns: 2,
    });
    expect(result.lostRunIds).toHaveLength(2);
    expect(result.recoveryPointMs).toBeGreaterThanOrEqual(0);
    expect(result.recoveryMs).toBeGreaterThan(0);
    const [file] = readdirSync(evidence);
    expect(file).toMatch(/^disaster-\d{8}T\d{6}Z\.json$/);
    expect(JSON.parse(readFileSync(join(evidence, file ?? ''), 'utf8'))).toEqual(result);
    keepEvidence(evidence);
  }, 420_000);

  it('refuses bad usage by the flag, with exit status 2, and leaves no scratch folder behind', async () => {
    const before = scratchFolders();
    for (const [args, message] of [
      [['--keep', 'two'], "--keep must be a whole number, not 'two'"],
      [['--backups', '0'], '--backups must be 1 or more'],
      [['--runs-between'], '--runs-between needs a number'],
      [['--at-noon'], "unknown argument '--at-noon'"],
    ] as const) {
      const failure = await run('sh', [DRILL, ...args], { cwd: ROOT, env }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBe(2);
      expect(failure?.stderr).toContain(message);
    }
    expect(scratchFolders()).toEqual(before);
  });
});
