/**
 * Traces in process: the run service over the real store (SQLite in memory) and bus with the real
 * OpenTelemetry SDK behind `openTracing`, a scripted runner (@umca/testkit) and a scripted model
 * gateway (test doubles of RunnerV1 and ModelGatewayV1). Proves the span tree of a run and of an
 * agent task, the GenAI and OpenInference attributes, that content stays off unless asked for,
 * that the run's trace id is on its record and its events, that `/v1/runs/{id}/trace` serves it,
 * and that a dead collector costs spans (counted), never a run.
 */
import { createServer } from 'node:net';
import type { GatewayResponse, ModelGatewayV1, TraceSpan } from '@umca/contracts';
import { createEmbeddedBus } from '@umca/events';
import { acceptExecutionRequest, acceptTaskRequest } from '@umca/policy';
import { createRunService } from '@umca/runs';
import { openSqliteStore } from '@umca/store';
import { createFakeRunner, createRecordingLogger } from '@umca/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccessControl, createApp, createMetrics, openTracing, otlpTracesUrl, resolveTracing } from '../src/index.js';

const HOST = '127.0.0.1:8787';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A gateway that answers from a list, in order, as `provider:model` `scripted:coder-1`. */
function scriptedGateway(replies: string[]): ModelGatewayV1 {
  let next = 0;
  return {
    specificationVersion: 'v1',
    resolve: () => {
      throw new Error('not used');
    },
    providers: () => ['scripted'],
    preflight: () => {},
    async chat(): Promise<GatewayResponse> {
      const text = replies[Math.min(next++, replies.length - 1)] as string;
      return {
        text,
        toolCalls: [],
        usage: { promptTokens: 100 + next, completionTokens: 10 + next },
        finishReason: 'stop',
        modelId: 'scripted:coder-1',
        provider: 'scripted',
        model: 'coder-1',
        latencyMs: 1,
        attempts: [{ modelId: 'scripted:coder-1', latencyMs: 1 }],
      };
    },
  };
}

const PLAN = '{"plan": ["print the answer"], "checks": []}';
const CODE = 'Here it is:\n```python\nprint(6 * 7)\n```';

function build(options: { recordContent?: boolean; otlpEndpoint?: string } = {}) {
  const store = openSqliteStore({ memory: true });
  const bus = createEmbeddedBus({ log: store.events });
  const runner = createFakeRunner(() => ({ output: [['stdout', '42\n']] }));
  const logger = createRecordingLogger();
  const tracing = openTracing({
    settings: resolveTracing(
      { traceContent: options.recordContent ?? false, ...(options.otlpEndpoint ? { otlpEndpoint: options.otlpEndpoint } : {}) },
      {},
    ),
    spans: store.spans,
    logger,
    serviceName: 'umca',
    scheduledDelayMillis: 10,
    otlpTimeoutMs: 500,
  });
  const runs = createRunService({
    runner,
    store,
    bus,
    logger,
    tracing: tracing.tracing,
    models: { createGateway: () => scriptedGateway([PLAN, PLAN, CODE]), defaultModel: 'scripted:coder-1' },
  });
  closers.push(async () => {
    await runs.shutdown();
    await tracing.shutdown();
    await store.close();
  });
  const metrics = createMetrics({ activeRuns: () => 0, spanCounts: () => tracing.counts() });
  const app = createApp({
    access: createAccessControl({}),
    runs,
    bus,
    spans: store.spans,
    runner,
    metrics,
    logger,
    allowedHosts: () => new Set([HOST]),
  });
  const get = (path: string) => Promise.resolve(app.request(path, { headers: { host: HOST } }));
  /** The run's spans once all of them are kept (flushed by count, not by waiting). */
  const spansOf = async (runId: string, expected: number): Promise<TraceSpan[]> => {
    const traceId = (await runs.get(runId)).traceId as string;
    for (let attempt = 0; attempt < 100; attempt++) {
      await tracing.flush();
      const spans = await store.spans.trace(traceId, { limit: 100 });
      if (spans.length >= expected) return spans;
    }
    throw new Error(`the run's spans were not all kept`);
  };
  return { store, bus, runs, tracing, get, spansOf, logger };
}

const byName = (spans: TraceSpan[], name: string) => spans.filter((span) => span.name === name);

