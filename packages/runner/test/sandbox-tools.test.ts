/**
 * Upstream tool calls from the sandbox, in-process: the names the sandbox's module gives tools,
 * the host's check of a child's `tool` frame, and the relay that hands a call to the run's
 * `SandboxToolsV1`. The tools here are fakes of that port (UMCA's own, built by the run service
 * over live MCP servers). Real runs that call tools are in sandbox-tools.real.test.ts.
 */
import type { SandboxToolReplyV1, SandboxToolsV1, SandboxToolV1 } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { childMessageSchema } from '../src/host/child-message.js';
import { createToolRelay, MAX_TOOL_ANSWER_BYTES } from '../src/host/create-tool-relay.js';
import { bindSandboxTools, toIdentifier } from '../src/sandbox/tool-bindings.js';

const tool = (server: string, name: string): SandboxToolV1 => ({
  name: `${server}__${name}`,
  server,
  tool: name,
  description: '',
  inputSchema: { type: 'object' },
});
const quiet = { info() {}, warn() {}, error() {} };

describe('bindSandboxTools', () => {
  it('makes identifiers of server and tool names', () => {
    expect(toIdentifier('get-data', new Set())).toBe('get_data');
    expect(toIdentifier('2fast', new Set())).toBe('_2fast');
    expect(toIdentifier('', new Set())).toBe('_');
    expect(toIdentifier('a.b c', new Set())).toBe('a_b_c');
    const namespaces = bindSandboxTools([tool('dify-app', 'class'), tool('dify-app', '2fast'), tool('weather', 'get-data')], 'python');
    expect(namespaces).toEqual([
      {
        name: 'dify_app',
        server: 'dify-app',
        functions: [
          { name: 'class_', tool: 'dify-app__class' },
          { name: '_2fast', tool: 'dify-app__2fast' },
        ],
      },
      { name: 'weather', server: 'weather', functions: [{ name: 'get_data', tool: 'weather__get-data' }] },
    ]);
  });

  it('leaves out the later of two names that meet, and names that would change the namespace itself', () => {
    const namespaces = bindSandboxTools(
      [
        tool('weather', 'get-data'),
        tool('weather', 'get_data'),
        tool('weather', '__proto__'),
        tool('call', 'x'),
        tool('dify_app', 'a'),
        tool('dify-app', 'b'),
      ],
      'javascript',
    );
    expect(namespaces).toEqual([
      { name: 'weather', server: 'weather', functions: [{ name: 'get_data', tool: 'weather__get-data' }] },
      { name: 'dify_app', server: 'dify_app', functions: [{ name: 'a', tool: 'dify_app__a' }] },
    ]);
  });

  it('names functions alike in both languages; a namespace JavaScript cannot bind gets a `_` there only', () => {
    const tools = [tool('delete', 'new'), tool('lambda', 'def')];
    expect(bindSandboxTools(tools, 'python').map(({ name, functions }) => [name, functions[0]?.name])).toEqual([
      ['delete', 'new'],
      ['lambda_', 'def_'],
    ]);
    expect(bindSandboxTools(tools, 'javascript').map(({ name, functions }) => [name, functions[0]?.name])).toEqual([
      ['delete_', 'new'],
      ['lambda_', 'def_'],
    ]);
  });
});

describe("the host's check of a child's tool frame", () => {
  const frame = (fields: Record<string, unknown>) =>
    childMessageSchema.safeParse({ type: 'tool', id: 1, name: 'a__b', arguments: '{}', ...fields });

  it('accepts a call and refuses a malformed one (the child is then killed)', () => {
    expect(frame({}).success).toBe(true);
    expect(frame({ id: 0 }).success).toBe(false);
    expect(frame({ id: 1.5 }).success).toBe(false);
    expect(frame({ name: 'x'.repeat(401) }).success).toBe(false);
    expect(frame({ name: 7 }).success).toBe(false);
    expect(frame({ arguments: {} }).success).toBe(false);
    expect(frame({ arguments: 'x'.repeat(1_048_577) }).success).toBe(false);
  });
});

