/**
 * UMCA's MCP server against clients we did not write: the official MCP conformance suite (its
 * scenarios that apply to any server) and the Python MCP SDK as a second, independent client.
 * scripts/setup-test-tools.sh installs both (npm test runs it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useServer } from './support/use-server.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CONFORMANCE = `${ROOT}node_modules/@modelcontextprotocol/conformance/dist/index.js`;
const PYTHON = `${ROOT}node_modules/.umca-python/bin/python`;
const PYTHON_CHECK = fileURLToPath(new URL('./support/python/mcp_client_check.py', import.meta.url));

const server = useServer();

describe('the official MCP conformance suite', () => {
  it.each([
    'server-initialize',
    'ping',
    'tools-list',
    'logging-set-level',
    'resources-list',
    'prompts-list',
    'server-sse-multiple-streams',
    'dns-rebinding-protection',
  ])(
    'passes %s',
    async (scenario) => {
      expect(existsSync(CONFORMANCE), 'run scripts/setup-test-tools.sh (npm test does)').toBe(true);
      const { stdout } = await run(
        'npx',
        ['--yes', 'node@22', CONFORMANCE, 'server', '--url', `${server().url}/mcp`, '--scenario', scenario],
        {
          timeout: 120_000,
        },
      ).catch((error: { stdout?: string; stderr?: string }) => {
        throw new Error(`conformance ${scenario} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      });
      expect(stdout).toMatch(/Passed: (\d+)\/\1, 0 failed/);
    },
    150_000,
  );
});

describe('the Python MCP SDK as a client', () => {
  it.each(['auto', 'legacy'])('lists tools, runs code and gets the run (mode %s)', async (mode) => {
    expect(existsSync(PYTHON), 'run scripts/setup-test-tools.sh (npm test does)').toBe(true);
    const { stdout } = await run(PYTHON, [PYTHON_CHECK, `${server().url}/mcp`, mode], { timeout: 60_000 });
    const seen = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(seen.tools).toEqual(['create_session', 'end_session', 'get_run', 'list_runs', 'run_code', 'run_task']);
    expect(seen.structured).toMatchObject({ status: 'ok', stdout: '45\n', runId: expect.any(String) });
    expect(seen.isError).toBe(false);
    expect(seen.logged).toEqual(['45\n']);
    expect(seen.run).toMatchObject({ id: seen.structured.runId, status: 'ok' });
  });
});
