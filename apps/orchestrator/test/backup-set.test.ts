/**
 * A folder of scheduled backups (ops/backup-set.ts) with a real SQLite store: `--into` names each
 * backup by its time and `--keep` removes only older backups (never other folders), and
 * `--latest-in` restores the newest backup that verifies, saying which newer ones it passed over.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '@umca/store';
import { describe, expect, it } from 'vitest';
import { backupInto, latestBackup } from '../src/ops/backup-set.js';
import { BackupError } from '../src/ops/data-dir-backup.js';

const folder = () => mkdtempSync(join(tmpdir(), 'umca-backup-set-'));
const at = (minute: number) => () => new Date(Date.UTC(2026, 11, 4, 3, minute));

async function dataDirWithRun(): Promise<string> {
  const dataDir = join(folder(), 'data');
  const store = openSqliteStore({ dataDir });
  await store.runs.create({
    id: 'run_1',
    kind: 'execution',
    status: 'queued',
    language: 'python',
    createdAt: new Date().toISOString(),
    request: { language: 'python', code: 'print(1)' } as never,
  });
  return dataDir;
}

describe('backupInto', () => {
  it('names backups by their time and keeps the newest N, leaving other folders alone', async () => {
    const dataDir = await dataDirWithRun();
    const into = folder();
    mkdirSync(join(into, 'umca-notes'));
    mkdirSync(join(into, 'monthly'));
    const outcomes = [];
    for (const minute of [1, 2, 3]) outcomes.push(await backupInto({ dataDir, into, keep: 2, now: at(minute) }));
    expect(outcomes[0]?.to).toBe(join(into, 'umca-20261204T030100000Z'));
    expect(outcomes[2]?.removed).toEqual([join(into, 'umca-20261204T030100000Z')]);
    expect(readdirSync(into).sort()).toEqual(['monthly', 'umca-20261204T030200000Z', 'umca-20261204T030300000Z', 'umca-notes']);
  });

  it('refuses a keep that is not a whole number of 1 or more, before writing anything', async () => {
    const dataDir = await dataDirWithRun();
    const into = join(folder(), 'backups');
    await expect(backupInto({ dataDir, into, keep: 0 })).rejects.toThrow(/--keep must be a whole number of backups, 1 or more/);
    expect(existsSync(into)).toBe(false);
  });
});

describe('latestBackup', () => {
  it('takes the newest backup that verifies and says which it passed over and why', async () => {
    const dataDir = await dataDirWithRun();
    const into = folder();
    const good = await backupInto({ dataDir, into, now: at(1) });
    const torn = join(into, 'umca-20261204T040000000Z');
    cpSync(good.to, torn, { recursive: true });
    writeFileSync(join(torn, 'umca.db'), 'cut off');
    const latest = latestBackup(into);
    expect(latest.from).toBe(good.to);
    expect(latest.skipped).toEqual([{ folder: torn, reason: expect.stringMatching(/umca\.db .* is not the file that was backed up/) }]);
  });

  it('refuses a folder with no backups, and one whose backups all fail, by the flag', async () => {
    const empty = folder();
    expect(() => latestBackup(empty)).toThrow(BackupError);
    expect(() => latestBackup(empty)).toThrow(/--latest-in .* holds no backup .*umca backup --into/);
    mkdirSync(join(empty, 'umca-20261204T040000000Z'));
    expect(() => latestBackup(empty)).toThrow(/none of its 1 backups verified: .* has no manifest.json/);
  });
});
