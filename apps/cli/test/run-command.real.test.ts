/**
 * `umca run` as a user runs it: a separate process with a real sandbox, its model the scripted
 * OpenAI-compatible TEST DOUBLE (hosted models cannot be reached from the test machines; see its
 * file), embedded and against a running server.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_GOOD, ADD_PLAN, ADD_WRONG, scriptAgent } from '../../../packages/models/test/support/scripted-agent.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../../packages/models/test/support/scripted-openai-server.js';
import { useServer } from '../../orchestrator/test/support/use-server.js';

const BIN = fileURLToPath(new URL('../bin/umca.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'umca-cli-run-'));

let model: ScriptedOpenAiServer;
beforeAll(async () => {
  model = await startScriptedOpenAiServer();
});
afterAll(() => model.close());
const server = useServer({ modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }) });

function umca(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: work,
        timeout: 60_000,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl, ...env },
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('umca run', () => {
  it('runs in this process beside a live server on the same data directory, leaving its runs in progress alone', async () => {
    const started = await fetch(`${server().url}/v1/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ language: 'python', code: 'import time\ntime.sleep(20)', limits: { timeoutMs: 60_000 } }),
    });
    const { runId } = (await started.json()) as { runId: string };
    scriptAgent(model, ADD_PLAN, [ADD_GOOD]);
    const { code } = await umca(['run', '--embedded', '--data-dir', server().dataDir, '-m', 'scripted:coder', 'write add(a, b)']);
    expect(code).toBe(0);
    expect(((await (await fetch(`${server().url}/v1/runs/${runId}`)).json()) as { status: string }).status).toBe('running');
    await fetch(`${server().url}/v1/runs/${runId}/cancel`, { method: 'POST' });
  });

  it('runs a task in this process and prints the final code, with the steps on stderr', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_WRONG, ADD_GOOD]);
    const { code, stdout, stderr } = await umca(['run', '--embedded', '-m', 'scripted:coder', 'write add(a, b)']);
    expect(code).toBe(0);
    expect(stdout).toBe('def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n');
    expect(stderr).toContain('task write add(a, b)');
    expect(stderr).toMatch(/check #1 ✗ fail: 0\/2 checks passed/);
    expect(stderr).toContain('✗ check 1: assert add(2, 3) == 5: AssertionError\n');
    expect(stderr).toMatch(/check #2 … ✓ pass: 2\/2/);
    expect(stderr).not.toContain('UMCA_CHECKS');
    expect(stderr).toMatch(/umca: pass after 2 round\(s\), \d+ tokens, run run_/);
  });

  it('prints exactly one JSON object with --json, and exits 1 when the checks do not pass', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_WRONG]);
    const { code, stdout } = await umca(['run', '--embedded', '--json', '--max-iterations', '1', 'write add(a, b)'], {
      UMCA_MODEL: 'scripted:coder',
    });
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'error', verdict: 'fail', models: ['scripted:coder'] });
  });

  it('runs on a server when given one, so the run is kept there', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_GOOD]);
    const { code, stdout } = await umca(['run', '--server', server().url, '--json', '-m', 'scripted:coder', 'write add(a, b)']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ verdict: 'pass', stdout: '5\n' });
    const run = await (await fetch(`${server().url}/v1/runs/${result.runId}`)).json();
    expect(run).toMatchObject({ kind: 'task', status: 'ok' });
    // Its events are on the server's stream, as for any run there.
    const events = await (await fetch(`${server().url}/v1/runs/${result.runId}/events`)).text();
    for (const type of ['task.created', 'model.called', 'code.executed', 'checks.evaluated', 'run.ended']) {
      expect(events).toContain(`"type":"dev.umca.${type}.v1"`);
    }
  });

  it.each([
    [
      ['run', '--embedded', 'write add'],
      ['--model', 'UMCA_MODEL'],
    ],
    [['run', '--embedded', '-m', 'nosuch:x', 'write add'], ['--model: no model provider is called "nosuch"']],
    [['run', '--embedded', '-m', 'qwen:qwen-max', 'write add'], ['--model: the qwen provider needs an API key']],
    [
      ['run', '--embedded', '-m', 'scripted:coder', '--max-iterations', 'many', 'write add'],
      ['--max-iterations takes a whole number from 1 to 10'],
    ],
    [['run', '--embedded', '-m', 'scripted:coder', '--language', 'cobol', 'write add'], ['--language "cobol" must be one of']],
    [
      ['run', '--embedded', '-m', 'scripted:coder', '--timeout-ms', '0', 'write add'],
      ['--timeout-ms takes a whole number of ms from 1 to'],
    ],
  ])('%j exits 2 with a message that says what to fix, and leaves no data directory behind', async (args, fragments) => {
    const dataDir = join(work, `refused-${Math.random().toString(36).slice(2)}`);
    const { code, stderr, stdout } = await umca([...args, '--data-dir', dataDir]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    for (const fragment of fragments) expect(stderr).toContain(fragment);
    expect(stderr).not.toMatch(/"model"|limits\.|maxIterations/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('exits 2 with the server’s reason when the server refuses the task', async () => {
    const { code, stderr } = await umca(['run', '--server', server().url, '-m', 'qwen:qwen-max', 'write add']);
    expect(code).toBe(2);
    expect(stderr).toContain('DASHSCOPE_API_KEY');
  });

  it('on a server with no default model, names --model, UMCA_MODEL and the server it chose', async () => {
    const { code, stderr } = await umca(['run', '--server', server().url, 'write add']);
    expect(code).toBe(2);
    expect(stderr).toContain(`the server at ${server().url} (given with --server) has no default model`);
    expect(stderr).toContain('--model');
    expect(stderr).toContain('UMCA_MODEL');
    expect(stderr).not.toContain('"model"');
  });

  it('sends UMCA_MODEL to the server when --model is absent', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_GOOD]);
    const { code, stdout } = await umca(['run', '--server', server().url, '--json', 'write add(a, b)'], { UMCA_MODEL: 'scripted:coder' });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ verdict: 'pass', models: ['scripted:coder'] });
  });

  it('names the server it could not reach and how it was chosen', async () => {
    const { code, stderr } = await umca(['run', '-m', 'scripted:coder', 'write add'], { UMCA_SERVER: 'http://127.0.0.1:9' });
    expect(code).toBe(2);
    expect(stderr).toContain('no UMCA server answered at http://127.0.0.1:9 (from UMCA_SERVER)');
  });
});
