/**
 * @module main
 * The `umca` command line. Each subcommand lives in commands/ and registers itself here.
 */
import { Command, CommanderError } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command's module, by the names it registers. A command line naming one loads only that
 * module: `umca exec` then never loads the server, the store or the evaluations (~0.7 s of
 * imports before its first result); help and unknown names load them all.
 */
const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register> }> = [
  { names: ['exec'], load: async () => (await import('./commands/exec-command.js')).registerExecCommand },
  { names: ['serve'], load: async () => (await import('./commands/serve-command.js')).registerServeCommand },
  { names: ['worker'], load: async () => (await import('./commands/worker-command.js')).registerWorkerCommand },
  { names: ['migrate'], load: async () => (await import('./commands/migrate-command.js')).registerMigrateCommand },
  { names: ['backup', 'restore'], load: async () => (await import('./commands/backup-command.js')).registerBackupCommands },
  { names: ['mcp'], load: async () => (await import('./commands/mcp-command.js')).registerMcpCommand },
  { names: ['run'], load: async () => (await import('./commands/run-command.js')).registerRunCommand },
  { names: ['token'], load: async () => (await import('./commands/token-command.js')).registerTokenCommand },
  { names: ['policy'], load: async () => (await import('./commands/policy-command.js')).registerPolicyCommand },
  { names: ['eval', 'gate'], load: async () => (await import('./commands/eval-command.js')).registerEvalCommands },
  { names: ['evidence'], load: async () => (await import('./commands/evidence-command.js')).registerEvidenceCommands },
];

const program = new Command()
  .name('umca')
  .description('UMCA: a control plane for AI agents that write and run code')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();
const named = COMMANDS.find((command) => command.names.includes(process.argv[2] ?? ''));
for (const command of named ? [named] : COMMANDS) (await command.load())(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`umca: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  }
}
