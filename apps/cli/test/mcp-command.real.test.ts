/**
 * `umca mcp`: the MCP server over stdio, started as a subprocess by the SDK client, as VS Code
 * starts it from .vscode/mcp.json.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/umca.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('umca mcp (stdio)', () => {
  it('serves run_code to the SDK client and stops when the client goes away', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'umca-mcp-stdio-'));
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--data-dir', dataDir], stderr: 'pipe' });
    const client = new Client({ name: 'umca-test', version: '1.0.0' });
    await client.connect(transport);
    const result = await client.callTool({ name: 'run_code', arguments: { language: 'javascript', code: 'console.log(6 * 7)' } });
    expect(result.structuredContent).toMatchObject({ status: 'ok', stdout: '42\n' });
    const listed = await client.callTool({ name: 'list_runs', arguments: {} });
    expect((listed.structuredContent as { runs: unknown[] }).runs).toHaveLength(1);
    await client.close();
  });

  it('starts from the umca-stdio entry of .vscode/mcp.json, as VS Code would', async () => {
    const config = JSON.parse(readFileSync(join(ROOT, '.vscode', 'mcp.json'), 'utf8'));
    expect(config.servers['umca-http']).toMatchObject({ type: 'http', url: 'http://127.0.0.1:8787/mcp' });
    const entry = config.servers['umca-stdio'] as { command: string; args: string[]; env: Record<string, string> };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the variable VS Code expands
    const expand = (value: string) => value.replaceAll('${workspaceFolder}', ROOT.replace(/\/$/, ''));
    const dataDir = mkdtempSync(join(tmpdir(), 'umca-mcp-vscode-'));
    const transport = new StdioClientTransport({
      command: entry.command === 'node' ? process.execPath : entry.command,
      args: entry.args.map(expand),
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(entry.env).map(([key, value]) => [key, expand(value)])),
        UMCA_DATA_DIR: dataDir,
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'vscode-like', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'create_session',
      'end_session',
      'get_run',
      'list_runs',
      'run_code',
      'run_task',
    ]);
    await client.close();
  });

  it.each([
    [['--model', 'nosuch:x'], {}, '--model: no model provider is called "nosuch"'],
    [[], { UMCA_MODEL: 'nosuch:x' }, 'UMCA_MODEL: no model provider is called "nosuch"'],
    [[], { UMCA_MCP_SAMPLING: 'maybe' }, 'UMCA_MCP_SAMPLING="maybe": must be allow (the default) or deny'],
  ])('refuses bad settings %j %j with exit code 2 and leaves no data directory behind', async (args, env, message) => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'umca-mcp-refused-')), 'data');
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'mcp', '--data-dir', dataDir, ...args],
        { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(dataDir)).toBe(false);
  });
});
