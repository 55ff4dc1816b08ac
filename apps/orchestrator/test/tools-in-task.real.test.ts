/**
 * An agent task that needs retrieval, on a real `umca serve` that is the MCP client of the
 * stand-in for RAGFlow (the official Python MCP SDK, a real MCP server). The planner calls the
 * retrieval tool through the model's tool calling (the gateway speaks the OpenAI tool-call wire)
 * and its answer becomes the coder's context; the coder is told the tools its program may call,
 * and writes a program that calls one. Each call is a `tool.called` event (the agent's with its
 * step), with arguments and answer because this server records content. The model is the
 * scripted OpenAI-compatible TEST DOUBLE (see its file): hosted models cannot be reached here and
 * their answers are not repeatable.
 */
import { createClient } from '@umca/client';
import type { UmcaEvent } from '@umca/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPlannerRequest } from '../../../packages/models/test/support/scripted-agent.js';
import {
  type RecordedRequest,
  type ScriptedOpenAiServer,
  startScriptedOpenAiServer,
} from '../../../packages/models/test/support/scripted-openai-server.js';
import { useStandInMcpServer } from './support/stand-in-mcp-server.js';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

let model: ScriptedOpenAiServer;
beforeAll(async () => {
  model = await startScriptedOpenAiServer();
});
afterAll(() => model.close());
const ragflow = useStandInMcpServer();
const server = useServer({
  modelEnv: () => ({ UMCA_PROVIDER_SCRIPTED_BASE_URL: model.baseUrl }),
  config: () => ({ mcpServers: [`ragflow=${ragflow().url}`], traceContent: true }),
});

const PLAN = '{"plan": ["look up the refund period", "return it as a number"], "checks": ["assert refund_days() == 14"]}';
const CODE = [
  '```python',
  'import re',
  'from umca_tools import ragflow',
  '',
  'def refund_days():',
  '    chunk = ragflow.ragflow_retrieval(question="refunds", top_k=1)["chunks"][0]["content"]',
  '    return int(re.search(r"(\\d+) days", chunk).group(1))',
  '',
  'print(refund_days())',
  '```',
].join('\n');

const lastRole = (request: RecordedRequest) => request.body.messages.at(-1)?.role;

describe('an agent task whose planner and program call an upstream tool', () => {
  it('retrieves while planning, gives the answer to the coder, and runs a program that calls the tool', async () => {
    await until(async () => ((await (await fetch(`${server().url}/v1/tools`)).json()) as { tools: unknown[] }).tools.length > 0, 300, 100);
    // The planner asks for the retrieval first; once it has the answer, it plans.
    model.fallback = (request) => {
      if (!isPlannerRequest(request)) return { text: CODE };
      if (lastRole(request) === 'tool') return { text: PLAN };
      return { toolCalls: [{ name: 'ragflow_ragflow_retrieval', arguments: '{"question": "How long do refunds take?", "top_k": 1}' }] };
    };
    const response = await fetch(`${server().url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'How many days do refunds take? Write refund_days().', model: 'scripted:coder' }),
    });
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result).toMatchObject({ status: 'ok', verdict: 'pass', stdout: '14\n' });
    expect(result.usage.calls).toBe(3); // plan (a tool call), plan again (the JSON), code

    const [asking, planning, coding] = model.requests.slice(-3);
    // The planner was offered the tool as a function, with its JSON Schema.
    expect(asking?.body.tools).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'function',
          function: expect.objectContaining({
            name: 'ragflow_ragflow_retrieval',
            parameters: expect.objectContaining({ required: ['question'] }),
          }),
        }),
      ]),
    );
    // The tool's answer went back to the planner, and on to the coder with the tools it may call.
    expect(planning?.body.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: expect.stringContaining('Refunds are paid within 14 days'),
    });
    const coderPrompt = coding?.body.messages.map((message) => message.content).join('\n') ?? '';
    expect(coderPrompt).toContain('from umca_tools import ragflow');
    expect(coderPrompt).toContain('ragflow.ragflow_retrieval(question: string (required), top_k: integer)');
    expect(coderPrompt).toContain('Refunds are paid within 14 days');

    const events: UmcaEvent[] = [];
    for await (const { event } of createClient({ baseUrl: server().url }).followRun(result.runId)) events.push(event);
    const called = events.filter((event) => event.type === 'dev.umca.tool.called.v1').map((event) => event.data);
    expect(called).toEqual([
      expect.objectContaining({
        name: 'ragflow_ragflow_retrieval',
        caller: 'agent',
        step: 'plan',
        outcome: 'ok',
        arguments: { question: 'How long do refunds take?', top_k: 1 },
        result: expect.stringContaining('Refunds are paid within 14 days'),
      }),
      // The program's call, once per run of the program (the checks call refund_days again).
      expect.objectContaining({
        name: 'ragflow_ragflow_retrieval',
        caller: 'program',
        outcome: 'ok',
        arguments: { question: 'refunds', top_k: 1 },
      }),
      expect.objectContaining({ caller: 'program' }),
    ]);
    // The trace has a TOOL span for each call, under the step or the execution that made it.
    // Spans reach the store in batches: looked for a bounded number of times.
    let toolSpans: Array<{ name: string; parentSpanId?: string }> = [];
    await until(
      async () => {
        const trace = (await (await fetch(`${server().url}/v1/runs/${result.runId}/trace`)).json()) as { spans: typeof toolSpans };
        toolSpans = trace.spans.filter((span) => span.name === 'execute_tool ragflow_ragflow_retrieval');
        return toolSpans.length === 3;
      },
      100,
      100,
    );
    expect(toolSpans).toHaveLength(3);
  });
});
