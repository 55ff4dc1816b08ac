/**
 * @module mcp-command
 * `umca mcp`: the MCP server over stdio. Point an MCP client at `umca mcp` (see .vscode/mcp.json).
 */
import { ConfigError, modelSettingsFromEnvironment, startStdioMcp } from '@umca/orchestrator';
import type { Command } from 'commander';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('Serve MCP over stdio (run_code, run_task, get_run, list_runs; runs as umca://runs/{id})')
    .option('--data-dir <dir>', 'where runs and events are kept (default .umca; env UMCA_DATA_DIR)')
    .option('--allow-reduced-isolation', 'run even without the OS sandbox (bubblewrap); weaker isolation')
    .option('--model <provider:model>', "default model for run_task (env UMCA_MODEL); without one, the client's own model (sampling)")
    .action(async (flags: { dataDir?: string; allowReducedIsolation?: boolean; model?: string }) => {
      try {
        const { closed } = await startStdioMcp({
          dataDir: flags.dataDir ?? process.env.UMCA_DATA_DIR ?? '.umca',
          ...(flags.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
          ...modelSettingsFromEnvironment(),
          ...(flags.model ? { model: flags.model } : {}),
          allowSampling: process.env.UMCA_MCP_SAMPLING !== 'deny',
        });
        await closed;
      } catch (error) {
        process.stderr.write(`umca: ${(error as Error).message}\n`);
        process.exitCode = error instanceof ConfigError ? 2 : 3;
      }
    });
}
