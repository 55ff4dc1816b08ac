/**
 * The HTTP edge in process, through `app.request()`: the app built from the real run service,
 * store (SQLite in memory) and bus, with a scripted runner (a test double of RunnerV1, see
 * @umca/testkit) in place of the sandbox and a logger that keeps what it is told. Proves what only
 * the edge does: requests accepted once and refused in the caller's words, errors mapped to
 * problem+json in one place, request ids on responses and log lines, failures logged and counted.
 */
import type { EventBusV1 } from '@umca/contracts';
import { createEmbeddedBus } from '@umca/events';
import { createRunService } from '@umca/runs';
import { openSqliteStore } from '@umca/store';
import { createFakeRunner, createRecordingLogger, type FakeRun } from '@umca/testkit';
import { describe, expect, it } from 'vitest';
import { type AccessControl, createAccessControl, createApp, createMetrics } from '../src/index.js';

const HOST = '127.0.0.1:8787';

function build(
  script?: (code: string) => FakeRun,
  options: { failPublishOf?: string; defaultModel?: string; access?: AccessControl } = {},
) {
  const store = openSqliteStore({ memory: true });
  const realBus = createEmbeddedBus({ log: store.events });
  const bus: EventBusV1 = options.failPublishOf
    ? {
        ...realBus,
        publish: (type, subject, data) =>
          type === options.failPublishOf ? Promise.reject(new Error('disk full')) : realBus.publish(type, subject, data),
      }
    : realBus;
  const runner = createFakeRunner(script ? (execution) => script('code' in execution.request ? execution.request.code : '') : undefined);
  const logger = createRecordingLogger();
  const metrics = createMetrics({ activeRuns: () => 0 });
  const runs = createRunService({ runner, store, bus, logger, onPublishFailed: (type) => metrics.eventPublishFailed(type) });
  const app = createApp({
    access: options.access ?? createAccessControl({}),
    runs,
    bus,
    runner,
    metrics,
    logger,
    allowedHosts: () => new Set([HOST]),
    ...(options.defaultModel ? { defaultModel: options.defaultModel } : {}),
  });
  const request = (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    Promise.resolve(
      app.request(path, {
        method: init.method ?? 'GET',
        headers: { host: HOST, 'content-type': 'application/json', ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
      }),
    );
  return { app, request, runner, logger, store };
}

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: typeof body === 'string' ? body : JSON.stringify(body),
  headers,
});

