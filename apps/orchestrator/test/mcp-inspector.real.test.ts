/**
 * UMCA's MCP server through the official MCP Inspector's CLI, over Streamable HTTP (a real
 * `umca serve`) and stdio (a real `umca mcp`, started by the Inspector): it lists tools (with its
 * --strict schema portability check), prompts, resources and templates, calls run_code, reads the
 * run's resource, gets a prompt and sets the log level. Every call must succeed with nothing on
 * the Inspector's stderr: no schema warning, no portability problem. The Inspector needs Node 22
 * (the npm package node@22); scripts/setup-test-tools.sh installs both (npm test runs it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { useServer } from './support/use-server.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const INSPECTOR = `${ROOT}node_modules/.umca-inspector/node_modules/@modelcontextprotocol/inspector`;
const LAUNCHER = `${INSPECTOR}/clients/launcher/build/index.js`;
const BIN = `${ROOT}apps/cli/bin/umca.js`;
// The Inspector keeps a catalog of servers and a storage folder under HOME: a folder of the test's, not the user's.
const HOME = mkdtempSync(join(tmpdir(), 'umca-inspector-home-'));

const server = useServer();
let node22 = '';

beforeAll(() => {
  expect(existsSync(LAUNCHER), 'run scripts/setup-test-tools.sh (npm test does)').toBe(true);
  node22 = execFileSync('npx', ['--yes', 'node@22', '-p', 'process.execPath'], { encoding: 'utf8' }).trim();
});

interface Inspected {
  code: number;
  stdout: string;
  stderr: string;
}

function inspect(target: readonly string[], args: readonly string[]): Promise<Inspected> {
  return new Promise((resolve) => {
    execFile(
      node22,
      [LAUNCHER, '--cli', ...target, ...args],
      { env: { PATH: process.env.PATH, HOME, MCP_CATALOG_PATH: join(HOME, 'catalog.json') }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A call that must succeed with nothing wrong said: exit 0, empty stderr; its JSON answer. */
async function clean(target: readonly string[], args: readonly string[]): Promise<Record<string, unknown>> {
  const result = await inspect(target, args);
  expect({ code: result.code, stderr: result.stderr }, `inspector ${args.join(' ')}`).toEqual({ code: 0, stderr: '' });
  return JSON.parse(result.stdout);
}

const stdioDataDir = mkdtempSync(join(tmpdir(), 'umca-inspector-stdio-'));
const transports: Array<[string, () => string[]]> = [
  ['Streamable HTTP (umca serve)', () => [`${server().url}/mcp`]],
  ['stdio (umca mcp)', () => ['-e', `UMCA_DATA_DIR=${stdioDataDir}`, process.execPath, BIN, 'mcp']],
];

describe.each(transports)('the MCP Inspector CLI over %s', (_, target) => {
  it('finds the tools well formed and portable (--strict), with the four tools', async () => {
    const listed = (await clean(target(), ['--method', 'tools/list', '--strict'])) as { tools: Array<{ name: string }> };
    expect(listed.tools.map((tool) => tool.name).sort()).toEqual([
      'create_session',
      'end_session',
      'get_run',
      'list_runs',
      'run_code',
      'run_task',
    ]);
  });

  it('lists the prompts and gets one with arguments', async () => {
    const listed = (await clean(target(), ['--method', 'prompts/list'])) as { prompts: Array<{ name: string }> };
    expect(listed.prompts.map((prompt) => prompt.name).sort()).toEqual(['analyse_data_file', 'hand_over_task', 'write_and_test_function']);
    const got = (await clean(target(), [
      '--method',
      'prompts/get',
      '--prompt-name',
      'write_and_test_function',
      '--prompt-args',
      'description=add two numbers',
      'language=javascript',
    ])) as { messages: Array<{ content: { text: string } }> };
    expect(got.messages[0]?.content.text).toContain('run_code with language "javascript"');
  });

  it('calls run_code, then finds and reads the run as a resource', async () => {
    const called = (await clean(target(), [
      '--method',
      'tools/call',
      '--tool-name',
      'run_code',
      '--tool-arg',
      'language=python',
      'code=print(6 * 7)',
    ])) as { structuredContent: { status: string; stdout: string; runId: string } };
    expect(called.structuredContent).toMatchObject({ status: 'ok', stdout: '42\n' });
    const uri = `umca://runs/${called.structuredContent.runId}`;

    const templates = (await clean(target(), ['--method', 'resources/templates/list'])) as {
      resourceTemplates: Array<{ uriTemplate: string }>;
    };
    expect(templates.resourceTemplates.map((template) => template.uriTemplate)).toEqual(['umca://runs/{runId}']);
    const listed = (await clean(target(), ['--method', 'resources/list'])) as { resources: Array<{ uri: string }> };
    expect(listed.resources.map((resource) => resource.uri)).toContain(uri);
    const read = (await clean(target(), ['--method', 'resources/read', '--uri', uri])) as {
      contents: Array<{ uri: string; text: string }>;
    };
    expect(read.contents.map((content) => content.uri)).toEqual([uri, `${uri}/output`, `${uri}/events`]);
    expect(read.contents[1]?.text).toBe('42\n');
  });

  it('sets the log level', async () => {
    await clean(target(), ['--method', 'logging/setLevel', '--log-level', 'warning']);
  });

  it('hears "Resource not found" (-32002) for a run that does not exist', async () => {
    const result = await inspect(target(), ['--method', 'resources/read', '--uri', 'umca://runs/run_nosuch']);
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain('MCP error -32002: Resource not found: there is no run run_nosuch');
  });
});
