/**
 * Backing up and restoring an embedded data directory (ops/data-dir-backup.ts) with a real SQLite
 * store in a temporary folder: a backup taken while the store is open and being written holds
 * what was there and says so; nothing is overwritten or left half-written; a restore checks every
 * file, refuses a store that may be open or is there already, and keeps what it replaces.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUmcaEvent } from '@umca/contracts';
import { openSqliteStore, RESTORE_OFFSET_GAP, readStoreFacts } from '@umca/store';
import { describe, expect, it } from 'vitest';
import { BackupError, backupDataDir, restoreDataDir, verifyBackup } from '../src/ops/data-dir-backup.js';

const folder = () => mkdtempSync(join(tmpdir(), 'umca-backup-'));

async function storeWithRuns(dataDir: string, count: number) {
  const store = openSqliteStore({ dataDir });
  for (let index = 0; index < count; index++) {
    await store.runs.create({
      id: `run_${index}`,
      kind: 'execution',
      status: 'queued',
      language: 'python',
      createdAt: new Date().toISOString(),
      request: { language: 'python', code: 'print(1)' } as never,
    });
  }
  return store;
}

describe('backupDataDir', () => {
  it('copies an open store and the signing keys, and says what it kept', async () => {
    const dataDir = join(folder(), 'data');
    const store = await storeWithRuns(dataDir, 3);
    mkdirSync(join(dataDir, 'auth'));
    writeFileSync(join(dataDir, 'auth', 'signing-key.json'), '{"k":"secret"}');
    const to = join(folder(), 'backup');
    // Taken while the store is open, as a running server has it.
    const manifest = await backupDataDir({ dataDir, to });
    await store.runs.create({
      id: 'run_after',
      kind: 'execution',
      status: 'queued',
      language: 'python',
      createdAt: new Date().toISOString(),
      request: {} as never,
    });
    await store.close();
    expect(manifest).toMatchObject({ version: 'umca.backup.v1', runs: 3, events: 0, lastOffset: 0 });
    expect(manifest.files.map((file) => file.path)).toEqual(['auth/signing-key.json', 'umca.db']);
    expect(readStoreFacts(join(to, 'umca.db')).runs).toBe(3);
    expect(verifyBackup(to)).toEqual(manifest);
  });

  it('refuses a folder that exists and a data directory with no store, and leaves nothing behind', async () => {
    const dataDir = join(folder(), 'data');
    await (await storeWithRuns(dataDir, 1)).close();
    const existing = folder();
    await expect(backupDataDir({ dataDir, to: existing })).rejects.toThrow(/already exists: give a new folder/);
    const empty = folder();
    const to = join(folder(), 'backup');
    await expect(backupDataDir({ dataDir: empty, to })).rejects.toThrow(
      /there is no UMCA store in .* \(no umca\.db\): is --data-dir right\?/,
    );
    expect(existsSync(to)).toBe(false);
    expect(readdirSync(join(to, '..'))).toEqual([]);
  });
});

describe('restoreDataDir', () => {
  async function backup() {
    const dataDir = join(folder(), 'data');
    await (await storeWithRuns(dataDir, 2)).close();
    const to = join(folder(), 'backup');
    await backupDataDir({ dataDir, to });
    return to;
  }

  it('restores into an empty data directory, and a store UMCA opens again', async () => {
    const from = await backup();
    const dataDir = join(folder(), 'restored');
    const { manifest, keptIn } = restoreDataDir({ dataDir, from });
    expect(keptIn).toBeUndefined();
    expect(manifest.runs).toBe(2);
    const store = openSqliteStore({ dataDir });
    expect((await store.runs.list({ limit: 10 })).map((run) => run.id).sort()).toEqual(['run_0', 'run_1']);
    await store.close();
  });

  it("numbers the restored store's next events past a gap, so a client that saw offsets the restore lost misses none", async () => {
    const dataDir = join(folder(), 'data');
    const store = await storeWithRuns(dataDir, 1);
    const ended = (n: number) =>
      createUmcaEvent({
        type: 'dev.umca.run.ended.v1',
        subject: 'run_0',
        data: { runId: 'run_0', status: 'ok', durationMs: n },
        id: `event-${n}`,
        time: new Date(),
      });
    await store.events.append(ended(1));
    const to = join(folder(), 'backup');
    await backupDataDir({ dataDir, to });
    // The server goes on after the backup: a client sees offset 2, then the server is lost.
    const lost = await store.events.append(ended(2));
    await store.close();
    const restored = join(folder(), 'restored');
    const { manifest, nextOffset } = restoreDataDir({ dataDir: restored, from: to });
    expect(manifest.lastOffset).toBe(1);
    expect(nextOffset).toBe(1 + RESTORE_OFFSET_GAP + 1);
    const reopened = openSqliteStore({ dataDir: restored });
    const next = await reopened.events.append(ended(3));
    expect(next.offset).toBe(nextOffset);
    // What a client resuming after the lost offset reads: the new event, not nothing.
    expect((await reopened.events.read({ subject: 'run_0', after: lost.offset, limit: 10 })).map((stored) => stored.event.id)).toEqual([
      'event-3',
    ]);
    await reopened.close();
  });

  it('refuses a store that may be open, and one that is there, unless forced; forced, it keeps what it replaces', async () => {
    const from = await backup();
    const dataDir = join(folder(), 'data');
    const open = await storeWithRuns(dataDir, 5);
    expect(() => restoreDataDir({ dataDir, from })).toThrow(/may be open \(umca\.db-shm is there\): stop the server/);
    await open.close();
    expect(() => restoreDataDir({ dataDir, from })).toThrow(/already holds a store: add --force/);
    expect(readStoreFacts(join(dataDir, 'umca.db')).runs).toBe(5);
    const { keptIn } = restoreDataDir({ dataDir, from, force: true });
    expect(readStoreFacts(join(dataDir, 'umca.db')).runs).toBe(2);
    expect(readStoreFacts(join(keptIn ?? '', 'umca.db')).runs).toBe(5);
  });

  it('refuses a backup whose files are not the ones backed up, or that is not a backup, changing nothing', async () => {
    const from = await backup();
    writeFileSync(join(from, 'umca.db'), 'tampered');
    const dataDir = join(folder(), 'data');
    expect(() => restoreDataDir({ dataDir, from })).toThrow(BackupError);
    expect(() => restoreDataDir({ dataDir, from })).toThrow(/umca\.db in .* is not the file that was backed up \(its SHA-256 differs\)/);
    expect(() => restoreDataDir({ dataDir, from: folder() })).toThrow(/is not a UMCA backup: it has no manifest\.json/);
    // A manifest that names a file outside the backup is refused before anything is read from there.
    const manifest = JSON.parse(readFileSync(join(from, 'manifest.json'), 'utf8'));
    manifest.files.push({ path: '../../etc/passwd', bytes: 1, sha256: 'x' });
    writeFileSync(join(from, 'manifest.json'), JSON.stringify(manifest));
    expect(() => verifyBackup(from)).toThrow(/the manifest names \.\.\/\.\.\/etc\/passwd, outside the backup/);
    expect(existsSync(dataDir)).toBe(false);
  });
});
