/**
 * @module upstream-servers
 * The upstream MCP servers from the settings: the file (`--mcp-config`) and the flags
 * (`--mcp-server name=url`), together, checked once at start with every problem named where it
 * was given (a field of the file, a flag, a variable a secret needs), and no name given twice.
 */
import { resolve } from 'node:path';
import type { UpstreamServer } from '@umca/contracts';
import { parseMcpServerFlag, readMcpServers } from '@umca/upstream-tools';

export interface UpstreamServerSettings {
  readonly mcpConfig?: string;
  readonly mcpServers?: readonly string[];
}

interface Collected {
  readonly servers: UpstreamServer[];
  readonly problems: string[];
}

function collect(
  settings: UpstreamServerSettings,
  cwd: string,
  env: NodeJS.ProcessEnv,
  where: (key: 'mcpConfig' | 'mcpServers') => string,
): Collected {
  const servers: UpstreamServer[] = [];
  const problems: string[] = [];
  if (settings.mcpConfig) {
    try {
      servers.push(...readMcpServers(resolve(cwd, settings.mcpConfig), env));
    } catch (error) {
      problems.push(`${where('mcpConfig')}: ${(error as Error).message}`);
    }
  }
  for (const flag of settings.mcpServers ?? []) {
    try {
      const server = parseMcpServerFlag(flag);
      if (servers.some((known) => known.name === server.name))
        problems.push(`${where('mcpServers')}: the MCP server name ${server.name} is given twice`);
      else servers.push(server);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return { servers, problems };
}

/** Problems with the upstream servers, for the configuration's list. */
export function upstreamServerProblems(
  settings: UpstreamServerSettings,
  sources: Readonly<Partial<Record<string, string>>>,
  cwd: string,
  env: NodeJS.ProcessEnv,
): string[] {
  return collect(settings, cwd, env, (key) => sources[key] ?? (key === 'mcpConfig' ? '--mcp-config' : '--mcp-server')).problems;
}

/** The servers (the configuration has been checked; throws only on what it let through). */
export function upstreamServersFrom(settings: UpstreamServerSettings, env: NodeJS.ProcessEnv = process.env): UpstreamServer[] {
  const { servers, problems } = collect(settings, process.cwd(), env, (key) => (key === 'mcpConfig' ? '--mcp-config' : '--mcp-server'));
  if (problems.length) throw new Error(problems.join('; '));
  return servers;
}
