/**
 * The run lifecycle in process, in milliseconds: the real store (SQLite in memory) and the real
 * embedded bus, with a scripted runner (a test double of RunnerV1, see @umca/testkit) in place of
 * the sandbox. What the real runner does is proved in the runner's real tier; here, what the
 * service does with it: the order of facts, cancellation, recovery, refusals, and failures that
 * must never be silent.
 */
import { type EventBusV1, type StoredEvent, type StoreV1, UmcaError } from '@umca/contracts';
import { createEmbeddedBus } from '@umca/events';
import { acceptExecutionRequest, acceptTaskRequest } from '@umca/policy';
import { openSqliteStore } from '@umca/store';
import { createFakeRunner, createRecordingLogger, type FakeRun } from '@umca/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunService, type ModelSettings, RunError, recoverInterruptedRuns, resolveTaskModels } from '../src/index.js';

const opened: StoreV1[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

function setUp(script?: (request: unknown) => FakeRun, options: { failPublishOf?: string } = {}) {
  const store = openSqliteStore({ memory: true });
  opened.push(store);
  const realBus = createEmbeddedBus({ log: store.events });
  const bus: EventBusV1 = options.failPublishOf
    ? {
        ...realBus,
        publish: (type, subject, data) =>
          type === options.failPublishOf ? Promise.reject(new Error('disk full')) : realBus.publish(type, subject, data),
      }
    : realBus;
  const runner = createFakeRunner(script ? (execution) => script(execution.request) : undefined);
  const logger = createRecordingLogger();
  const failedPublishes: string[] = [];
  const runs = createRunService({ runner, store, bus, logger, onPublishFailed: (type) => failedPublishes.push(type) });
  const eventsOf = async (runId: string): Promise<StoredEvent[]> => bus.read({ after: 0, limit: 1_000, subject: runId });
  return { store, bus, runner, logger, runs, eventsOf, failedPublishes };
}

const python = (code = 'print(1)') => acceptExecutionRequest({ language: 'python', code });

describe('an execution', () => {
  it('is recorded, and its facts are published in the order they happened', async () => {
    const { runs, eventsOf, store } = setUp(() => ({
      output: [
        ['stdout', 'hello '],
        ['stdout', 'world\n'],
      ],
      egress: [{ url: 'https://example.com/', method: 'GET', verdict: 'denied', reason: 'no rule', durationMs: 0 }],
    }));
    const submitted = await runs.submit(python());
    const result = await submitted.done;
    expect(result).toMatchObject({ runId: submitted.runId, status: 'ok', stdout: 'hello world\n' });
    const types = (await eventsOf(submitted.runId)).map((stored) => stored.event.type);
    expect(types).toEqual([
      'dev.umca.run.created.v1',
      'dev.umca.run.started.v1',
      'dev.umca.egress.denied.v1',
      'dev.umca.output.appended.v1',
      'dev.umca.code.executed.v1',
      'dev.umca.run.ended.v1',
    ]);
    const record = await store.runs.get(submitted.runId);
    expect(record).toMatchObject({ status: 'ok', kind: 'execution', result: { stdout: 'hello world\n' } });
    expect(record?.warnings).toBeUndefined();
  });

  it('passes the accepted request and its egress policy to the runner unchanged', async () => {
    const { runs, runner } = setUp();
    const accepted = acceptExecutionRequest({ language: 'python', code: 'x', allowedOutboundHosts: ['https://api.example.com'] });
    await (await runs.submit(accepted)).done;
    expect(runner.executions).toEqual([accepted]);
  });

  it('publishes error.raised before run.ended when the sandbox crashed', async () => {
    const { runs, eventsOf, logger } = setUp(() => ({ status: 'crashed', reason: 'the sandbox process was ended by SIGSEGV' }));
    const submitted = await runs.submit(python());
    await submitted.done;
    const events = (await eventsOf(submitted.runId)).map((stored) => stored.event);
    expect(events.slice(-2).map((event) => event.type)).toEqual(['dev.umca.error.raised.v1', 'dev.umca.run.ended.v1']);
    expect(events.at(-2)?.data).toMatchObject({ code: 'sandbox_crashed', message: 'the sandbox process was ended by SIGSEGV' });
    expect(logger.entries.some((entry) => entry.level === 'warn' && entry.fields.runId === submitted.runId)).toBe(true);
  });
});

describe('cancelling', () => {
  it('ends a run in progress as cancelled, and says why it cannot cancel the others', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const { runs } = setUp(() => ({ until: held }));
    const submitted = await runs.submit(python());
    expect(runs.activeCount()).toBe(1);
    expect(await runs.cancel(submitted.runId)).toBe('cancelling');
    expect(await submitted.done).toMatchObject({ status: 'cancelled' });
    expect(runs.activeCount()).toBe(0);
    release();
    await expect(runs.cancel(submitted.runId)).rejects.toMatchObject({
      code: 'already_ended',
      message: expect.stringContaining('cancelled'),
    });
    await expect(runs.cancel('run_nope')).rejects.toBeInstanceOf(RunError);
    await expect(runs.cancel('run_nope')).rejects.toMatchObject({ code: 'not_found' });
    await expect(runs.get('run_nope')).rejects.toMatchObject({ code: 'not_found', message: 'there is no run run_nope' });
  });

  it('ends every run in progress on shutdown, and each is recorded', async () => {
    const { runs, store } = setUp(() => ({ until: new Promise(() => {}) }));
    const first = await runs.submit(python());
    const second = await runs.submit(python());
    await runs.shutdown();
    for (const run of [first, second]) expect(await store.runs.get(run.runId)).toMatchObject({ status: 'cancelled' });
  });
});