describe('a traced execution run', () => {
  it('is a CHAIN root span with the code execution as its TOOL child, its trace id on its record and its events', async () => {
    const { runs, bus, spansOf } = build();
    const { runId, done } = await runs.submit(acceptExecutionRequest({ language: 'python', code: 'print(6 * 7)' }));
    await done;
    const run = await runs.get(runId);
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await spansOf(runId, 2);
    const [root] = byName(spans, 'run python');
    const [tool] = byName(spans, 'execute_tool run_code');
    expect(root).toMatchObject({
      traceId: run.traceId,
      status: { code: 'ok' },
      attributes: { 'openinference.span.kind': 'CHAIN', 'umca.run.id': runId, 'umca.run.kind': 'execution', 'umca.run.status': 'ok' },
    });
    expect(root?.parentSpanId).toBeUndefined();
    expect(tool).toMatchObject({
      parentSpanId: root?.spanId,
      status: { code: 'ok' },
      attributes: {
        'openinference.span.kind': 'TOOL',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'run_code',
        'tool.name': 'run_code',
        'umca.execution.status': 'ok',
        'umca.lane': 'wasm',
        'umca.runtime': 'pyodide',
        'umca.exit_code': 0,
        'umca.egress.denied': 0,
      },
    });
    // Content is off by default: no code, no output.
    expect(tool?.attributes).not.toHaveProperty('input.value');
    expect(tool?.attributes).not.toHaveProperty('output.value');
    const events = await bus.read({ after: 0, limit: 100, subject: runId });
    expect(events.length).toBeGreaterThan(3);
    for (const { event } of events) expect(event.traceparent).toBe(`00-${run.traceId}-${root?.spanId}-01`);
  });
});

describe('a traced agent task', () => {
  it('is an AGENT span over a CHAIN per step, an LLM span per model call and a TOOL span per execution', async () => {
    const { runs, spansOf } = build();
    const { runId, done } = await runs.submitTask(acceptTaskRequest({ task: 'print the answer', model: 'scripted:coder-1' }));
    const result = await done;
    expect(result.verdict).toBe('unverified');
    // plan (2 model calls: the planner was asked again for checks), code (1), execute (1 tool), test.
    const spans = await spansOf(runId, 9);
    const [agent] = byName(spans, 'invoke_agent umca-task-flow');
    expect(agent).toMatchObject({
      attributes: {
        'openinference.span.kind': 'AGENT',
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': 'umca-task-flow',
        'umca.run.kind': 'task',
        'umca.task.verdict': 'unverified',
      },
    });
    // In the flow's order: spans come sorted by start time, which the fake runner's instant steps
    // can share to the millisecond, so the order within a round is the flow's, not the clock's.
    const ORDER = ['plan', 'code', 'execute', 'test'];
    const steps = spans
      .filter((span) => span.parentSpanId === agent?.spanId)
      .sort(
        (a, b) =>
          Number(a.attributes['umca.iteration']) - Number(b.attributes['umca.iteration']) || ORDER.indexOf(a.name) - ORDER.indexOf(b.name),
      );
    expect(steps.map((span) => [span.name, span.attributes['umca.iteration']])).toEqual([
      ['plan', 0],
      ['code', 1],
      ['execute', 1],
      ['test', 1],
    ]);
    for (const step of steps) expect(step.attributes['openinference.span.kind']).toBe('CHAIN');
    const llm = byName(spans, 'chat coder-1');
    const stepOf = (span: TraceSpan | undefined) => steps.find((step) => step.spanId === span?.parentSpanId)?.name;
    expect(llm.map(stepOf).sort()).toEqual(['code', 'plan', 'plan']);
    expect(llm.find((span) => stepOf(span) === 'code')).toMatchObject({
      kind: 'client',
      attributes: {
        'openinference.span.kind': 'LLM',
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'scripted',
        'gen_ai.request.model': 'coder-1',
        'gen_ai.response.model': 'coder-1',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.input_tokens': 103,
        'gen_ai.usage.output_tokens': 13,
        'llm.model_name': 'coder-1',
        'llm.token_count.total': 116,
      },
    });
    const [tool] = byName(spans, 'execute_tool run_code');
    expect(steps.find((step) => step.spanId === tool?.parentSpanId)?.name).toBe('execute');
    for (const span of spans) {
      expect(
        Object.keys(span.attributes).filter((key) => /^(input|output)\.value$|_messages/.test(key)),
        span.name,
      ).toEqual([]);
    }
  });

  it('records prompts, completions, code and output only with content tracing on', async () => {
    const { runs, spansOf } = build({ recordContent: true });
    const { runId, done } = await runs.submitTask(acceptTaskRequest({ task: 'print the answer', model: 'scripted:coder-1' }));
    await done;
    const spans = await spansOf(runId, 9);
    const [agent] = byName(spans, 'invoke_agent umca-task-flow');
    expect(agent?.attributes['input.value']).toBe('print the answer');
    const code = byName(spans, 'chat coder-1').find((span) => span.attributes['llm.output_messages.0.message.content'] !== PLAN);
    expect(code?.attributes['llm.output_messages.0.message.content']).toBe(CODE);
    expect(code?.attributes['llm.input_messages.0.message.role']).toBe('system');
    expect(JSON.parse(code?.attributes['gen_ai.output.messages'] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: CODE }] },
    ]);
    const [tool] = byName(spans, 'execute_tool run_code');
    expect(tool?.attributes['input.value']).toContain('print(6 * 7)');
  });
});

