/**
 * @module migrate-command
 * `umca migrate`: brings the store's schema up to this UMCA's and says what it did. Servers and
 * workers migrate at start as well; run this first on purpose, before starting new versions.
 */

import { resolve } from 'node:path';
import { ConfigError, checkScaleOut, migrateStore } from '@umca/orchestrator';
import type { Command } from 'commander';

interface MigrateFlags {
  store?: string;
  dataDir?: string;
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description("Bring the store's schema up to date (servers and workers also do at start)")
    .option('--store <url>', 'embedded (SQLite in --data-dir, the default) or postgres://user:password@host:5432/db (env UMCA_STORE)')
    .option('--data-dir <dir>', "the embedded store's folder (default .umca; env UMCA_DATA_DIR)")
    .addHelpText(
      'after',
      '\nExit status: 0 migrated or already current; 2 bad settings; 3 the store could not be opened or is newer than this UMCA.',
    )
    .action(async (flags: MigrateFlags) => {
      const store = flags.store ?? process.env.UMCA_STORE ?? 'embedded';
      const problems = checkScaleOut({ store, bus: 'embedded' }, { store: flags.store ? '--store' : 'UMCA_STORE' });
      if (problems.length > 0) {
        process.stderr.write(`umca: ${problems.join('\n  ')}\n`);
        process.exitCode = 2;
        return;
      }
      try {
        const outcome = await migrateStore({ store, dataDir: resolve(flags.dataDir ?? process.env.UMCA_DATA_DIR ?? '.umca') });
        process.stdout.write(
          outcome.from === outcome.to
            ? `${outcome.location}: schema ${outcome.to}, already current\n`
            : `${outcome.location}: migrated from schema ${outcome.from} to ${outcome.to}\n`,
        );
      } catch (error) {
        process.stderr.write(`umca: ${(error as Error).message}\n`);
        process.exitCode = error instanceof ConfigError ? 2 : 3;
      }
    });
}
