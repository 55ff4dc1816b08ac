/**
 * Traces into a real Arize Phoenix (test/support/phoenix.ts): a real `umca serve` (real sandbox,
 * SQLite) sends its spans over OTLP/HTTP protobuf while keeping them in its own store; its model
 * is the scripted OpenAI-compatible TEST DOUBLE (see its file). What Phoenix shows is read back
 * through Phoenix's own REST API, not assumed: the same trace, the same span tree, the GenAI and
 * OpenInference attributes it reads. Then Phoenix dies, and runs go on, its spans counted as lost.
 */
import { createClient } from '@umca/client';
import type { TraceSpan } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_GOOD, ADD_PLAN, ADD_WRONG, scriptAgent } from '../../../packages/models/test/support/scripted-agent.js';
import { type ScriptedOpenAiServer, startScriptedOpenAiServer } from '../../../packages/models/test/support/scripted-openai-server.js';
import { type RunningPhoenix, startPhoenix } from '../../../test/support/phoenix.js';
import { useServer } from './support/use-server.js';

const PROJECT = 'umca-traces-test';
let phoenix: RunningPhoenix;
let model: ScriptedOpenAiServer;
beforeAll(async () => {
  [phoenix, model] = await Promise.all([startPhoenix(), startScriptedOpenAiServer()]);
}, 180_000);
afterAll(async () => {
  await model?.close();
  await phoenix?.stop();
});
const server = useServer({
  modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }),
  // Read when the server starts, after Phoenix has (its port is known then).
  config: () => ({ otlpEndpoint: phoenix.url, traceProject: PROJECT, traceContent: true }),
});
const client = () => createClient({ baseUrl: server().url });

/** Our own spans of a run, once all `expected` are kept. */
async function storedSpans(runId: string, expected: number): Promise<TraceSpan[]> {
  for (let poll = 0; poll < 300; poll++) {
    const { spans } = await client().getRunTrace(runId);
    if (spans.length >= expected) return spans;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`fewer than ${expected} spans were kept for ${runId}`);
}

describe('a task traced into Phoenix', () => {
  it('appears there as the same trace and span tree, with the attributes Phoenix reads', async () => {
    scriptAgent(model, ADD_PLAN, [ADD_WRONG, ADD_GOOD]);
    const result = await client().runTask({ task: 'write add(a, b)', model: 'scripted:coder' });
    expect(result.verdict).toBe('pass');
    const run = await client().getRun(result.runId);
    // Agent, plan + its model call, then two rounds of code (+ call), execute (+ tool), test.
    const ours = await storedSpans(result.runId, 13);
    expect(ours).toHaveLength(13);
    const theirs = (await phoenix.waitForSpans(PROJECT, 13)).filter((span) => span.context.trace_id === run.traceId);
    expect(theirs).toHaveLength(13);

    // The same tree: every span under the same parent, with the same name and kind.
    const shape = (spans: Array<{ id: string; parent?: string | null; name: string; kind: unknown }>) => {
      const byId = new Map(spans.map((span) => [span.id, span]));
      return spans.map((span) => `${byId.get(span.parent ?? '')?.name ?? '(root)'} > ${span.name} [${span.kind}]`).sort();
    };
    expect(
      shape(theirs.map((span) => ({ id: span.context.span_id, parent: span.parent_id, name: span.name, kind: span.span_kind }))),
    ).toEqual(
      shape(
        ours.map((span) => ({
          id: span.spanId,
          parent: span.parentSpanId,
          name: span.name,
          kind: span.attributes['openinference.span.kind'],
        })),
      ),
    );
    expect(new Set(theirs.map((span) => span.span_kind))).toEqual(new Set(['AGENT', 'CHAIN', 'LLM', 'TOOL']));

    const root = theirs.find((span) => span.parent_id === null);
    expect(root).toMatchObject({ name: 'invoke_agent umca-task-flow', span_kind: 'AGENT', status_code: 'OK' });
    expect(root?.attributes).toMatchObject({
      'umca.run.id': result.runId,
      'input.value': 'write add(a, b)',
      'gen_ai.agent.name': 'umca-task-flow',
    });

    const llm = theirs.filter((span) => span.span_kind === 'LLM');
    expect(llm).toHaveLength(3);
    for (const span of llm) {
      expect(span.name).toBe('chat coder');
      expect(span.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'scripted',
        'gen_ai.request.model': 'coder',
        'gen_ai.response.model': 'coder',
        'llm.model_name': 'coder',
        'llm.provider': 'scripted',
      });
      expect(span.attributes['llm.token_count.prompt']).toBeGreaterThan(0);
      expect(span.attributes['llm.token_count.total']).toBe(
        (span.attributes['llm.token_count.prompt'] as number) + (span.attributes['llm.token_count.completion'] as number),
      );
      expect(span.attributes['llm.input_messages.0.message.role']).toBe('system');
    }
    const tools = theirs.filter((span) => span.span_kind === 'TOOL');
    expect(tools.map((span) => [span.name, span.attributes['umca.execution.status']])).toEqual([
      ['execute_tool run_code', 'ok'],
      ['execute_tool run_code', 'ok'],
    ]);
    // The first round's checks failed: its test step is an error, in Phoenix too.
    const tests = theirs.filter((span) => span.name === 'test').map((span) => span.status_code);
    expect(tests.sort()).toEqual(['ERROR', 'OK']);
  });
});

describe('a collector that dies', () => {
  it('costs its spans, counted in /metrics, and no run', async () => {
    await phoenix.stop();
    const before = await droppedOtlp();
    const results = [];
    for (const code of ['print(1)', 'print(2)']) results.push(await client().runCode({ language: 'python', code }));
    expect(results.map((result) => result.status)).toEqual(['ok', 'ok']);
    // Still in the store: the run page keeps its trace.
    for (const result of results) await storedSpans(result.runId, 2);
    let dropped = before;
    for (let poll = 0; poll < 600 && dropped < before + 4; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      dropped = await droppedOtlp();
    }
    expect(dropped).toBeGreaterThanOrEqual(before + 4);
  });
});

async function droppedOtlp(): Promise<number> {
  const text = await (await fetch(`${server().url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((entry) => entry.startsWith('umca_trace_spans_dropped_total{destination="otlp",reason="export_failed"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
