/**
 * @module mcp-command
 * `umca mcp`: the MCP server over stdio. Point an MCP client at `umca mcp` (see .vscode/mcp.json).
 */
import { startStdioMcp } from '@umca/orchestrator';
import type { Command } from 'commander';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('Serve MCP over stdio (run_code, get_run, list_runs; runs as umca://runs/{id})')
    .option('--data-dir <dir>', 'where runs and events are kept (default .umca; env UMCA_DATA_DIR)')
    .option('--allow-reduced-isolation', 'run even without the OS sandbox (bubblewrap); weaker isolation')
    .action(async (flags: { dataDir?: string; allowReducedIsolation?: boolean }) => {
      try {
        const { closed } = await startStdioMcp({
          dataDir: flags.dataDir ?? process.env.UMCA_DATA_DIR ?? '.umca',
          ...(flags.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
        });
        await closed;
      } catch (error) {
        process.stderr.write(`umca: ${(error as Error).message}\n`);
        process.exitCode = 3;
      }
    });
}
