/**
 * @module main
 * The `umca` command line. Each subcommand lives in commands/ and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { registerBackupCommands } from './commands/backup-command.js';
import { registerEvalCommands } from './commands/eval-command.js';
import { registerEvidenceCommands } from './commands/evidence-command.js';
import { registerExecCommand } from './commands/exec-command.js';
import { registerMcpCommand } from './commands/mcp-command.js';
import { registerMigrateCommand } from './commands/migrate-command.js';
import { registerPolicyCommand } from './commands/policy-command.js';
import { registerRunCommand } from './commands/run-command.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerTokenCommand } from './commands/token-command.js';
import { registerWorkerCommand } from './commands/worker-command.js';

const program = new Command()
  .name('umca')
  .description('UMCA: a control plane for AI agents that write and run code')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();
registerExecCommand(program);
registerServeCommand(program);
registerWorkerCommand(program);
registerMigrateCommand(program);
registerBackupCommands(program);
registerMcpCommand(program);
registerRunCommand(program);
registerTokenCommand(program);
registerPolicyCommand(program);
registerEvalCommands(program);
registerEvidenceCommands(program);

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
