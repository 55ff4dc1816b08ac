/**
 * What the planner and coder are told of upstream tools (tool-notes.ts), and the loop that
 * answers a model's tool calls (agent-tools.ts), with a scripted `ask` and a recording tools
 * object in place of the gateway and the run's tools (both our own ports).
 */
import type { GatewayResponse, SandboxToolReplyV1, SandboxToolsV1, SandboxToolV1, ToolDefinition } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { converseWithTools, MAX_TOOL_ROUNDS, toolDefinitions } from '../src/agent-tools.js';
import { toolNotes } from '../src/tool-notes.js';

const RETRIEVAL: SandboxToolV1 = {
  name: 'ragflow_retrieval',
  server: 'ragflow',
  tool: 'retrieval',
  description: 'Retrieve chunks.\nMore detail.',
  inputSchema: { type: 'object', properties: { question: { type: 'string' }, top_k: { type: 'integer' } }, required: ['question'] },
};
const ODD: SandboxToolV1 = { name: 'dify-app_get.data', server: 'dify-app', tool: 'get.data', description: '', inputSchema: {} };

function response(text: string, toolCalls: GatewayResponse['toolCalls'] = []): GatewayResponse {
  return {
    text,
    toolCalls,
    usage: { promptTokens: 1, completionTokens: 1 },
    finishReason: toolCalls.length ? 'tool_calls' : 'stop',
    modelId: 'scripted:m',
    latencyMs: 1,
    attempts: [],
  } as unknown as GatewayResponse;
}

function recordingTools(reply: SandboxToolReplyV1): SandboxToolsV1 & { calls: Array<[string, unknown]> } {
  const calls: Array<[string, unknown]> = [];
  return {
    calls,
    tools: [RETRIEVAL, ODD],
    async call(name, args) {
      calls.push([name, args]);
      return reply;
    },
  };
}

describe('toolNotes', () => {
  it('shows each tool as the call to write, in Python and in JavaScript, and an odd name through call()', () => {
    const python = toolNotes([RETRIEVAL, ODD], 'python');
    expect(python).toContain('from umca_tools import ragflow');
    expect(python).toContain('- ragflow.retrieval(question: string (required), top_k: integer): Retrieve chunks. More detail.');
    expect(python).toContain('- umca_tools.call("dify-app_get.data", {}): (no description)');
    const javascript = toolNotes([RETRIEVAL], 'javascript');
    expect(javascript).toContain('import { call, ragflow } from "umca:tools";');
    expect(javascript).toContain('- await ragflow.retrieval({ question: string (required), top_k: integer })');
  });

  it('says nothing when the program may call no tool', () => {
    expect(toolNotes([], 'python')).toBe('');
  });
});

describe('converseWithTools', () => {
  it('offers only names a model can call, answers its calls, and returns its last answer with what the tools gave', async () => {
    expect(toolDefinitions([RETRIEVAL, ODD]).map((definition) => definition.name)).toEqual(['ragflow_retrieval']);
    const offered: Array<readonly ToolDefinition[]> = [];
    const seen: string[][] = [];
    const answers = [
      response('', [
        { id: 'c1', name: 'ragflow_retrieval', arguments: '{"question": "refunds"}' },
        { id: 'c2', name: 'ragflow_retrieval', arguments: 'not json' },
      ]),
      response('{"plan": []}'),
    ];
    const tools = recordingTools({ ok: true, text: '', structured: { chunks: ['14 days'] }, isError: false });
    const { response: last, findings } = await converseWithTools({
      ask: async (messages, definitions) => {
        offered.push(definitions);
        seen.push(messages.map((message) => `${message.role}:${message.content}`));
        return answers.shift() as GatewayResponse;
      },
      tools,
      messages: [{ role: 'user', content: 'plan it' }],
    });
    expect(last.text).toBe('{"plan": []}');
    expect(tools.calls).toEqual([['ragflow_retrieval', { question: 'refunds' }]]);
    expect(findings).toEqual([{ tool: 'ragflow_retrieval', arguments: '{"question":"refunds"}', answer: '{"chunks":["14 days"]}' }]);
    expect(seen[1]).toEqual([
      'user:plan it',
      'assistant:',
      'tool:{"chunks":["14 days"]}',
      'tool:The call was not made: its arguments were not a JSON object.',
    ]);
    expect(offered[0]?.length).toBe(1);
  });

  it('tells the model why a call was refused, and stops offering tools after the last round', async () => {
    const offered: number[] = [];
    const tools = recordingTools({ ok: false, code: 'denied', message: 'may not call it' });
    const { response: last } = await converseWithTools({
      ask: async (messages, definitions) => {
        offered.push(definitions.length);
        // A model that keeps asking for tools as long as it is offered them.
        return definitions.length
          ? response('', [{ id: `c${offered.length}`, name: 'ragflow_retrieval', arguments: '{}' }])
          : response(`done after ${messages.filter((message) => message.role === 'tool').length} answers: ${messages.at(-1)?.content}`);
      },
      tools,
      messages: [{ role: 'user', content: 'go' }],
    });
    expect(offered).toEqual([...Array(MAX_TOOL_ROUNDS).fill(1), 0]);
    expect(last.text).toBe(`done after ${MAX_TOOL_ROUNDS} answers: The call failed (denied): may not call it`);
  });
});
