/**
 * @module backup-set
 * A folder of scheduled backups (`umca backup --into DIR --keep N`, `umca restore --latest-in
 * DIR`): each backup is a `umca-<UTC time>` folder made by backupDataDir; the oldest beyond `keep`
 * go after a new one is whole, and a restore takes the newest one that verifies, saying which it
 * passed over and why (a backup cut off by the disaster, a file changed since). Folders that are
 * not backups are never touched.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BACKUP_MANIFEST_VERSION, BackupError, type BackupManifest, backupDataDir, verifyBackup } from './data-dir-backup.js';

const PREFIX = 'umca-';

/** `umca-20261204T085104123Z`: sorts by time, one per millisecond. */
const folderName = (at: Date) => `${PREFIX}${at.toISOString().replace(/[-:.]/g, '')}`;

/** The `umca-<time>` folders in `into`, newest first (their names sort by time). */
function backupFolders(into: string): string[] {
  if (!existsSync(into)) return [];
  return readdirSync(into, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith(PREFIX) && !entry.name.includes('.partial-'))
    .map((entry) => entry.name)
    .sort()
    .reverse()
    .map((name) => join(into, name));
}

/** Whether a folder holds a backup manifest (pruning removes only those: never a folder it cannot tell is one). */
function hasManifest(folder: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Partial<BackupManifest>).version === BACKUP_MANIFEST_VERSION;
  } catch {
    return false;
  }
}

export interface BackupIntoOutcome {
  readonly to: string;
  readonly manifest: BackupManifest;
  /** Older backups removed to keep `keep`. */
  readonly removed: readonly string[];
}

/** Backs up into a new `umca-<time>` folder of `into`; with `keep`, then removes all but the newest `keep`. */
export async function backupInto(options: { dataDir: string; into: string; keep?: number; now?: () => Date }): Promise<BackupIntoOutcome> {
  if (options.keep !== undefined && (!Number.isInteger(options.keep) || options.keep < 1)) {
    throw new BackupError('refused', `--keep must be a whole number of backups, 1 or more, not ${options.keep}`);
  }
  const into = resolve(options.into);
  const now = options.now ?? (() => new Date());
  const at = now();
  const manifest = await backupDataDir({ dataDir: options.dataDir, to: join(into, folderName(at)), now: () => at });
  const to = join(into, folderName(at));
  const removed =
    options.keep === undefined
      ? []
      : backupFolders(into)
          .filter(hasManifest)
          .slice(options.keep)
          .filter((folder) => folder !== to);
  for (const folder of removed) rmSync(folder, { recursive: true, force: true });
  return { to, manifest, removed };
}

export interface LatestBackup {
  readonly from: string;
  readonly manifest: BackupManifest;
  /** Newer folders that did not verify, and why. */
  readonly skipped: ReadonlyArray<{ readonly folder: string; readonly reason: string }>;
}

/** The newest backup in `into` (by its folder's time) that verifies; BackupError('invalid_backup') when none does. */
export function latestBackup(into: string): LatestBackup {
  const folder = resolve(into);
  const skipped: Array<{ folder: string; reason: string }> = [];
  for (const candidate of backupFolders(folder)) {
    try {
      return { from: candidate, manifest: verifyBackup(candidate), skipped };
    } catch (error) {
      skipped.push({ folder: candidate, reason: (error as Error).message });
    }
  }
  throw new BackupError(
    'invalid_backup',
    skipped.length
      ? `--latest-in ${folder}: none of its ${skipped.length} backups verified: ${skipped.map((entry) => entry.reason).join('; ')}`
      : `--latest-in ${folder} holds no backup (no ${PREFIX}<time> folder): is it the folder given to umca backup --into?`,
  );
}
