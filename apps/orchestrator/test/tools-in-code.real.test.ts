/**
 * Code that calls tools, end to end: a real `umca serve` (real sandbox, store, bus, policy and
 * UMCA's own tokens) as the MCP client of the stand-in for RAGFlow and a Dify app (the official
 * Python MCP SDK, a real MCP server) that requires a bearer token, registered from an MCP
 * servers file that names the token by environment variable. Sandboxed Python and JavaScript
 * call two of its tools in one program and get structured results, each call a `tool.called`
 * event; a role without a tool is refused (a `policy.denied` among the run's events, an error
 * the program catches); the run's call budget holds; a tool that fails and a server that dies
 * mid-call are errors the program can handle, and the run ends cleanly; the token is nowhere a
 * program or a reader of events could see it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalTokenStore } from '@umca/auth';
import { createClient } from '@umca/client';
import type { RunResult, UmcaEvent, UpstreamToolList } from '@umca/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { useStandInMcpServer } from './support/stand-in-mcp-server.js';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

const SECRET = `stand-in-secret-${Date.now().toString(36)}-do-not-leak`;
const BUDGET = 6;

const ragflow = useStandInMcpServer({ token: SECRET });
const dify = useStandInMcpServer();

const folder = mkdtempSync(join(tmpdir(), 'umca-tools-in-code-'));
const policyFile = join(folder, 'policy.yaml');
writeFileSync(
  policyFile,
  `version: umca.policy.v1
roles:
  developer:
    tools: [run_code, get_run, list_runs]
    upstreamTools: ["ragflow_*", "dify_*"]
  reader:
    tools: [run_code, get_run, list_runs]
    upstreamTools: [ragflow_ragflow_retrieval]
`,
);
const mcpFile = join(folder, 'mcp-servers.json');

// First started without the policy (which needs tokens to check); restarted with it once UMCA's own tokens exist.
let withPolicy = false;
const server = useServer({
  modelEnv: () => ({ RAGFLOW_TOKEN: SECRET }),
  configEnv: () => ({ RAGFLOW_TOKEN: SECRET }),
  config: () => {
    writeFileSync(
      mcpFile,
      JSON.stringify({
        version: 'umca.mcp-servers.v1',
        servers: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the file format's reference to an environment variable
          { name: 'ragflow', transport: 'http', url: ragflow().url, auth: { type: 'bearer', token: '${RAGFLOW_TOKEN}' } },
          { name: 'dify', transport: 'http', url: dify().url, timeoutMs: 20_000 },
        ],
      }),
    );
    return { ...(withPolicy ? { policy: policyFile } : {}), mcpConfig: mcpFile, toolCallsPerRun: BUDGET };
  },
});

const tokens: Record<string, string> = {};
beforeAll(async () => {
  // A signing key in the data directory makes the server require tokens once it starts again.
  const store = createLocalTokenStore({ dir: join(server().dataDir, 'auth') });
  for (const role of ['developer', 'reader'])
    tokens[role] = (await store.issue({ sub: `${role}-1`, roles: [role], ttlSeconds: 3600 })).token;
  withPolicy = true;
  await server().restart();
  // Until UMCA has connected to both (with the token, for ragflow).
  await until(
    async () => {
      const list = (await (await call('GET', '/v1/tools', 'developer')).json()) as UpstreamToolList;
      return list.servers.every((entry) => entry.status === 'up') && list.servers.length === 2;
    },
    300,
    100,
  );
});

function call(method: string, path: string, role: string, body?: unknown): Promise<Response> {
  return fetch(`${server().url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[role]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

async function execute(role: string, request: Record<string, unknown>): Promise<RunResult> {
  const response = await call('POST', '/v1/executions', role, request);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as RunResult;
}

async function eventsOf(runId: string, role: string): Promise<UmcaEvent[]> {
  const response = await call('GET', `/v1/runs/${runId}/events`, role);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as UmcaEvent);
}

const ofType = (events: UmcaEvent[], type: string) => events.filter((event) => event.type === type).map((event) => event.data);

describe('a sandboxed program calling upstream MCP tools', () => {
  it('calls two tools in one Python program and gets structured results, each call an event', async () => {
    const code = [
      'from umca_tools import ragflow, dify',
      'found = ragflow.ragflow_retrieval(question="How long do refunds take?", top_k=1)',
      'order = dify.workflow_run(order_id="A-17")',
      'print(found["chunks"][0]["title"], order["outputs"]["state"], order["outputs"]["eta_days"])',
    ].join('\n');
    const result = await execute('developer', { language: 'python', code });
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout).toBe('Refunds shipped 1\n');
    const events = await eventsOf(result.runId, 'developer');
    const called = ofType(events, 'dev.umca.tool.called.v1');
    expect(called).toEqual([
      expect.objectContaining({
        runId: result.runId,
        name: 'ragflow_ragflow_retrieval',
        server: 'ragflow',
        tool: 'ragflow_retrieval',
        caller: 'program',
        outcome: 'ok',
      }),
      expect.objectContaining({ name: 'dify_workflow_run', server: 'dify', tool: 'workflow_run', caller: 'program', outcome: 'ok' }),
    ]);
    // Content is not recorded on this server (no --trace-content): no arguments, no answers.
    for (const data of called) expect(data).not.toHaveProperty('arguments');
    // In order: between the run's start and the program's end.
    const types = events.map((event) => event.type);
    expect(types.indexOf('dev.umca.tool.called.v1')).toBeGreaterThan(types.indexOf('dev.umca.run.started.v1'));
    expect(types.lastIndexOf('dev.umca.tool.called.v1')).toBeLessThan(types.indexOf('dev.umca.code.executed.v1'));
  });

  it('calls them from JavaScript with await, and gets the same answers', async () => {
    const code = [
      'import { ragflow, dify } from "umca:tools";',
      'const found = await ragflow.ragflow_retrieval({ question: "warranty of a device", top_k: 1 });',
      'const order = await dify.workflow_run({ order_id: "B-2" });',
      'console.log(found.chunks[0].document_id, order.outputs.order_id);',
    ].join('\n');
    const result = await execute('developer', { language: 'javascript', code });
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout).toBe('doc-3 B-2\n');
    expect(ofType(await eventsOf(result.runId, 'developer'), 'dev.umca.tool.called.v1')).toHaveLength(2);
  });

  it('refuses a tool the caller’s roles do not allow: an error the program catches, and a policy.denied among the run’s events', async () => {
    const code = [
      'import umca_tools',
      'from umca_tools import ragflow',
      'print(sorted(tool["name"] for tool in umca_tools.tools()))',
      'try:',
      '    umca_tools.call("dify_workflow_run", order_id="A-17")',
      'except umca_tools.ToolDenied as error:',
      '    print("refused", error.code, isinstance(error, PermissionError))',
      'print(ragflow.ragflow_retrieval(question="When do orders ship?")["chunks"][0]["title"])',
    ].join('\n');
    const result = await execute('reader', { language: 'python', code });
    expect(result.status, result.stderr).toBe('ok');
    // The module offers only what the role allows; the other server's tools are not even named.
    expect(result.stdout).toBe("['ragflow_ragflow_retrieval']\nrefused denied True\nShipping\n");
    const events = await eventsOf(result.runId, 'reader');
    const denied = events.filter((event) => event.type === 'dev.umca.policy.denied.v1');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      subject: result.runId,
      principal: 'reader-1',
      data: { runId: result.runId, sub: 'reader-1', roles: ['reader'], tool: 'dify_workflow_run', rule: 'upstreamTools' },
    });
    // Only the allowed call was made.
    expect(ofType(events, 'dev.umca.tool.called.v1').map((data) => (data as { name: string }).name)).toEqual(['ragflow_ragflow_retrieval']);
  });

  it('holds the run to its call budget, refused calls counted, with one policy.denied for it', async () => {
    const code = [
      'import umca_tools',
      'answers = []',
      `for attempt in range(${BUDGET + 3}):`,
      '    try:',
      '        umca_tools.call("ragflow_ragflow_retrieval", question="refunds")',
      '        answers.append("ok")',
      '    except umca_tools.ToolDenied as error:',
      '        answers.append(error.code)',
      'print(",".join(answers))',
    ].join('\n');
    const result = await execute('developer', { language: 'python', code });
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout.trim().split(',')).toEqual([...Array(BUDGET).fill('ok'), ...Array(3).fill('budget_exhausted')]);
    const events = await eventsOf(result.runId, 'developer');
    expect(ofType(events, 'dev.umca.tool.called.v1')).toHaveLength(BUDGET);
    expect(ofType(events, 'dev.umca.policy.denied.v1')).toEqual([expect.objectContaining({ rule: 'toolCallsPerRun' })]);
  });

  it('gives a failing tool as ToolError, and the program goes on', async () => {
    const code = [
      'import umca_tools',
      'try:',
      '    umca_tools.call("ragflow_failing")',
      'except umca_tools.ToolError as error:',
      '    print("failed:", error.code, error)',
    ].join('\n');
    const result = await execute('developer', { language: 'python', code });
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout).toMatch(/^failed: tool_error .*the upstream tool broke/);
    expect(ofType(await eventsOf(result.runId, 'developer'), 'dev.umca.tool.called.v1')).toEqual([
      expect.objectContaining({
        name: 'ragflow_failing',
        outcome: 'tool_error',
        message: expect.stringContaining('the upstream tool broke'),
      }),
    ]);
  });

  it('never shows the server’s token: not to the program, not in the run’s output or events', async () => {
    const code = [
      'import os, sys, json, umca_tools',
      `secret = ${JSON.stringify(SECRET)}`,
      // Everything the program can see of the module, the environment and the tools' descriptions.
      'seen = json.dumps([sorted(os.environ.items()), umca_tools.tools(), [repr(value) for value in vars(umca_tools).values()]])',
      'print("secret seen" if secret in seen else "not seen")',
      'print(json.dumps(umca_tools.call("ragflow_environment_names")))',
    ].join('\n');
    const result = await execute('developer', { language: 'python', code });
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout.split('\n')[0]).toBe('not seen');
    const events = await eventsOf(result.runId, 'developer');
    // The program's own source names the secret (the test put it there); nothing UMCA wrote does.
    const written = JSON.stringify(events.filter((event) => event.type !== 'dev.umca.run.created.v1'));
    expect(written.split(SECRET).length - 1).toBe(0);
    const run = await (await call('GET', `/v1/runs/${result.runId}`, 'developer')).text();
    expect(run.split(SECRET).length - 1, 'only the request’s own code holds it').toBe(1);
    const tools = await (await call('GET', '/v1/tools', 'developer')).text();
    expect(tools).not.toContain(SECRET);
  });

  it('ends a call cleanly when its server dies mid-call: an error the program handles, and the run ends ok', async () => {
    const code = [
      'import umca_tools',
      'try:',
      '    umca_tools.call("dify_slow", seconds=600)',
      '    print("answered")',
      'except umca_tools.ToolUnavailable as error:',
      '    print("unavailable:", error.code, isinstance(error, ConnectionError))',
      'print("after")',
    ].join('\n');
    const umca = createClient({ baseUrl: server().url, token: tokens.developer });
    const { runId } = await umca.submitExecution({
      language: 'python',
      code: `print("calling", flush=True)\n${code}`,
      limits: { timeoutMs: 10_000 },
    });
    // Once the program has said it is calling (the call is under way), the server is killed. The
    // run's 10 s are less than the 15 s between pings: the cut stream itself must end the call.
    let stopped = false;
    for await (const { event } of umca.followRun(runId)) {
      if (!stopped && event.type === 'dev.umca.output.appended.v1' && event.data.text.includes('calling')) {
        stopped = true;
        await dify().kill();
      }
    }
    expect(stopped).toBe(true);
    const response = await call('GET', `/v1/runs/${runId}`, 'developer');
    const result = { ...((await response.json()) as { result: RunResult }).result, runId };
    expect(result.status, result.stderr).toBe('ok');
    expect(result.stdout).toBe('calling\nunavailable: server_down True\nafter\n');
    const called = ofType(await eventsOf(result.runId, 'developer'), 'dev.umca.tool.called.v1');
    expect(called).toEqual([
      expect.objectContaining({
        name: 'dify_slow',
        outcome: 'server_down',
        message: expect.stringContaining('the MCP server dify stopped answering during the call'),
      }),
    ]);
  });
});