describe('the trace route', () => {
  it('serves a run’s spans, and says plainly when a run has none', async () => {
    const { runs, get, spansOf } = build();
    const { runId, done } = await runs.submit(acceptExecutionRequest({ language: 'javascript', code: 'console.log(1)' }));
    await done;
    await spansOf(runId, 2);
    const response = await get(`/v1/runs/${runId}/trace`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { traceId: string; spans: TraceSpan[] };
    expect(body.traceId).toBe((await runs.get(runId)).traceId);
    // Spans that start in the same millisecond may come in either order.
    expect(body.spans.map((span) => span.name).sort()).toEqual(['execute_tool run_code', 'run javascript']);
    const missing = await get('/v1/runs/run_nope/trace');
    expect(missing.status).toBe(404);
  });

  it('answers 404 naming the setting for a run made with tracing off', async () => {
    const store = openSqliteStore({ memory: true });
    const bus = createEmbeddedBus({ log: store.events });
    const runs = createRunService({ runner: createFakeRunner(), store, bus, logger: createRecordingLogger() });
    closers.push(() => store.close());
    const app = createApp({
      access: createAccessControl({}),
      runs,
      bus,
      spans: store.spans,
      metrics: createMetrics({ activeRuns: () => 0 }),
      logger: createRecordingLogger(),
      allowedHosts: () => new Set([HOST]),
    });
    const { runId, done } = await runs.submit(acceptExecutionRequest({ language: 'python', code: 'pass' }));
    await done;
    expect((await runs.get(runId)).traceId).toBeUndefined();
    const response = await app.request(`/v1/runs/${runId}/trace`, { headers: { host: HOST } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/tracing was off when it ran.*--tracing on/);
  });
});

describe('a dead collector', () => {
  it('drops spans, counted in /metrics, and the runs go on as if nothing happened', async () => {
    // A port that was free a moment ago: nothing answers there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const { runs, tracing, get, spansOf } = build({ otlpEndpoint: `http://127.0.0.1:${port}` });
    const results = [];
    for (let index = 0; index < 3; index++) {
      const { runId, done } = await runs.submit(acceptExecutionRequest({ language: 'python', code: `print(${index})` }));
      results.push({ runId, result: await done });
    }
    expect(results.map(({ result }) => result.status)).toEqual(['ok', 'ok', 'ok']);
    // The store still has every span; the collector's share is counted as lost.
    for (const { runId } of results) await spansOf(runId, 2);
    for (let attempt = 0; attempt < 200 && (tracing.counts().otlp?.dropped.export_failed ?? 0) < 6; attempt++) await tracing.flush(100);
    expect(tracing.counts().otlp).toMatchObject({ exported: 0, dropped: { export_failed: 6 } });
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain('umca_trace_spans_dropped_total{destination="otlp",reason="export_failed"} 6');
    expect(metrics).toMatch(/umca_trace_spans_exported_total\{destination="store"\} 6/);
  });
});

describe('trace settings', () => {
  it('take the OTLP endpoint from the flag, else from the standard OTEL variables, and stop as the specification says', () => {
    expect(otlpTracesUrl('http://127.0.0.1:6006')).toBe('http://127.0.0.1:6006/v1/traces');
    expect(otlpTracesUrl('http://collector:4318/v1/traces')).toBe('http://collector:4318/v1/traces');
    expect(resolveTracing({}, {})).toEqual({ enabled: true, recordContent: false, project: 'umca' });
    expect(resolveTracing({ otlpEndpoint: 'http://phoenix:6006', traceProject: 'team' }, {})).toMatchObject({
      project: 'team',
      otlp: { url: 'http://phoenix:6006/v1/traces' },
    });
    expect(resolveTracing({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlp).toEqual({
      fromEnvironment: 'http://collector:4318',
    });
    expect(resolveTracing({ otlpEndpoint: 'http://x:1' }, { OTEL_TRACES_EXPORTER: 'none' }).otlp).toBeUndefined();
    expect(resolveTracing({ traceContent: true }, { OTEL_SDK_DISABLED: 'true' })).toMatchObject({ enabled: false, recordContent: false });
    expect(resolveTracing({ tracing: 'off', traceContent: true }, {})).toMatchObject({ enabled: false, recordContent: false });
  });
});
