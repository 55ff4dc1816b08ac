/**
 * A client generated from the served /openapi.json, untouched, against a real `umca serve`: the
 * Python client openapi-python-client writes (PyPI, installed by scripts/setup-test-tools.sh),
 * whose models reject an answer the document does not describe. support/python/
 * generated_client_check.py calls every operation with it, parses every event of a stream into
 * the model of its type, and runs a task on the server's default model (the real local GGUF one,
 * one round of few tokens: bounded by work).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testGguf } from '../../../packages/models/test/support/test-gguf.js';
import { useServer } from './support/use-server.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const VENV = `${ROOT}node_modules/.umca-python/bin`;
const CHECK = fileURLToPath(new URL('./support/python/generated_client_check.py', import.meta.url));

const server = useServer({ config: { model: `local:${testGguf()}` } });

describe('a Python client generated from /openapi.json', () => {
  it('is generated without warnings and answers every operation as documented', async () => {
    expect(existsSync(`${VENV}/openapi-python-client`), 'run scripts/setup-test-tools.sh (npm test does)').toBe(true);
    const folder = mkdtempSync(join(tmpdir(), 'umca-generated-'));
    const config = join(folder, 'config.json');
    // No post-hooks: they would run ruff, a formatter, which the generated code does not need to work.
    writeFileSync(config, JSON.stringify({ post_hooks: [] }));
    const generated = await run(
      `${VENV}/openapi-python-client`,
      ['generate', '--url', `${server().url}/openapi.json`, '--config', config],
      {
        cwd: folder,
        timeout: 300_000,
      },
    );
    expect(`${generated.stdout}${generated.stderr}`).not.toMatch(/warning|error/i);
    // Python's own warnings about the generated code (a SyntaxWarning at import) fail the check too.
    const checked = await run(`${VENV}/python`, ['-W', 'error::SyntaxWarning', CHECK, server().url, join(folder, 'umca-api-client')], {
      timeout: 600_000,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`the generated client failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    expect(checked.stdout).toContain('generated client: every operation answered as documented');
  }, 900_000);
});
