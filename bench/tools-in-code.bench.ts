/**
 * Code that calls tools versus one tool call per model turn: what each costs in model calls and
 * prompt tokens on a multi-tool task set, the figure issue 14 asks for. Both modes use the real
 * stand-in MCP server (the official Python MCP SDK: RAGFlow's retrieval, a Dify workflow), UMCA's
 * model gateway and UMCA's own code; the model is the scripted OpenAI-compatible TEST DOUBLE,
 * answering as a competent model would, so the counts are exact and repeatable:
 *  - `code`: a UMCA agent task. The planner plans; the coder writes one program that calls every
 *    tool it needs (`from umca_tools import ...`), run in the sandbox: two model calls whatever
 *    the number of tool calls.
 *  - `turns`: the classic loop over the same gateway and the same tools (`converseWithTools`, the
 *    path UMCA's agents use): the model asks for one tool call per turn, sees each answer, and
 *    writes the summary at the end: one model call per tool call, plus one.
 * Prompt tokens are counted with a real tokenizer (SmolLM2's, from the GGUF file the tests use):
 * every message of every request plus the tool definitions sent with it, as a hosted model bills
 * them. Wall time is printed too, but the scripted model answers at once: it shows UMCA's own
 * cost per tool call (sandbox relay versus model round trip without the model's latency), not what
 * a real model's turns would add (seconds each).
 *
 *   npm run bench:tools           (UMCA_BENCH_QUICK=1 for fewer repetitions)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { converseWithTools } from '@umca/agents';
import type { ChatMessage, SandboxToolsV1 } from '@umca/contracts';
import { createModelGateway } from '@umca/models';
import { acceptTaskRequest } from '@umca/policy';
import { openUpstreamTools } from '@umca/upstream-tools';
import { getLlama } from 'node-llama-cpp';
import { it } from 'vitest';
import { openService } from '../apps/orchestrator/src/index.js';
import { useStandInMcpServer } from '../apps/orchestrator/test/support/stand-in-mcp-server.js';
import { isPlannerRequest } from '../packages/models/test/support/scripted-agent.js';
import { type RecordedRequest, startScriptedOpenAiServer } from '../packages/models/test/support/scripted-openai-server.js';
import { testGguf } from '../packages/models/test/support/test-gguf.js';

const quick = process.env.UMCA_BENCH_QUICK === '1';
const REPEATS = quick ? 2 : 5;
const SIZES = [2, 4, 8, 16];
const quiet = { info() {}, warn: console.warn, error: console.error };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const orders = (count: number) => Array.from({ length: count - 1 }, (_, index) => `A-${index + 1}`);

/** The task: the refund policy (one retrieval) and the state of count-1 orders (one workflow run each). */
const taskText = (count: number) =>
  `Look up our refund policy, and the state of the orders ${orders(count).join(', ')}. Print one line per order with its state and ETA, then the refund period.`;

// With a check, as a planner gives: one without would be asked again (a third model call).
const PLAN =
  '{"plan": ["retrieve the refund policy", "run the order-status workflow for each order", "print"], "checks": ["assert len(ORDERS) > 0"]}';
const program = (count: number) =>
  [
    '```python',
    'from umca_tools import ragflow',
    'import umca_tools',
    `ORDERS = ${JSON.stringify(orders(count))}`,
    'for order_id in ORDERS:',
    '    out = umca_tools.call("ragflow_workflow_run", order_id=order_id)["outputs"]',
    '    print(order_id, out["state"], out["eta_days"])',
    'print(ragflow.ragflow_retrieval(question="refund period", top_k=1)["chunks"][0]["content"])',
    '```',
  ].join('\n');

const standIn = useStandInMcpServer();