describe('requests that start runs', () => {
  it('are accepted once and run, answering with the result and a request id', async () => {
    const { request, runner } = build(() => ({ output: [['stdout', '42\n']] }));
    const response = await request('/v1/executions', post({ language: 'python', code: 'print(6 * 7)' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', stdout: '42\n', runId: expect.stringMatching(/^run_/) });
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(runner.executions).toHaveLength(1);
    expect(runner.executions[0]?.egress.allowedOutboundHosts).toEqual([]);
  });

  it('keep the caller’s request id when it is a sane token, and replace one that is not', async () => {
    const { request } = build();
    const body = { language: 'python', code: 'x' };
    expect((await request('/v1/executions', post(body, { 'x-request-id': 'trace-7.a:b' }))).headers.get('x-request-id')).toBe(
      'trace-7.a:b',
    );
    expect((await request('/v1/executions', post(body, { 'x-request-id': 'bad id\n' }))).headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('refuse a body that breaks the contract with a 400 naming the field, and run nothing', async () => {
    const { request, runner } = build();
    const response = await request('/v1/executions', post({ language: 'python', code: 'x', limits: { timeoutMs: -1 } }));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = await response.json();
    expect(problem).toMatchObject({ status: 400, title: 'Invalid request', code: 'invalid_request' });
    expect(problem.detail).toContain('timeoutMs');
    expect(problem.issues[0].path).toEqual(['limits', 'timeoutMs']);
    expect(runner.executions).toEqual([]);
  });

  it('refuse a body that is not JSON with a 400, not a 500', async () => {
    const { request, logger } = build();
    const response = await request('/v1/executions', post('{"language": "python",'));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ title: 'Invalid JSON', detail: expect.stringContaining('not valid JSON') });
    expect(logger.entries.filter((entry) => entry.level === 'error')).toEqual([]);
  });

  it('refuse an allowedOutboundHosts entry that is not Spin syntax, naming the entry and the syntax', async () => {
    const { request, runner } = build();
    const response = await request('/v1/executions', post({ language: 'python', code: 'x', allowedOutboundHosts: ['api.example.com'] }));
    expect(response.status).toBe(400);
    const problem = await response.json();
    expect(problem).toMatchObject({ title: 'Invalid allowedOutboundHosts entry', code: 'invalid_allowed_host' });
    expect(problem.detail).toContain('"api.example.com"');
    expect(problem.detail).toContain('scheme://host[:port]');
    expect(runner.executions).toEqual([]);
  });

  it('answer 202 with the run’s links at once for Prefer: respond-async', async () => {
    const { request } = build(() => ({ until: new Promise(() => {}) }));
    const response = await request('/v1/executions', post({ language: 'javascript', code: '1' }, { prefer: 'respond-async' }));
    expect(response.status).toBe(202);
    const accepted = await response.json();
    expect(response.headers.get('location')).toBe(`/v1/runs/${accepted.runId}`);
    expect(accepted).toMatchObject({ status: 'queued', links: { events: `/v1/runs/${accepted.runId}/events` } });
  });

  it('refuse a task when the server has no model, in a 400 that names the setting', async () => {
    const { request } = build();
    const response = await request('/v1/tasks', post({ task: 'add two numbers' }));
    expect(response.status).toBe(400);
    expect((await response.json()).detail).toContain('UMCA_MODEL');
  });
});

describe('errors become problem+json in one place', () => {
  it('a missing run is 404, cancelling an ended one is 409, a bad event id is 400', async () => {
    const { request } = build();
    expect(await (await request('/v1/runs/run_nope')).json()).toMatchObject({ status: 404, detail: 'there is no run run_nope' });
    const done = await (await request('/v1/executions', post({ language: 'python', code: 'x' }))).json();
    const cancel = await request(`/v1/runs/${done.runId}/cancel`, { method: 'POST', body: '{}' });
    expect(cancel.status).toBe(409);
    expect((await cancel.json()).detail).toContain('already ended (ok)');
    const events = await request(`/v1/runs/${done.runId}/events`, { headers: { 'last-event-id': 'seven' } });
    expect(await events.json()).toMatchObject({
      status: 400,
      code: 'invalid_request',
      detail: 'header last-event-id must be a whole number, in digits (it was "seven")',
    });
    expect(await (await request('/schemas/nope.json')).json()).toMatchObject({
      status: 404,
      detail: expect.stringContaining('/schemas lists them'),
    });
  });

  it('a defect of ours is a 500 that says nothing of it, and the log has the cause and the request id', async () => {
    const { request, logger } = build(() => ({ throws: new Error('secret internals: /srv/umca/zygote') }));
    const response = await request('/v1/executions', post({ language: 'python', code: 'x' }));
    expect(response.status).toBe(500);
    const problem = await response.json();
    expect(problem).toMatchObject({ status: 500, title: 'Internal error' });
    expect(JSON.stringify(problem)).not.toContain('secret internals');
    const requestId = response.headers.get('x-request-id');
    const logged = logger.entries.find((entry) => entry.level === 'error' && entry.message === 'request failed');
    expect(logged?.fields).toMatchObject({ requestId, err: expect.objectContaining({ message: 'secret internals: /srv/umca/zygote' }) });
  });
});

describe('failures around a run are never silent', () => {
  it('an event that cannot be published is counted in /metrics and listed in the run’s warnings', async () => {
    const { request } = build(() => ({ output: [['stdout', 'x\n']] }), { failPublishOf: 'dev.umca.output.appended.v1' });
    const result = await (await request('/v1/executions', post({ language: 'python', code: 'x' }))).json();
    expect(result.status).toBe('ok');
    const metrics = await (await request('/metrics')).text();
    expect(metrics).toContain('umca_event_publish_failures_total{type="dev.umca.output.appended.v1"} 1');
    const run = await (await request(`/v1/runs/${result.runId}`)).json();
    expect(run.warnings).toEqual(['publishing dev.umca.output.appended.v1 failed: disk full']);
  });
});

describe('what a path and a method get', () => {
  it('a method a path does not take is a 405 problem with Allow, whatever the method', async () => {
    const { request } = build();
    for (const [method, path, allow] of [
      ['POST', '/healthz', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/readyz', 'GET, HEAD, OPTIONS'],
      ['GET', '/v1/executions', 'OPTIONS, POST'],
      ['GET', '/v1/runs/x/cancel', 'OPTIONS, POST'],
      ['DELETE', '/v1/runs/x', 'GET, HEAD, OPTIONS'],
      ['PUT', '/openapi.json', 'GET, HEAD, OPTIONS'],
    ] as const) {
      const response = await request(path, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await response.json()).toMatchObject({
        code: 'method_not_allowed',
        detail: `${path} does not take ${method}; it takes ${allow.replace(', OPTIONS', '').replace('OPTIONS, ', '')}`,
      });
    }
  });

  it('OPTIONS on a path says what it takes, and nothing else', async () => {
    const { request } = build();
    const response = await request('/v1/runs', { method: 'OPTIONS' });
    expect(response.status).toBe(204);
    expect(response.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(await response.text()).toBe('');
  });

  it('a path that does not exist is a 404 problem, never the web page with a 200', async () => {
    const { request } = build();
    for (const path of ['/v1/nope', '/v1/', '/mcpx', '/healthz/extra', '/schemas/a/b', '/metrics.txt', '/runs/abc', '/index.htm']) {
      const response = await request(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toContain('application/problem+json');
      expect(await response.json(), path).toMatchObject({ code: 'not_found', detail: expect.stringContaining('/openapi.json') });
    }
  });

  it('a query parameter a path does not take is a 400 naming it and what the path takes', async () => {
    const { request } = build();
    const response = await request('/v1/runs?limt=5');
    expect(response.status).toBe(400);
    expect((await response.json()).detail).toBe('this path takes no query parameter "limt"; it takes limit, before, status');
  });

  it('parameters out of range are refused in the caller’s words, with what was given', async () => {
    const { request } = build();
    const cases: [string, Record<string, string>, string][] = [
      ['/v1/runs?limit=501', {}, 'query parameter limit is too large: at most 500 (it was "501")'],
      ['/v1/runs?limit=1e2', {}, 'query parameter limit must be a whole number, in digits (it was "1e2")'],
      ['/v1/runs?limit=', {}, 'query parameter limit must be a whole number, in digits (it was "")'],
      ['/v1/runs?status=done', {}, 'query parameter status must be one of: queued, running, ok, error'],
      [
        `/v1/runs/${'r'.repeat(201)}`,
        {},
        `path parameter id is too long: at most 200 characters (it was "${'r'.repeat(58)}…", 201 characters)`,
      ],
      ['/v1/runs/x/events?after=-1', {}, 'query parameter after must be a whole number, in digits (it was "-1")'],
      ['/v1/runs/x/events', { 'last-event-id': '0x10' }, 'header last-event-id must be a whole number, in digits (it was "0x10")'],
    ];
    for (const [path, headers, detail] of cases) {
      const response = await request(path, { headers });
      expect(response.status, path).toBe(400);
      expect((await response.json()).detail, path).toContain(detail);
    }
  });

  it('HEAD on an event stream answers its headers and leaves no subscription open', async () => {
    const { request, app } = build();
    for (let round = 0; round < 5; round++) {
      const response = await request('/v1/events', { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
    }
    const metrics = await (await app.request('/metrics', { headers: { host: HOST } })).text();
    expect(metrics).toMatch(/^umca_sse_clients 0$/m);
  });
});

describe('the OpenAPI document', () => {
  const document = async (options: { defaultModel?: string } = {}) => (await build(undefined, options).request('/openapi.json')).json();

  it('still describes the bodies the edge accepts itself', async () => {
    const served = await document();
    for (const path of ['/v1/executions', '/v1/tasks']) {
      expect(served.paths[path].post.requestBody.content['application/json'].schema, path).toBeDefined();
      expect(Object.keys(served.paths[path].post.responses), path).toContain('400');
    }
  });

  it('names every operation and every contract, for generated clients', async () => {
    const served = await document();
    const operations = Object.values(served.paths).flatMap((item) => Object.values(item as Record<string, { operationId?: string }>));
    expect(operations.map((operation) => operation.operationId).sort()).toEqual([
      'cancelRun',
      'createChatCompletion',
      'createExecution',
      'createSession',
      'createSessionExecution',
      'createTask',
      'deleteSession',
      'getHealth',
      'getMetrics',
      'getReadiness',
      'getRun',
      'getRunTrace',
      'getSchema',
      'getSession',
      'listGateVerdicts',
      'listRuns',
      'listSchemas',
      'listSessions',
      'listUpstreamTools',
      'pauseSession',
      'streamEvents',
      'streamRunEvents',
    ]);
    expect(Object.keys(served.components.schemas)).toEqual(
      expect.arrayContaining([
        'ExecutionRequest',
        'RunResult',
        'Run',
        'TaskRequest',
        'TaskResult',
        'Problem',
        'UmcaEvent',
        'RunEndedEvent',
        'RunTrace',
        'SessionRequest',
        'SessionExecutionRequest',
        'Session',
        'SessionRunResult',
      ]),
    );
    expect(served.components.schemas.ExecutionRequest.discriminator.propertyName).toBe('language');
  });

  it('documents the statuses the server answers with: 400 for a long run id, 403 and 421 everywhere', async () => {
    const served = await document();
    expect(Object.keys(served.paths['/v1/runs/{id}'].get.responses).sort()).toEqual(['200', '400', '403', '404', '421']);
    expect(Object.keys(served.paths['/v1/runs/{id}/cancel'].post.responses).sort()).toEqual(['202', '400', '403', '404', '409', '421']);
  });

  it('declares event offsets whole numbers, base64 as base64 and file paths by their rule', async () => {
    const served = await document();
    const parameters = served.paths['/v1/runs/{id}/events'].get.parameters;
    for (const name of ['after', 'last-event-id']) {
      expect(parameters.find((parameter: { name: string }) => parameter.name === name).schema).toMatchObject({
        type: 'integer',
        minimum: 0,
      });
    }
    const { schemas } = served.components;
    expect(schemas.WasiExecutionRequest.properties.module).toMatchObject({ contentEncoding: 'base64', pattern: expect.any(String) });
    expect(schemas.Base64InputFile.properties.content).toMatchObject({ contentEncoding: 'base64' });
    expect(schemas.TextInputFile.properties.path.pattern).toMatch(/^\^/);
  });

  it('describes each event of a stream: its id, and data that is a umca-events CloudEvent', async () => {
    const served = await document();
    const { schema } = served.paths['/v1/events'].get.responses['200'].content['text/event-stream'];
    const event = schema.anyOf.find((branch: { type: string }) => branch.type === 'object');
    expect(event.properties.data).toMatchObject({
      contentMediaType: 'application/json',
      contentSchema: { $ref: '#/components/schemas/UmcaEvent' },
    });
    expect(event.properties.id.pattern).toBe('^\\d{1,15}$');
  });

  it('requires a task’s model exactly when the server has no default', async () => {
    expect((await document()).components.schemas.TaskRequest.required).toEqual(['task', 'model']);
    expect((await document({ defaultModel: 'ollama:qwen' })).components.schemas.TaskRequest.required).toEqual(['task']);
  });
});
