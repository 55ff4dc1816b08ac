/**
 * The upstream servers' configuration in process: a `umca.mcp-servers.v1` file read and refused
 * naming the field, `${NAME}` taken from the environment (a missing one named, never sent empty),
 * and `--mcp-server name=url` flags.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMcpServerFlag, readMcpServers } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'umca-mcp-servers-'));
const file = (name: string, value: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};

describe('the MCP servers file', () => {
  it('gives each server its defaults and its secrets from the environment', () => {
    const path = file('ok.json', {
      version: 'umca.mcp-servers.v1',
      servers: [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is the file format's reference to an environment variable
        { name: 'ragflow', transport: 'http', url: 'http://127.0.0.1:9382/mcp', auth: { type: 'bearer', token: '${RAGFLOW_KEY}' } },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is the file format's reference to an environment variable
        { name: 'local', transport: 'stdio', command: 'python3', args: ['server.py'], env: { API: 'key-${LOCAL_KEY}' }, timeoutMs: 5000 },
      ],
    });
    expect(readMcpServers(path, { RAGFLOW_KEY: 'ragflow-secret', LOCAL_KEY: 'k' })).toEqual([
      {
        name: 'ragflow',
        transport: 'http',
        url: 'http://127.0.0.1:9382/mcp',
        auth: { type: 'bearer', token: 'ragflow-secret' },
        timeoutMs: 30_000,
      },
      { name: 'local', transport: 'stdio', command: 'python3', args: ['server.py'], env: { API: 'key-k' }, timeoutMs: 5000 },
    ]);
  });

  it('reads the example this repository ships', () => {
    const example = join(import.meta.dirname, '../../../ops/mcp/example-mcp-servers.json');
    const servers = readMcpServers(example, { RAGFLOW_API_KEY: 'k', DIFY_ORDERS_SERVER_CODE: 'c', MY_SERVER_TOKEN: 't' });
    expect(servers.map((server) => [server.name, server.transport])).toEqual([
      ['ragflow', 'http'],
      ['dify-orders', 'http'],
      ['files', 'stdio'],
    ]);
  });

  it('names the variable a field needs when it is not set, rather than sending an empty credential', () => {
    const path = file('secret.json', {
      version: 'umca.mcp-servers.v1',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is the file format's reference to an environment variable
      servers: [{ name: 'dify', transport: 'http', url: 'http://dify/mcp', headers: { Authorization: 'Bearer ${DIFY_KEY}' } }],
    });
    expect(() => readMcpServers(path, {})).toThrow(
      `the MCP servers file ${path}: servers[0].headers.Authorization needs the environment variable DIFY_KEY, which is not set`,
    );
  });

  it('is refused naming each field that is wrong', () => {
    expect(() => readMcpServers(join(dir, 'nope.json'))).toThrow(`there is no MCP servers file at ${join(dir, 'nope.json')}`);
    expect(() => readMcpServers(file('broken.json', '{'))).toThrow(/cannot read the MCP servers file .*broken.json/);
    const bad = file('bad.json', {
      version: 'umca.mcp-servers.v1',
      servers: [
        { name: 'Bad Name', transport: 'http', url: 'ftp://x' },
        { name: 'a', transport: 'carrier-pigeon' },
        { name: 'b', transport: 'stdio', command: 'x', timeoutMs: 5 },
      ],
    });
    expect(() => readMcpServers(bad)).toThrow(
      /servers\[0\]\.name lowercase letters.*servers\[0\]\.url must be the server's http\(s\) MCP endpoint.*servers\[1\]\.transport .*servers\[2\]\.timeoutMs is too small: at least 100/,
    );
    const twice = file('twice.json', {
      version: 'umca.mcp-servers.v1',
      servers: [
        { name: 'a', transport: 'stdio', command: 'x' },
        { name: 'a', transport: 'stdio', command: 'y' },
      ],
    });
    expect(() => readMcpServers(twice)).toThrow(/servers server names must be unique/);
  });
});

describe('--mcp-server', () => {
  it('takes name=url, and says the form otherwise', () => {
    expect(parseMcpServerFlag('ragflow=http://127.0.0.1:9382/mcp')).toEqual({
      name: 'ragflow',
      transport: 'http',
      url: 'http://127.0.0.1:9382/mcp',
      timeoutMs: 30_000,
    });
    expect(() => parseMcpServerFlag('http://127.0.0.1/mcp')).toThrow(
      '--mcp-server "http://127.0.0.1/mcp" must be name=url, e.g. ragflow=http://127.0.0.1:9382/mcp',
    );
    expect(() => parseMcpServerFlag('x=notaurl')).toThrow(
      /--mcp-server "x=notaurl" must be name=url.*url must be the server's http\(s\) MCP endpoint/,
    );
  });
});