it('measures model calls and prompt tokens: code that calls tools versus a tool call per turn', async () => {
  const upstreamServer = { name: 'ragflow', transport: 'http' as const, url: standIn().url, timeoutMs: 30_000 };
  const model = await startScriptedOpenAiServer();
  const llama = await getLlama({ gpu: false });
  const tokenizer = await llama.loadModel({ modelPath: testGguf() });
  const tokensOf = (requests: RecordedRequest[]) =>
    requests.reduce(
      (sum, request) =>
        sum +
        tokenizer.tokenize(request.body.messages.map((message) => message.content ?? '').join('\n')).length +
        (request.body.tools ? tokenizer.tokenize(JSON.stringify(request.body.tools)).length : 0),
      0,
    );
  const modelEnv = { UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl };
  const service = await openService(
    { dataDir: mkdtempSync(join(tmpdir(), 'umca-bench-tools-')), upstreamServers: [upstreamServer], toolCallsPerRun: 100 },
    { logger: quiet, modelEnv, otelEnv: {} },
  );
  const upstream = openUpstreamTools({ servers: [upstreamServer], logger: quiet });
  const gateway = createModelGateway({ env: modelEnv });
  try {
    for (let look = 0; look < 300 && !(service.upstream?.tools().length && upstream.tools().length); look++) {
      await new Promise((done) => setTimeout(done, 100));
    }
    if (!service.upstream?.tools().length) throw new Error('the stand-in MCP server did not come up');
    const tools: SandboxToolsV1 = {
      tools: upstream.tools(),
      async call(name, args, signal) {
        const result = await upstream.call(name, args, { signal });
        return { ok: true, text: result.text, ...(result.structured ? { structured: result.structured } : {}), isError: result.isError };
      },
    };

    async function codeMode(count: number) {
      model.fallback = (request) => ({ text: isPlannerRequest(request) ? PLAN : program(count) });
      const before = model.requests.length;
      const started = performance.now();
      const { done } = await service.runs.submitTask(
        acceptTaskRequest({ task: taskText(count), model: 'scripted:coder', maxIterations: 1 }),
        { toolAccess: { allows: () => true } },
      );
      const result = await done;
      const ms = performance.now() - started;
      if (result.status !== 'ok' || result.stdout.split('\n').length < count)
        throw new Error(`code mode failed: ${result.reason ?? result.stdout}`);
      const requests = model.requests.slice(before);
      return { calls: requests.length, tokens: tokensOf(requests), ms };
    }

    async function turnsMode(count: number) {
      const wanted = [
        ...orders(count).map((id) => ({ name: 'ragflow_workflow_run', arguments: JSON.stringify({ order_id: id }) })),
        { name: 'ragflow_ragflow_retrieval', arguments: '{"question": "refund period", "top_k": 1}' },
      ];
      model.fallback = (request) => {
        const answered = request.body.messages.filter((message) => message.role === 'tool').length;
        const next = wanted[answered];
        return next ? { toolCalls: [next] } : { text: 'A-1 shipped 1 … Refunds are paid within 14 days.' };
      };
      const before = model.requests.length;
      const started = performance.now();
      const messages: ChatMessage[] = [
        { role: 'system', content: 'You answer by calling the tools you are given, one at a time, then write the answer.' },
        { role: 'user', content: taskText(count) },
      ];
      const { findings } = await converseWithTools({
        ask: (turn, definitions) =>
          gateway.chat(['scripted:coder'], { messages: turn, temperature: 0, ...(definitions.length ? { tools: definitions } : {}) }),
        tools,
        messages,
        maxRounds: count + 1,
      });
      const ms = performance.now() - started;
      if (findings.length !== count) throw new Error(`turns mode made ${findings.length} calls, not ${count}`);
      const requests = model.requests.slice(before);
      return { calls: requests.length, tokens: tokensOf(requests), ms };
    }

    await codeMode(2); // warm the sandbox and the connections
    await turnsMode(2);
    console.log('\ntool calls | mode  | model calls | prompt tokens | wall ms (median)');
    for (const count of SIZES) {
      const code: Array<Awaited<ReturnType<typeof codeMode>>> = [];
      const turns: Array<Awaited<ReturnType<typeof turnsMode>>> = [];
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        code.push(await codeMode(count));
        turns.push(await turnsMode(count));
      }
      const [c, t] = [code[0], turns[0]];
      if (!c || !t) continue;
      const [cMs, tMs] = [median(code.map((entry) => entry.ms)), median(turns.map((entry) => entry.ms))];
      console.log(
        `${String(count).padStart(10)} | code  | ${String(c.calls).padStart(11)} | ${String(c.tokens).padStart(13)} | ${cMs.toFixed(0)}`,
      );
      console.log(
        `${String(count).padStart(10)} | turns | ${String(t.calls).padStart(11)} | ${String(t.tokens).padStart(13)} | ${tMs.toFixed(0)}`,
      );
      console.log(
        `${' '.repeat(10)} | ratio turns/code: model calls ×${(t.calls / c.calls).toFixed(1)}, prompt tokens ×${(t.tokens / c.tokens).toFixed(2)}`,
      );
    }
  } finally {
    await service.close();
    await upstream.close();
    await model.close();
    await tokenizer.dispose();
  }
}, 900_000);
