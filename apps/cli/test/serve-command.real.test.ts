/**
 * `umca serve` as a user starts it: a separate process whose first line of output is its URL.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/umca.js', import.meta.url));

function startServe(args: string[]) {
  // No provider key from the machine may leak in: the model settings test depends on its absence.
  const env = { ...process.env, DEEPSEEK_API_KEY: '', UMCA_PROVIDER_DEEPSEEK_API_KEY: '', UMCA_MODEL: '', UMCA_MODEL_FALLBACKS: '' };
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`umca serve exited with ${code}`)));
  });
  firstLine.catch(() => {}); // awaited where a test expects the server to start
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return { child, firstLine, stderr: () => stderr };
}

describe('umca serve', () => {
  it('prints its URL first once ready, serves, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'umca-cli-serve-'));
    const server = startServe(['--port', '0', '--data-dir', dataDir]);
    const url = await server.firstLine;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const result = await (
      await fetch(`${url}/v1/executions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"language":"python","code":"print(1)"}',
      })
    ).json();
    expect(result).toMatchObject({ status: 'ok', stdout: '1\n' });
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it.each([
    [['--port', 'eighty'], '--port "eighty": must be a whole number from 0 to 65535'],
    [['--host', '0.0.0.0'], '--unsafe-no-auth'],
    [['--config', '/nonexistent/umca.json'], 'cannot read the config file /nonexistent/umca.json: there is no such file'],
    [['--port', '0', '--wheelhouse', '/nonexistent/wheels'], '--wheelhouse "/nonexistent/wheels": there is no such folder'],
    [['--port', '0', '--log-level', 'loud'], '--log-level "loud"'],
    [['--port', '0', '--model', 'nosuch:model'], '--model "nosuch:model": no model provider is called "nosuch"'],
    [['--port', '0', '--model', 'local:/nowhere/model.gguf'], '/nowhere/model.gguf'],
    [['--port', '0', '--model', 'ollama:qwen2.5-coder:7b', '--fallback-model', 'deepseek:deepseek-chat'], 'DEEPSEEK_API_KEY'],
  ])('refuses bad configuration %j with exit code 2, says what to fix, and leaves no data directory behind', async (args, message) => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'umca-cli-serve-')), 'data');
    const server = startServe([...args, '--data-dir', dataDir]);
    const code = await new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    expect(code).toBe(2);
    expect(server.stderr()).toContain(message);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a port in use with exit code 3 before it opens the data directory', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const dataDir = join(mkdtempSync(join(tmpdir(), 'umca-cli-serve-')), 'data');
      const server = startServe(['--port', String(port), '--data-dir', dataDir]);
      const code = await new Promise<number | null>((resolve) => server.child.once('exit', resolve));
      expect(code).toBe(3);
      expect(server.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use; choose another with --port`);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
