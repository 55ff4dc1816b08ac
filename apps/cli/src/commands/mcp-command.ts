/**
 * @module mcp-command
 * `umca mcp`: the MCP server over stdio. Point an MCP client at `umca mcp` (see .vscode/mcp.json).
 * Its settings are checked before the data directory is opened, so a refusal leaves nothing behind.
 */
import { ConfigError, checkModelSettings, modelSettingsFromEnvironment, startStdioMcp } from '@umca/orchestrator';
import type { Command } from 'commander';

interface McpFlags {
  dataDir?: string;
  allowReducedIsolation?: boolean;
  model?: string;
}

/** The settings, checked; throws ConfigError naming the flag or variable at fault. */
function resolveMcpSettings(flags: McpFlags, env: NodeJS.ProcessEnv) {
  const sampling = env.UMCA_MCP_SAMPLING || 'allow';
  if (sampling !== 'allow' && sampling !== 'deny') {
    throw new ConfigError(`UMCA_MCP_SAMPLING=${JSON.stringify(sampling)}: must be allow (the default) or deny`);
  }
  const fromEnvironment = modelSettingsFromEnvironment(env);
  const model = flags.model ?? fromEnvironment.model;
  checkModelSettings({ ...fromEnvironment, ...(model ? { model } : {}) }, env, {
    model: flags.model === undefined ? 'UMCA_MODEL' : '--model',
    fallbackModels: 'UMCA_MODEL_FALLBACKS',
  });
  return {
    dataDir: flags.dataDir ?? env.UMCA_DATA_DIR ?? '.umca',
    ...(flags.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
    ...fromEnvironment,
    ...(model ? { model } : {}),
    allowSampling: sampling === 'allow',
  };
}

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('Serve MCP over stdio (run_code, run_task, get_run, list_runs; runs as umca://runs/{id}; prompts)')
    .option('--data-dir <dir>', 'where runs and events are kept (default .umca; env UMCA_DATA_DIR)')
    .option('--allow-reduced-isolation', 'run even without the OS sandbox (bubblewrap); weaker isolation')
    .option('--model <provider:model>', "default model for run_task (env UMCA_MODEL); without one, the client's own model (sampling)")
    .addHelpText(
      'after',
      "\nEnvironment: UMCA_MODEL_FALLBACKS (comma-separated), UMCA_MCP_SAMPLING=allow|deny (may run_task use the client's model; default allow).\nExit status: 0 when the client closes the connection; 2 bad settings (nothing is opened); 3 the service could not start (the sandbox or the data directory).",
    )
    .action(async (flags: McpFlags) => {
      try {
        const { closed } = await startStdioMcp(resolveMcpSettings(flags, process.env));
        await closed;
      } catch (error) {
        process.stderr.write(`umca: ${(error as Error).message}\n`);
        process.exitCode = error instanceof ConfigError ? 2 : 3;
      }
    });
}
