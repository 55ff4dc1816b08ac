/**
 * @module backup-command
 * `umca backup` and `umca restore`: an embedded UMCA's data directory (the store and UMCA's own
 * signing keys) to a backup folder and back (docs/runbooks/backup-restore.md). A backup is taken
 * while the server runs; a restore wants it stopped. PostgreSQL stores are backed up with its own
 * tools (pg_dump), not these commands.
 */
import { resolve } from 'node:path';
import { BackupError, backupDataDir, backupInto, latestBackup, restoreDataDir } from '@umca/orchestrator';
import type { Command } from 'commander';

const EXIT = '\nExit status: 0 done; 2 refused (nothing was changed: the message says why); 3 it failed.';

function fail(error: unknown): void {
  process.stderr.write(`umca: ${(error as Error).message}\n`);
  process.exitCode = error instanceof BackupError && error.code !== 'failed' ? 2 : 3;
}

function refuse(message: string): void {
  process.stderr.write(`umca: ${message}\n`);
  process.exitCode = 2;
}

const NOT_EMBEDDED =
  'umca backup and umca restore copy the embedded store (SQLite in --data-dir) only, and UMCA_STORE names a PostgreSQL store: back it up with pg_dump and restore it with pg_restore, as docs/runbooks/postgres-backup.md shows';

const dataDirOf = (flag: string | undefined) => resolve(flag ?? process.env.UMCA_DATA_DIR ?? '.umca');

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description("Back up an embedded UMCA's data directory (its store, online, and its signing keys) into a new folder")
    .option('--to <dir>', 'the new folder to write the backup to (it must not exist)')
    .option('--into <dir>', 'or: a folder of backups, where it goes as a new umca-<UTC time> folder (for schedules)')
    .option('--keep <n>', 'with --into: then remove all but the newest N backups there')
    .option('--data-dir <dir>', 'the data directory (default .umca; env UMCA_DATA_DIR)')
    .addHelpText('after', EXIT)
    .action(async (flags: { to?: string; into?: string; keep?: string; dataDir?: string }) => {
      if ((process.env.UMCA_STORE ?? 'embedded') !== 'embedded') {
        return refuse(NOT_EMBEDDED);
      }
      if ((flags.to === undefined) === (flags.into === undefined))
        return refuse('give one of --to <new folder> or --into <folder of backups>');
      if (flags.keep !== undefined && flags.into === undefined) return refuse('--keep goes with --into (a folder of backups), not --to');
      const keep = flags.keep === undefined ? undefined : Number(flags.keep);
      if (keep !== undefined && !(Number.isInteger(keep) && keep >= 1))
        return refuse(`--keep must be a whole number of backups, 1 or more, not ${flags.keep}`);
      const started = performance.now();
      try {
        const dataDir = dataDirOf(flags.dataDir);
        const outcome = flags.into
          ? await backupInto({ dataDir, into: flags.into, ...(keep ? { keep } : {}) })
          : { to: resolve(flags.to ?? ''), manifest: await backupDataDir({ dataDir, to: flags.to ?? '' }), removed: [] };
        const { manifest } = outcome;
        const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
        process.stdout.write(
          `backed up ${manifest.dataDir} to ${outcome.to}: ${manifest.runs} runs, ${manifest.events} events (last offset ${manifest.lastOffset}), schema ${manifest.schema}, ${manifest.files.length} files, ${bytes} bytes, in ${Math.round(performance.now() - started)} ms${outcome.removed.length ? `; removed ${outcome.removed.length} older: ${outcome.removed.join(', ')}` : ''}\n`,
        );
      } catch (error) {
        fail(error);
      }
    });
  program
    .command('restore')
    .description('Restore a backup made by `umca backup` into a data directory (stop the server using it first)')
    .option('--from <dir>', 'the backup folder')
    .option('--latest-in <dir>', 'or: the newest backup in this folder of backups (umca backup --into) that verifies')
    .option('--data-dir <dir>', 'the data directory to restore into (default .umca; env UMCA_DATA_DIR)')
    .option('--force', 'replace a store that is there (kept in before-restore-<time>/), or restore over one a crashed server left open')
    .addHelpText('after', EXIT)
    .action((flags: { from?: string; latestIn?: string; dataDir?: string; force?: boolean }) => {
      if ((process.env.UMCA_STORE ?? 'embedded') !== 'embedded') return refuse(NOT_EMBEDDED);
      if ((flags.from === undefined) === (flags.latestIn === undefined))
        return refuse('give one of --from <backup> or --latest-in <folder of backups>');
      const started = performance.now();
      try {
        const latest = flags.latestIn ? latestBackup(flags.latestIn) : undefined;
        for (const { folder, reason } of latest?.skipped ?? []) process.stderr.write(`umca: passed over ${folder}: ${reason}\n`);
        const from = latest?.from ?? resolve(flags.from ?? '');
        const { manifest, keptIn, nextOffset } = restoreDataDir({ dataDir: dataDirOf(flags.dataDir), from, force: flags.force === true });
        process.stdout.write(
          `restored ${from} (made ${manifest.createdAt}) into ${dataDirOf(flags.dataDir)}: ${manifest.runs} runs, ${manifest.events} events (last offset ${manifest.lastOffset}), schema ${manifest.schema}; new events start at offset ${nextOffset}; in ${Math.round(performance.now() - started)} ms${keptIn ? `; what it replaced is in ${keptIn}` : ''}\n`,
        );
      } catch (error) {
        fail(error);
      }
    });
}
