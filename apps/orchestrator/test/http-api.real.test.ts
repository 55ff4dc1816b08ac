/**
 * HTTP API v1 against a real server on a random port.
 */
import { describe, expect, it } from 'vitest';
import { useServer } from './support/use-server.js';

const server = useServer();
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server().url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('POST /v1/executions', () => {
  it('waits for the result and answers 200 with the result contract plus runId', async () => {
    const response = await post('/v1/executions', { language: 'python', code: 'print(6 * 7)' });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      status: 'ok',
      exitCode: 0,
      stdout: '42\n',
      stderr: '',
      lane: 'wasm',
      runId: expect.stringMatching(/^run_/),
    });
    expect(typeof body.durationMs).toBe('number');
  });

  it('answers 202 with the run id at once for Prefer: respond-async', async () => {
    const response = await post('/v1/executions', { language: 'javascript', code: 'console.log(1)' }, { prefer: 'respond-async' });
    expect(response.status).toBe(202);
    const body = await response.json();
    expect(body).toMatchObject({ runId: expect.any(String), status: 'queued' });
    expect(response.headers.get('location')).toBe(`/v1/runs/${body.runId}`);
    expect(response.headers.get('preference-applied')).toBe('respond-async');
  });

  it.each([
    [{ language: 'ruby', code: 'puts 1' }, 'language'],
    [{ language: 'python' }, 'code'],
    [{ language: 'python', code: 'x', limits: { timeoutMs: -1 } }, 'timeoutMs'],
    [{ language: 'python', code: 'x', allowedOutboundHosts: ['example.com'] }, 'has no scheme'],
  ])('refuses %j with 400 problem+json that names the problem, and records nothing', async (body, fragment) => {
    const before = ((await (await fetch(`${server().url}/v1/runs?limit=500`)).json()) as { runs: unknown[] }).runs.length;
    const response = await post('/v1/executions', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = await response.json();
    expect(problem).toMatchObject({ status: 400, title: expect.any(String) });
    expect(problem.detail).toContain(fragment);
    const after = ((await (await fetch(`${server().url}/v1/runs?limit=500`)).json()) as { runs: unknown[] }).runs.length;
    expect(after).toBe(before);
  });

  it('refuses malformed JSON and oversized bodies with a problem', async () => {
    const malformed = await fetch(`${server().url}/v1/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"language":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    const huge = await post('/v1/runs/x/cancel', { pad: 'x'.repeat(2_000_000) });
    expect(huge.status).toBe(413);
  });
});

describe('runs', () => {
  it('lists runs newest first with paging, and returns one run with its request and result', async () => {
    const first = await (await post('/v1/executions', { language: 'python', code: 'print("a")' })).json();
    const second = await (await post('/v1/executions', { language: 'python', code: 'print("b")' })).json();
    const page = await (await fetch(`${server().url}/v1/runs?limit=1`)).json();
    expect(page.runs[0].id).toBe(second.runId);
    expect(page.next).toBe(second.runId);
    const older = await (await fetch(`${server().url}/v1/runs?limit=1&before=${page.next}`)).json();
    expect(older.runs[0].id).toBe(first.runId);
    const run = await (await fetch(`${server().url}/v1/runs/${first.runId}`)).json();
    expect(run).toMatchObject({
      id: first.runId,
      status: 'ok',
      language: 'python',
      request: { code: 'print("a")' },
      result: { stdout: 'a\n' },
    });
  });

  it('answers 404 problem for an unknown run and 400 for a bad query', async () => {
    const missing = await fetch(`${server().url}/v1/runs/run_nope`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).detail).toContain('run_nope');
    expect((await fetch(`${server().url}/v1/runs?limit=0`)).status).toBe(400);
  });

  it('cancels a run in progress, which ends `cancelled`; cancelling again is a conflict', async () => {
    const { runId } = await (
      await post(
        '/v1/executions',
        { language: 'python', code: 'while True:\n    pass', limits: { timeoutMs: 60_000 } },
        { prefer: 'respond-async' },
      )
    ).json();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const cancel = await post(`/v1/runs/${runId}/cancel`, {});
    expect(cancel.status).toBe(202);
    let run: { status: string } = { status: 'queued' };
    for (let attempt = 0; attempt < 50 && ['queued', 'running'].includes(run.status); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      run = await (await fetch(`${server().url}/v1/runs/${runId}`)).json();
    }
    expect(run.status).toBe('cancelled');
    expect((await post(`/v1/runs/${runId}/cancel`, {})).status).toBe(409);
  });
});

describe('the service', () => {
  it('answers health, readiness and Prometheus metrics', async () => {
    expect(await (await fetch(`${server().url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server().url}/readyz`)).json()).toMatchObject({ status: 'ready', isolation: 'os' });
    const metrics = await (await fetch(`${server().url}/metrics`)).text();
    expect(metrics).toMatch(/umca_runs_total\{status="ok",language="python"\} \d+/);
    expect(metrics).toContain('umca_run_duration_seconds_bucket');
    expect(metrics).toMatch(/^umca_runs_queued \d+$/m);
    expect(metrics).toContain('umca_process_resident_memory_bytes');
  });

  it('serves an OpenAPI 3.1 document generated from the contracts, and the JSON Schemas', async () => {
    const document = await (await fetch(`${server().url}/openapi.json`)).json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/executions',
        '/v1/runs',
        '/v1/runs/{id}',
        '/v1/runs/{id}/cancel',
        '/v1/runs/{id}/events',
        '/v1/events',
        '/healthz',
      ]),
    );
    expect(document.paths['/v1/executions'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ExecutionRequest',
    });
    expect(document.components.schemas.PythonExecutionRequest.properties).toHaveProperty('allowedOutboundHosts');
    const index = await (await fetch(`${server().url}/schemas`)).json();
    expect(index.schemas.map((entry: { name: string }) => entry.name)).toContain('dev.umca.run.started.v1');
    const schema = await (await fetch(`${server().url}/schemas/dev.umca.run.started.v1.json`)).json();
    expect(schema.$id).toBe('https://umca.dev/schemas/dev.umca.run.started.v1.json');
  });

  it('refuses requests for other host names (DNS rebinding) and from foreign origins', async () => {
    const { request } = await import('node:http');
    const url = new URL(server().url);
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        request({ host: url.hostname, port: url.port, path: '/healthz', headers }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    expect(await status({ host: 'evil.example' })).toBe(421);
    expect(await status({ host: url.host, origin: 'https://evil.example' })).toBe(403);
    expect(await status({ host: url.host, origin: 'null' })).toBe(403);
    expect(await status({ host: `localhost:${url.port}` })).toBe(200);
    expect(await status({ host: url.host, origin: server().url })).toBe(200);
  });
});
