/**
 * The backup-and-restore runbook, run as an operator runs it: ops/runbooks/backup-restore-drill.sh
 * starts a real `umca serve`, makes runs, backs up while it serves, loses the server and its data
 * directory, restores and checks that everything the backup holds is back, that resuming a run's
 * events gives what it gave before, and that only the run made after the backup is lost. Its
 * evidence file is what an auditor reads.
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

describe('the backup-and-restore drill', () => {
  it('restores every run and event the backup holds, resumes exactly, loses only what came after, and writes its evidence', async () => {
    const evidence = mkdtempSync(join(tmpdir(), 'umca-drill-evidence-'));
    const { stdout, stderr } = await run(
      'sh',
      [join(ROOT, 'ops/runbooks/backup-restore-drill.sh'), '--runs', '3', '--evidence', evidence],
      {
        cwd: ROOT,
        // The CLI as built, not ./umca, which may rebuild: the suite has just built it.
        env: { ...process.env, UMCA_CLI: `node ${join(ROOT, 'apps/cli/bin/umca.js')}` },
        timeout: 300_000,
      },
    );
    expect(stderr).toContain('ok: every run the backup holds is back (3)');
    expect(stderr).toMatch(/ok: resuming run run_\S+ events after offset \d+ gives, event for event, what it gave before/);
    expect(stderr).toContain('ok: the run made after the backup is the one lost (the recovery point)');
    expect(stderr).toMatch(
      /ok: new events are numbered past every offset the lost server gave out \(a client that saw offset \d+ misses none\)/,
    );
    const result = JSON.parse(stdout.trim());
    expect(result).toMatchObject({
      drill: 'backup-restore',
      ok: true,
      runsBackedUp: 3,
      runsBeforeDisaster: 4,
      runsAfterRestore: 3,
      lostRuns: 1,
    });
    expect(result.recoveryMs).toBeGreaterThan(0);
    const [file] = readdirSync(evidence);
    expect(JSON.parse(readFileSync(join(evidence, file ?? ''), 'utf8'))).toEqual(result);
    keepEvidence(evidence);
  }, 320_000);
});
