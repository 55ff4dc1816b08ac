/**
 * @module backup-command
 * `umca backup` and `umca restore`: an embedded UMCA's data directory (the store and UMCA's own
 * signing keys) to a backup folder and back (docs/runbooks/backup-restore.md). A backup is taken
 * while the server runs; a restore wants it stopped. PostgreSQL stores are backed up with its own
 * tools (pg_dump), not these commands.
 */
import { resolve } from 'node:path';
import { BackupError, backupDataDir, restoreDataDir } from '@umca/orchestrator';
import type { Command } from 'commander';

const EXIT = '\nExit status: 0 done; 2 refused (nothing was changed: the message says why); 3 it failed.';

function fail(error: unknown): void {
  process.stderr.write(`umca: ${(error as Error).message}\n`);
  process.exitCode = error instanceof BackupError && error.code !== 'failed' ? 2 : 3;
}

const dataDirOf = (flag: string | undefined) => resolve(flag ?? process.env.UMCA_DATA_DIR ?? '.umca');

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description("Back up an embedded UMCA's data directory (its store, online, and its signing keys) into a new folder")
    .requiredOption('--to <dir>', 'the new folder to write the backup to (it must not exist)')
    .option('--data-dir <dir>', 'the data directory (default .umca; env UMCA_DATA_DIR)')
    .addHelpText('after', EXIT)
    .action(async (flags: { to: string; dataDir?: string }) => {
      if ((process.env.UMCA_STORE ?? 'embedded') !== 'embedded') {
        process.stderr.write('umca: UMCA_STORE names a PostgreSQL store: back it up with pg_dump (docs/runbooks/backup-restore.md)\n');
        process.exitCode = 2;
        return;
      }
      const started = performance.now();
      try {
        const manifest = await backupDataDir({ dataDir: dataDirOf(flags.dataDir), to: flags.to });
        const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
        process.stdout.write(
          `backed up ${manifest.dataDir} to ${resolve(flags.to)}: ${manifest.runs} runs, ${manifest.events} events (last offset ${manifest.lastOffset}), schema ${manifest.schema}, ${manifest.files.length} files, ${bytes} bytes, in ${Math.round(performance.now() - started)} ms\n`,
        );
      } catch (error) {
        fail(error);
      }
    });
  program
    .command('restore')
    .description('Restore a backup made by `umca backup` into a data directory (stop the server using it first)')
    .requiredOption('--from <dir>', 'the backup folder')
    .option('--data-dir <dir>', 'the data directory to restore into (default .umca; env UMCA_DATA_DIR)')
    .option('--force', 'replace a store that is there (kept in before-restore-<time>/), or restore over one a crashed server left open')
    .addHelpText('after', EXIT)
    .action((flags: { from: string; dataDir?: string; force?: boolean }) => {
      const started = performance.now();
      try {
        const { manifest, keptIn } = restoreDataDir({ dataDir: dataDirOf(flags.dataDir), from: flags.from, force: flags.force === true });
        process.stdout.write(
          `restored ${resolve(flags.from)} (made ${manifest.createdAt}) into ${dataDirOf(flags.dataDir)}: ${manifest.runs} runs, ${manifest.events} events (last offset ${manifest.lastOffset}), schema ${manifest.schema}, in ${Math.round(performance.now() - started)} ms${keptIn ? `; what it replaced is in ${keptIn}` : ''}\n`,
        );
      } catch (error) {
        fail(error);
      }
    });
}