describe('failures are never silent', () => {
  it('a fact that cannot be published is logged with its cause, counted, and kept as a warning of the run', async () => {
    const { runs, logger, failedPublishes, store } = setUp(() => ({ output: [['stdout', 'x\n']] }), {
      failPublishOf: 'dev.umca.output.appended.v1',
    });
    const submitted = await runs.submit(python());
    expect(await submitted.done).toMatchObject({ status: 'ok', stdout: 'x\n' });
    expect(failedPublishes).toEqual(['dev.umca.output.appended.v1']);
    const logged = logger.entries.filter((entry) => entry.level === 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({ runId: submitted.runId, err: expect.objectContaining({ message: 'disk full' }) });
    expect((await store.runs.get(submitted.runId))?.warnings).toEqual(['publishing dev.umca.output.appended.v1 failed: disk full']);
  });

  it('even a run.ended that cannot be published leaves its warning on the record', async () => {
    const { runs, store } = setUp(undefined, { failPublishOf: 'dev.umca.run.ended.v1' });
    const submitted = await runs.submit(python());
    await submitted.done;
    expect((await store.runs.get(submitted.runId))?.warnings).toEqual(['publishing dev.umca.run.ended.v1 failed: disk full']);
  });

  it('a defect in the runner rejects the run and is logged with its cause', async () => {
    const { runs, logger } = setUp(() => ({ throws: new Error('the lane lost its zygote') }));
    const submitted = await runs.submit(python());
    await expect(submitted.done).rejects.toThrow('the lane lost its zygote');
    expect(logger.entries.find((entry) => entry.level === 'error')?.fields).toMatchObject({ runId: submitted.runId });
    expect(runs.activeCount()).toBe(0);
  });
});

describe('tasks', () => {
  it('are refused before they exist when no model can be had, naming the setting and the field', async () => {
    const { runs, store } = setUp();
    const refused = runs.submitTask(acceptTaskRequest({ task: 'add two numbers' }));
    await expect(refused).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('UMCA_MODEL'),
      // Each edge names the field in its own words (--model on the command line) from this.
      details: { issues: [{ path: ['model'] }] },
    });
    expect(await store.runs.list({ limit: 10 })).toEqual([]);
  });
});

describe('the model of a task', () => {
  // A gateway that knows no model whose name starts with "gone".
  const settings = (defaultModel?: string): ModelSettings => ({
    ...(defaultModel ? { defaultModel } : {}),
    createGateway: () => ({
      specificationVersion: 'v1',
      resolve: () => {
        throw new Error('not called here');
      },
      chat: () => Promise.reject(new Error('not called here')),
      providers: () => ['ok'],
      preflight(spec) {
        if (spec.startsWith('gone')) throw new UmcaError('unknown_provider', `no model provider is called "${spec.split(':')[0]}"`);
      },
    }),
  });
  const refusal = (request: Record<string, unknown>, defaultModel?: string) => {
    try {
      resolveTaskModels(acceptTaskRequest({ task: 't', ...request }), settings(defaultModel), {});
    } catch (error) {
      return error;
    }
    throw new Error('the task was not refused');
  };

  it('that cannot work here is `model_unavailable`, naming the field it came from', () => {
    expect(refusal({ model: 'gone:x' })).toMatchObject({
      code: 'model_unavailable',
      message: 'no model provider is called "gone"',
      details: { issues: [{ path: ['model'], message: 'cannot be used here: no model provider is called "gone"' }] },
    });
    expect(refusal({ model: 'ok:x', fallbackModels: ['ok:y', 'gone:z'] })).toMatchObject({
      code: 'model_unavailable',
      details: { issues: [{ path: ['fallbackModels', 1] }] },
    });
  });

  it('that is the server’s own default names no field: the caller gave none', () => {
    const error = refusal({}, 'gone:default');
    expect(error).toMatchObject({ code: 'model_unavailable' });
    expect((error as RunError).details).toBeUndefined();
  });
});

describe('recovery', () => {
  it('ends the runs a previous process left queued or running, as cancelled, with run.ended published', async () => {
    const { store, bus } = setUp();
    await store.runs.create({
      id: 'run_left',
      kind: 'execution',
      status: 'queued',
      language: 'python',
      createdAt: new Date(0).toISOString(),
      request: { language: 'python', code: 'x' },
    });
    expect(await recoverInterruptedRuns(store, bus)).toBe(1);
    expect(await store.runs.get('run_left')).toMatchObject({ status: 'cancelled' });
    const [ended] = await bus.read({ after: 0, limit: 10, subject: 'run_left' });
    expect(ended?.event).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: 'cancelled', reason: expect.any(String) } });
    expect(await recoverInterruptedRuns(store, bus)).toBe(0);
  });
});
