/**
 * `umca evidence` and the scheduled-backup flags of `umca backup`/`umca restore`, as an operator
 * types them: the table of what ran, the retention rule applied (and refused when it is not
 * valid), and bad flag combinations refused by name with exit status 2 and nothing written.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/umca.js', import.meta.url));
const exec = promisify(execFile);

async function umca(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { env: { ...process.env, UMCA_STORE: 'embedded' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function evidenceFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'umca-cli-evidence-'));
  mkdirSync(join(dir, 'drills'));
  for (const days of [1, 500, 600]) {
    writeFileSync(
      join(dir, 'drills', `disaster-${days}.json`),
      JSON.stringify({ drill: 'disaster', at: daysAgo(days), ok: days !== 1, recoveryMs: 900 }),
    );
  }
  writeFileSync(join(dir, 'drills', 'rotate-keys-1.json'), JSON.stringify({ drill: 'rotate-keys', at: daysAgo(2), ok: true }));
  writeFileSync(join(dir, 'notes.txt'), 'written by hand');
  writeFileSync(join(dir, 'retention.json'), JSON.stringify({ version: 'umca.evidence.retention.v1', keepDays: 30, keepLast: 1 }));
  return dir;
}

describe('umca evidence', () => {
  it('lists each drill with its count, failures and last result', async () => {
    const dir = evidenceFolder();
    const listed = await umca('evidence', 'list', '--dir', dir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('4 results; kept 30 days, and the newest 1 of each kind always (retention.json)');
    expect(listed.stdout).toMatch(/drill disaster\s+3\s+1\s+\S+Z\s+FAILED\s+drills\/disaster-1\.json/);
    expect(listed.stdout).toMatch(/drill rotate-keys\s+1\s+0\s+\S+Z\s+ok\s+drills\/rotate-keys-1\.json/);
    expect(listed.stdout).toContain('not evidence UMCA knows (kept, never pruned): notes.txt');
    const json = JSON.parse((await umca('evidence', 'list', '--dir', dir, '--json')).stdout);
    expect(json.kinds.map((kind: { kind: string; results: number }) => [kind.kind, kind.results])).toEqual([
      ['drill disaster', 3],
      ['drill rotate-keys', 1],
    ]);
  });

  it('prunes what the rule lets go (a dry run first), never the newest of a kind or unknown files', async () => {
    const dir = evidenceFolder();
    const dry = await umca('evidence', 'prune', '--dir', dir, '--dry-run');
    expect(dry.stdout).toContain('would remove 2 results, kept 2');
    expect(readdirSync(join(dir, 'drills'))).toHaveLength(4);
    const pruned = await umca('evidence', 'prune', '--dir', dir);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/removed drill disaster of \S+: drills\/disaster-600\.json/);
    expect(readdirSync(join(dir, 'drills')).sort()).toEqual(['disaster-1.json', 'rotate-keys-1.json']);
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  });

  it('refuses a retention rule that is not valid, by its field, and removes nothing', async () => {
    const dir = evidenceFolder();
    writeFileSync(join(dir, 'retention.json'), JSON.stringify({ version: 'umca.evidence.retention.v1', keepLast: 0 }));
    const refused = await umca('evidence', 'prune', '--dir', dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/retention\.json is not a retention rule \(keepLast: .*\); write \{"version"/);
    expect(readdirSync(join(dir, 'drills'))).toHaveLength(4);
  });
});

describe('umca backup and restore flags', () => {
  it('refuses bad combinations by name, with exit status 2, and writes nothing', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'umca-cli-backup-flags-'));
    const into = join(scratch, 'backups');
    for (const [args, message] of [
      [['backup', '--data-dir', scratch], 'give one of --to <new folder> or --into <folder of backups>'],
      [['backup', '--to', join(scratch, 'a'), '--into', into], 'give one of --to <new folder> or --into <folder of backups>'],
      [['backup', '--to', join(scratch, 'a'), '--keep', '2'], '--keep goes with --into'],
      [['backup', '--into', into, '--keep', 'all'], '--keep must be a whole number of backups, 1 or more, not all'],
      [['restore', '--data-dir', scratch], 'give one of --from <backup> or --latest-in <folder of backups>'],
      [['restore', '--data-dir', join(scratch, 'd'), '--latest-in', scratch], 'holds no backup'],
    ] as const) {
      const result = await umca(...args);
      expect([result.code, result.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
    expect(readdirSync(scratch)).toEqual([]);
  });
});