/** A fake of the run's tools that records each call and answers what `answer` says. */
function fakeTools(answer: (name: string) => Promise<SandboxToolReplyV1>) {
  const calls: Array<{ name: string; args: unknown; signal: AbortSignal }> = [];
  const tools: SandboxToolsV1 = {
    tools: [tool('ragflow', 'search')],
    call(name, args, signal) {
      calls.push({ name, args, signal });
      return answer(name);
    },
  };
  return { tools, calls };
}

describe('createToolRelay', () => {
  const signal = new AbortController().signal;
  const ok = (reply: SandboxToolReplyV1) => async () => reply;

  it('refuses arguments that are not a JSON object, without calling', async () => {
    const { tools, calls } = fakeTools(ok({ ok: true, text: 'x', isError: false }));
    const relay = createToolRelay({ tools, signal, logger: quiet });
    for (const argumentsJson of ['{', '[1]', 'null', '"a"', '3']) {
      expect(await relay('ragflow__search', argumentsJson)).toMatchObject({ ok: false, code: 'invalid_arguments' });
    }
    expect(calls).toEqual([]);
  });

  it('refuses every call of a run without tools', async () => {
    const relay = createToolRelay({ tools: undefined, signal, logger: quiet });
    expect(await relay('ragflow__search', '{}')).toEqual({
      ok: false,
      code: 'denied',
      message: 'no upstream tools are available to this run',
    });
  });

  it('passes the arguments and the run’s signal on, and the answer back', async () => {
    const { tools, calls } = fakeTools(ok({ ok: true, text: 'found', structured: { hits: [1] }, isError: false }));
    const relay = createToolRelay({ tools, signal, logger: quiet });
    expect(await relay('ragflow__search', '{"q":"x","n":2}')).toEqual({
      ok: true,
      text: 'found',
      structured: { hits: [1] },
      isError: false,
    });
    expect(calls).toEqual([{ name: 'ragflow__search', args: { q: 'x', n: 2 }, signal }]);
  });

  it('turns a call that throws, an unknown code and an answer over 4 MiB into call_failed', async () => {
    const warnings: unknown[] = [];
    const logger = { ...quiet, warn: (...args: unknown[]) => void warnings.push(args) };
    const throwing = createToolRelay({ tools: fakeTools(() => Promise.reject(new Error('token=secret'))).tools, signal, logger });
    const failed = await throwing('ragflow__search', '{}');
    expect(failed).toMatchObject({ ok: false, code: 'call_failed' });
    expect(JSON.stringify(failed)).not.toContain('secret');
    expect(warnings).toHaveLength(1);
    const odd = createToolRelay({ tools: fakeTools(ok({ ok: false, code: 'weird' as 'denied', message: 'm' })).tools, signal, logger });
    expect(await odd('ragflow__search', '{}')).toEqual({ ok: false, code: 'call_failed', message: 'm' });
    // Every code of the port passes as it is: a tool no server offers stays unknown_tool.
    const unknown = createToolRelay({ tools: fakeTools(ok({ ok: false, code: 'unknown_tool', message: 'm' })).tools, signal, logger });
    expect(await unknown('ragflow__search', '{}')).toEqual({ ok: false, code: 'unknown_tool', message: 'm' });
    const tooLarge = { ok: false, code: 'call_failed', message: "the tool's answer was larger than 4 MiB" };
    const bigText = createToolRelay({
      tools: fakeTools(ok({ ok: true, text: 'é'.repeat(MAX_TOOL_ANSWER_BYTES / 2 + 1), isError: false })).tools,
      signal,
      logger,
    });
    expect(await bigText('ragflow__search', '{}')).toEqual(tooLarge);
    const bigStructured = createToolRelay({
      tools: fakeTools(ok({ ok: true, text: '', structured: { a: 'x'.repeat(MAX_TOOL_ANSWER_BYTES) }, isError: false })).tools,
      signal,
      logger,
    });
    expect(await bigStructured('ragflow__search', '{}')).toEqual(tooLarge);
    const justFits = createToolRelay({
      tools: fakeTools(ok({ ok: true, text: 'x'.repeat(MAX_TOOL_ANSWER_BYTES), isError: false })).tools,
      signal,
      logger,
    });
    expect(await justFits('ragflow__search', '{}')).toMatchObject({ ok: true });
  });
});
