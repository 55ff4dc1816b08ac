/**
 * @module data-dir-backup
 * Backing up and restoring an embedded UMCA's data directory: the store (`umca.db`, copied online
 * while a server writes to it) and UMCA's own signing keys (`auth/`, when there are any). A backup
 * is a folder with a `manifest.json` (`umca.backup.v1`: when, the store's schema, runs, events and
 * last event offset, each file's size and SHA-256), written beside its final name and renamed
 * into place, so a backup that failed half-way is never taken for one. A restore checks every
 * file against the manifest first, refuses a data directory that a server may have open, and
 * keeps what it replaces in `before-restore-<time>/` inside the data directory.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { UmcaError } from '@umca/contracts';
import { backupSqliteStore, type StoreSnapshotFacts, skipOffsetsAfterRestore } from '@umca/store';

export const BACKUP_MANIFEST_VERSION = 'umca.backup.v1';
const STORE_FILE = 'umca.db';
const KEYS_DIR = 'auth';

export class BackupError extends UmcaError<'invalid_backup' | 'refused' | 'failed'> {
  override readonly name = 'UMCA_BackupError';
}

export interface BackupManifest extends StoreSnapshotFacts {
  readonly version: typeof BACKUP_MANIFEST_VERSION;
  readonly createdAt: string;
  readonly dataDir: string;
  readonly files: ReadonlyArray<{ readonly path: string; readonly bytes: number; readonly sha256: string }>;
}

function filesUnder(root: string, folder = root): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return filesUnder(root, path);
    return entry.isFile() ? [relative(root, path)] : [];
  });
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Backs up `dataDir` into the new folder `to`; resolves with what it kept. */
export async function backupDataDir(options: { dataDir: string; to: string; now?: () => Date }): Promise<BackupManifest> {
  const dataDir = resolve(options.dataDir);
  const to = resolve(options.to);
  if (existsSync(to)) throw new BackupError('refused', `--to ${to} already exists: give a new folder, so no earlier backup is overwritten`);
  const store = join(dataDir, STORE_FILE);
  if (!existsSync(store)) throw new BackupError('refused', `there is no UMCA store in ${dataDir} (no ${STORE_FILE}): is --data-dir right?`);
  const partial = `${to}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true, mode: 0o700 });
  try {
    const facts = await backupSqliteStore(store, join(partial, STORE_FILE));
    // The signing keys are secrets: the backup folder is the owner's only (0700), like the data directory's auth/.
    if (existsSync(join(dataDir, KEYS_DIR))) cpSync(join(dataDir, KEYS_DIR), join(partial, KEYS_DIR), { recursive: true });
    const manifest: BackupManifest = {
      version: BACKUP_MANIFEST_VERSION,
      createdAt: (options.now ?? (() => new Date()))().toISOString(),
      dataDir,
      ...facts,
      files: filesUnder(partial)
        .sort()
        .map((path) => ({ path, bytes: statSync(join(partial, path)).size, sha256: sha256(join(partial, path)) })),
    };
    writeFileSync(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    renameSync(partial, to);
    return manifest;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

/** Reads a backup's manifest and checks every file it lists; throws BackupError('invalid_backup') naming what is wrong. */
export function verifyBackup(from: string): BackupManifest {
  const folder = resolve(from);
  const manifestPath = join(folder, 'manifest.json');
  if (!existsSync(manifestPath)) throw new BackupError('invalid_backup', `${folder} is not a UMCA backup: it has no manifest.json`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
  } catch (error) {
    throw new BackupError('invalid_backup', `${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  if (manifest.version !== BACKUP_MANIFEST_VERSION || !Array.isArray(manifest.files)) {
    throw new BackupError('invalid_backup', `${manifestPath} is not a ${BACKUP_MANIFEST_VERSION} manifest`);
  }
  if (!manifest.files.some((file) => file.path === STORE_FILE))
    throw new BackupError('invalid_backup', `the backup in ${folder} has no ${STORE_FILE}`);
  // Every name first: one outside the backup is refused before any file is read.
  for (const file of manifest.files) {
    if (relative(folder, resolve(folder, String(file.path))).startsWith('..')) {
      throw new BackupError('invalid_backup', `the manifest names ${file.path}, outside the backup`);
    }
  }
  for (const file of manifest.files) {
    const path = resolve(folder, file.path);
    if (!existsSync(path)) throw new BackupError('invalid_backup', `the backup is missing ${file.path}, which its manifest lists`);
    if (sha256(path) !== file.sha256) {
      throw new BackupError('invalid_backup', `${file.path} in ${folder} is not the file that was backed up (its SHA-256 differs)`);
    }
  }
  return manifest;
}

export interface RestoreOutcome {
  readonly manifest: BackupManifest;
  /** The offset the restored store gives its next event: past a gap after the backup's last (RESTORE_OFFSET_GAP). */
  readonly nextOffset: number;
  /** Where what the restore replaced was kept, if there was anything. */
  readonly keptIn?: string;
}

/**
 * Restores the backup `from` into `dataDir`. Refuses (BackupError('refused')) while the store may
 * be open (its `-shm` file is there: a server, or one that crashed; `force` overrides) and when
 * the data directory holds a store and `force` is not given.
 */
export function restoreDataDir(options: { dataDir: string; from: string; force?: boolean; now?: () => Date }): RestoreOutcome {
  const manifest = verifyBackup(options.from);
  const dataDir = resolve(options.dataDir);
  const store = join(dataDir, STORE_FILE);
  if (existsSync(`${store}-shm`) && !options.force) {
    throw new BackupError(
      'refused',
      `${store} may be open (${STORE_FILE}-shm is there): stop the server using ${dataDir} first; if none is running (it crashed), add --force`,
    );
  }
  if (existsSync(store) && !options.force) {
    throw new BackupError(
      'refused',
      `${dataDir} already holds a store: add --force to replace it (what is there is kept in before-restore-<time>/)`,
    );
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-');
  const replaced = [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`, KEYS_DIR].filter((name) => existsSync(join(dataDir, name)));
  let keptIn: string | undefined;
  if (replaced.length > 0) {
    keptIn = join(dataDir, `before-restore-${stamp}`);
    mkdirSync(keptIn, { mode: 0o700 });
    for (const name of replaced) renameSync(join(dataDir, name), join(keptIn, name));
  }
  // Each file lands under a temporary name and is renamed into place: never half a store.
  // A verified backup always holds the store, so the loop replaces this with the store's own answer.
  let nextOffset = manifest.lastOffset + 1;
  for (const file of manifest.files) {
    const target = join(dataDir, file.path);
    mkdirSync(resolve(target, '..'), { recursive: true, mode: 0o700 });
    cpSync(join(resolve(options.from), file.path), `${target}.restoring`);
    // The store's next offsets move past what the lost server may have handed out, before it is in place.
    if (file.path === STORE_FILE) nextOffset = skipOffsetsAfterRestore(`${target}.restoring`);
    renameSync(`${target}.restoring`, target);
  }
  return { manifest, nextOffset, ...(keptIn ? { keptIn } : {}) };
}
