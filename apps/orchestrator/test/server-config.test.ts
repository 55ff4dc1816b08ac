/**
 * `umca serve`'s configuration, in process: every problem is named where the user gave the
 * value (a flag, an environment variable, a key in the config file), with the range allowed, and
 * a wheelhouse that is not a folder is refused before anything is opened.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveServerConfig, resolveServerConfigWithSources } from '../src/index.js';

const cwd = mkdtempSync(join(tmpdir(), 'umca-config-'));

function problems(options: Parameters<typeof resolveServerConfig>[0]): string {
  try {
    resolveServerConfig({ cwd, env: {}, ...options });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('the server configuration', () => {
  it('names a bad flag, with the range allowed', () => {
    expect(problems({ flags: { port: 'eighty', concurrency: '0' } })).toBe(
      'the server configuration is invalid:\n  --port "eighty": must be a whole number from 0 to 65535\n  --concurrency "0": must be a whole number from 1 to 256',
    );
  });

  it('names a bad environment variable as it was set', () => {
    expect(problems({ env: { UMCA_PORT: '70000', UMCA_LOG_LEVEL: 'loud' } })).toMatch(
      /UMCA_PORT="70000": must be a whole number from 0 to 65535\n {2}UMCA_LOG_LEVEL="loud": Invalid option/,
    );
  });

  it('names a bad key of the config file, and the file for a key it does not know', () => {
    const file = join(cwd, 'bad.json');
    writeFileSync(file, JSON.stringify({ port: 'x', bogus: 1 }));
    const text = problems({ configPath: file });
    expect(text).toContain(`"port" in ${file}: must be a whole number from 0 to 65535`);
    expect(text).toContain(`the config file ${file}: Unrecognized key: "bogus"`);
  });

  it('lets a flag win over the environment, and says which one was used', () => {
    const { config, sources } = resolveServerConfigWithSources({ cwd, env: { UMCA_MODEL: 'ollama:a' }, flags: { model: 'ollama:b' } });
    expect(config.model).toBe('ollama:b');
    expect(sources.model).toBe('--model "ollama:b"');
  });

  it('keeps the embedded store and bus by default, and takes PostgreSQL, RocketMQ and remote workers from flags or the environment', () => {
    expect(resolveServerConfig({ cwd, env: {} })).toMatchObject({ store: 'embedded', bus: 'embedded', workers: 'local', maxQueued: 1000 });
    const env = {
      UMCA_STORE: 'postgres://umca:secret@db:5432/umca',
      UMCA_BUS: 'rocketmq://mq:8081',
      UMCA_WORKERS: 'remote',
      UMCA_MAX_QUEUED: '50',
    };
    expect(resolveServerConfig({ cwd, env })).toMatchObject({ store: env.UMCA_STORE, bus: env.UMCA_BUS, workers: 'remote', maxQueued: 50 });
  });

  it('names a store or bus URL it cannot use, and combinations that cannot work, without saying a password', () => {
    const text = problems({ flags: { store: 'mysql://u:secret@h/db', bus: 'kafka://h:9092', maxQueued: '0' } });
    expect(text).toContain("--store 'mysql://u:***@h/db' must start with postgres:// (or postgresql://)");
    expect(text).toContain("--bus 'kafka://h:9092' must start with rocketmq:// (or be 'embedded')");
    expect(text).toContain('--max-queued "0": must be a whole number from 1 to 1000000');
    expect(text).not.toContain('secret');
    expect(problems({ env: { UMCA_BUS: 'rocketmq://mq:8081' } })).toContain(
      'UMCA_BUS: a broker shares events between replicas, and they need one store to number them: give --store postgres://',
    );
    expect(problems({ flags: { workers: 'remote', store: 'postgres://u:p@db/umca' } })).toContain(
      '--workers remote: runs reach workers through RocketMQ and are recorded in PostgreSQL: give --bus rocketmq://host:8081',
    );
    expect(problems({ flags: { workers: 'elsewhere' } })).toMatch(
      /--workers "elsewhere": Invalid option: expected one of "local"\|"remote"/,
    );
  });

  it('keeps traces in the store by default, and names a bad tracing setting where it was given', () => {
    expect(resolveServerConfig({ cwd, env: {} })).toMatchObject({ tracing: 'on', traceContent: false, traceProject: 'umca' });
    expect(
      resolveServerConfig({
        cwd,
        env: { UMCA_TRACE_CONTENT: '1', UMCA_OTLP_ENDPOINT: 'http://127.0.0.1:6006', UMCA_TRACE_PROJECT: 'team' },
      }),
    ).toMatchObject({ traceContent: true, otlpEndpoint: 'http://127.0.0.1:6006', traceProject: 'team' });
    const text = problems({ flags: { tracing: 'maybe', otlpEndpoint: 'grpc://collector:4317' } });
    expect(text).toContain('--tracing "maybe": Invalid option: expected one of "on"|"off"');
    expect(text).toContain(
      '--otlp-endpoint "grpc://collector:4317": must be an http(s) URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:6006 (Phoenix)',
    );
  });

  it('names an upstream MCP server it cannot use, and a secret its file needs that is not set', () => {
    const file = join(cwd, 'mcp.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 'umca.mcp-servers.v1',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is the file format's reference to an environment variable
        servers: [{ name: 'ragflow', transport: 'http', url: 'http://r/mcp', auth: { type: 'bearer', token: '${RAGFLOW_TOKEN}' } }],
      }),
    );
    const text = problems({ flags: { mcpConfig: file, mcpServers: ['nourl', 'ragflow=http://other/mcp'] } });
    expect(text).toContain(
      `--mcp-config "${file}": the MCP servers file ${file}: servers[0].auth.token needs the environment variable RAGFLOW_TOKEN, which is not set`,
    );
    expect(text).toContain('--mcp-server "nourl" must be name=url, e.g. ragflow=http://127.0.0.1:9382/mcp');
    expect(resolveServerConfig({ cwd, env: { RAGFLOW_TOKEN: 't' }, flags: { mcpConfig: file } }).mcpConfig).toBe(file);
    expect(problems({ env: { RAGFLOW_TOKEN: 't' }, flags: { mcpConfig: file, mcpServers: ['ragflow=http://other/mcp'] } })).toContain(
      'the MCP server name ragflow is given twice',
    );
  });

  it('refuses a wheelhouse that is not a folder, saying where it looked', () => {
    expect(problems({ flags: { wheelhouse: 'nowhere' } })).toContain(
      `--wheelhouse "nowhere": there is no such folder (looked for ${join(cwd, 'nowhere')})`,
    );
  });

  it('says in words that a config file is missing', () => {
    expect(problems({ configPath: join(cwd, 'missing.json') })).toBe(
      `cannot read the config file ${join(cwd, 'missing.json')}: there is no such file`,
    );
  });
});
