/**
 * `runCode` and `runTask` against a real `umca serve`: output callbacks fire live and in order,
 * the result is the server's, aborting the signal cancels the run, and a task the server cannot
 * start is refused with the server's reason.
 */
import type { UmcaEvent } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { createClient, UmcaApiError, UmcaClientError } from '../src/index.js';
import { useServer } from './support/use-server.js';

const server = useServer();
const client = () => createClient({ baseUrl: server().url });

async function eventsOf(runId: string): Promise<UmcaEvent[]> {
  const events: UmcaEvent[] = [];
  for await (const { event } of client().followRun(runId)) events.push(event);
  return events;
}

describe('runCode', () => {
  it('runs Python, calling onStdout and onStderr with each piece of output in the order it came', async () => {
    const seen: string[] = [];
    const result = await client().runCode(
      {
        language: 'python',
        code: 'import sys, time\nfor i in range(3):\n    print("line", i, flush=True)\n    time.sleep(0.1)\nprint("done", file=sys.stderr)\n',
      },
      {
        onEvent: (event) => seen.push(event.type),
        onStdout: (text) => seen.push(`stdout ${text}`),
        onStderr: (text) => seen.push(`stderr ${text}`),
      },
    );
    expect(result).toMatchObject({ status: 'ok', exitCode: 0, stdout: 'line 0\nline 1\nline 2\n', stderr: 'done\n' });
    expect(result.runId).toMatch(/^run_/);
    const stdout = seen.filter((entry) => entry.startsWith('stdout ')).map((entry) => entry.slice('stdout '.length));
    expect(stdout.join('')).toBe(result.stdout);
    // Every piece comes right after its event, between the run's start and its end.
    for (const [index, entry] of seen.entries()) {
      if (entry.startsWith('std')) expect(seen[index - 1]).toBe('dev.umca.output.appended.v1');
    }
    const firstOutput = seen.findIndex((entry) => entry.startsWith('stdout '));
    expect(firstOutput).toBeGreaterThan(seen.indexOf('dev.umca.run.started.v1'));
    expect(seen.indexOf('stderr done\n')).toBeGreaterThan(seen.lastIndexOf('stdout line 2\n'));
    expect(seen.at(-1)).toBe('dev.umca.run.ended.v1');
    expect(await client().getRun(result.runId)).toMatchObject({ id: result.runId, kind: 'execution', status: 'ok' });
  });

  it('runs JavaScript', async () => {
    const stdout: string[] = [];
    const result = await client().runCode(
      { language: 'javascript', code: 'console.log(JSON.stringify({ sum: 2 + 3 })); console.error("careful")' },
      { onStdout: (text) => stdout.push(text) },
    );
    expect(result).toMatchObject({ status: 'ok', stdout: '{"sum":5}\n', stderr: 'careful\n', runtime: expect.any(String) });
    expect(stdout.join('')).toBe('{"sum":5}\n');
  });

  it('takes a string as Python code', async () => {
    const result = await client().runCode('print(6 * 7)');
    expect(result).toMatchObject({ status: 'ok', stdout: '42\n' });
  });

  it('returns a program that fails as a result, not an error', async () => {
    const result = await client().runCode('raise SystemExit(3)');
    expect(result).toMatchObject({ status: 'error', exitCode: 3 });
  });

  it('cancels the run when the signal aborts, and rejects with the signal’s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('seen enough');
    let runId = '';
    const output: string[] = [];
    // The program never ends by itself: the callback can only have fired while it was running.
    const running = client().runCode(
      { language: 'python', code: 'import time\nprint("started", flush=True)\nwhile True:\n    time.sleep(0.05)\n' },
      {
        signal: controller.signal,
        onEvent: (event) => {
          runId = event.subject;
        },
        onStdout: (text) => {
          output.push(text);
          controller.abort(reason);
        },
      },
    );
    await expect(running).rejects.toBe(reason);
    expect(output).toEqual(['started\n']);
    const events = await eventsOf(runId);
    expect(events.at(-1)).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: 'cancelled' } });
    expect((await client().getRun(runId)).status).toBe('cancelled');
  });

  it('starts nothing for a signal that has already aborted', async () => {
    const before = (await client().listRuns({ limit: 500 })).runs.length;
    const reason = new Error('never mind');
    await expect(client().runCode('print(1)', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect((await client().listRuns({ limit: 500 })).runs.length).toBe(before);
  });

  it('cancels the run when a callback throws, and rejects with what it threw', async () => {
    let runId = '';
    const broken = new Error('the callback broke');
    const running = client().runCode(
      { language: 'python', code: 'import time\nprint("started", flush=True)\nwhile True:\n    time.sleep(0.05)\n' },
      {
        onEvent: (event) => {
          runId = event.subject;
        },
        onStdout: () => {
          throw broken;
        },
      },
    );
    await expect(running).rejects.toBe(broken);
    expect((await eventsOf(runId)).at(-1)).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: 'cancelled' } });
  });

  it('rejects an invalid request with the server’s problem, and starts nothing', async () => {
    const before = (await client().listRuns({ limit: 500 })).runs.length;
    const error = await client()
      .runCode({ language: 'python', code: 'print(1)', limits: { timeoutMs: -1 } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UmcaApiError);
    expect(error).toBeInstanceOf(UmcaClientError);
    const problem = error as UmcaApiError;
    expect(problem.code).toBe('api_error');
    expect(problem.status).toBe(400);
    expect(problem.message).toBe(problem.detail);
    expect(problem.detail).toContain('timeoutMs');
    expect(problem.issues.length).toBeGreaterThanOrEqual(1);
    expect(problem.issues[0]?.path).toContain('timeoutMs');
    expect((await client().listRuns({ limit: 500 })).runs.length).toBe(before);
  });
});

describe('runTask', () => {
  it('is refused with a 400 naming `model` when neither the task nor the server names one', async () => {
    const error = await client()
      .runTask('write add(a, b)')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UmcaApiError);
    expect((error as UmcaApiError).status).toBe(400);
    expect((error as UmcaApiError).detail).toContain('model');
    expect((error as UmcaApiError).message).toContain('UMCA_MODEL');
  });
});
