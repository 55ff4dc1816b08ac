/**
 * The MCP server over Streamable HTTP, driven by the official TypeScript SDK client.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

const server = useServer();
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

async function connect() {
  const client = new Client({ name: 'umca-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server().url}/mcp`)));
  clients.push(client);
  return client;
}

describe('MCP over Streamable HTTP', () => {
  it('initializes with tools, resources, prompts (with completions) and logging', async () => {
    const client = await connect();
    expect(client.getServerVersion()).toMatchObject({ name: 'umca' });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {}, prompts: {}, completions: {}, logging: {} });
    expect(client.getInstructions()).toContain('run_code');
  });

  it.each(['2025-06-18', '2025-11-25'])('negotiates protocol version %s', async (version) => {
    const response = await fetch(`${server().url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeTruthy();
    const text = await response.text();
    expect(text).toContain(`"protocolVersion":"${version}"`);
  });

  it('lists tools with honest annotations and an output schema', async () => {
    const { tools } = await (await connect()).listTools();
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(Object.keys(byName).sort()).toEqual(['create_session', 'end_session', 'get_run', 'list_runs', 'run_code', 'run_task']);
    expect(byName.run_code?.annotations).toMatchObject({ readOnlyHint: false, openWorldHint: true });
    expect(byName.get_run?.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.list_runs?.annotations).toMatchObject({ readOnlyHint: true });
    expect(JSON.stringify(byName.run_code?.outputSchema)).toContain('stdout');
    expect(byName.run_code?.inputSchema.required).toEqual(['language', 'code']);
  });

  it('runs code, streaming output as logging and progress, and returns structured content', async () => {
    const client = await connect();
    const logged: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logged.push(String(notification.params.data));
    });
    const progress: number[] = [];
    const result = await client.callTool(
      {
        name: 'run_code',
        arguments: { language: 'python', code: 'import time\nfor i in range(3):\n    print("line", i, flush=True)\n    time.sleep(0.1)' },
      },
      undefined,
      { onprogress: (update) => progress.push(update.progress) },
    );
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      status: 'ok',
      exitCode: 0,
      stdout: 'line 0\nline 1\nline 2\n',
      runId: expect.any(String),
    });
    expect(JSON.parse((result.content as Array<{ text: string }>)[0]?.text ?? '{}')).toEqual(result.structuredContent);
    expect(logged.join('')).toBe('line 0\nline 1\nline 2\n');
    expect(progress.length).toBeGreaterThanOrEqual(2);
  });

  it('tolerates optional arguments that are absent, null or empty (as Dify sends them)', async () => {
    const client = await connect();
    const result = await client.callTool({
      name: 'run_code',
      arguments: { language: 'javascript', code: 'console.log(typeof fetch)', allowedOutboundHosts: [], timeoutMs: null, memoryMb: '' },
    });
    expect(result.structuredContent).toMatchObject({ status: 'ok', stdout: 'function\n' });
  });

  it('reports a bad request as a tool error that says what is wrong', async () => {
    const result = await (await connect()).callTool({
      name: 'run_code',
      arguments: { language: 'python', code: 'print(1)', allowedOutboundHosts: ['example.com'] },
    });
    expect(result.isError).toBe(true);
    expect((result.content as Array<{ text: string }>)[0]?.text).toContain('has no scheme');
  });

  it('ends the run when the client cancels the call', async () => {
    const client = await connect();
    const controller = new AbortController();
    const call = client.callTool(
      { name: 'run_code', arguments: { language: 'python', code: 'while True:\n    pass', timeoutMs: 60_000 } },
      undefined,
      {
        signal: controller.signal,
      },
    );
    setTimeout(() => controller.abort(), 500);
    await expect(call).rejects.toThrow();
    // The server learns of the cancellation over the wire: wait for the run to end, then check how.
    let status: string | undefined;
    await until(async () => {
      const listed = await client.callTool({ name: 'list_runs', arguments: { limit: 1 } });
      status = (listed.structuredContent as { runs: Array<{ status: string }> }).runs[0]?.status;
      return status !== 'queued' && status !== 'running';
    });
    expect(status).toBe('cancelled');
  });

  it('gets and lists runs, and reads a run as a resource with its output and events', async () => {
    const client = await connect();
    const ran = await client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print("resource me")' } });
    const runId = (ran.structuredContent as { runId: string }).runId;
    const got = await client.callTool({ name: 'get_run', arguments: { runId } });
    expect(got.structuredContent).toMatchObject({ id: runId, status: 'ok', stdout: 'resource me\n' });
    const missing = await client.callTool({ name: 'get_run', arguments: { runId: 'run_nope' } });
    expect(missing.isError).toBe(true);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toContain('umca://runs/{runId}');
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain(`umca://runs/${runId}`);
    const read = await client.readResource({ uri: `umca://runs/${runId}` });
    expect(read.contents.map((content) => content.uri)).toEqual([
      `umca://runs/${runId}`,
      `umca://runs/${runId}/output`,
      `umca://runs/${runId}/events`,
    ]);
    expect((read.contents[1] as { text: string }).text).toBe('resource me\n');
    const events = JSON.parse((read.contents[2] as { text: string }).text) as Array<{ type: string }>;
    expect(events.at(-1)?.type).toBe('dev.umca.run.ended.v1');
  });

  it('refuses requests without a session, and with an unknown one', async () => {
    const noSession = await fetch(`${server().url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(noSession.status).toBe(400);
    const unknown = await fetch(`${server().url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': 'nope',
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
  });
});

describe('MCP stream resumption', () => {
  it('resumes a dropped tool-call stream from the store with Last-Event-ID, losing nothing', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(`${server().url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    const session = init.headers.get('mcp-session-id') ?? '';
    await init.text();
    const sessionHeaders = { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    await fetch(`${server().url}/mcp`, {
      method: 'POST',
      headers: sessionHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    const controller = new AbortController();
    const call = await fetch(`${server().url}/mcp`, {
      method: 'POST',
      headers: sessionHeaders,
      signal: controller.signal,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: {
          name: 'run_code',
          arguments: {
            language: 'python',
            code: 'import time\nfor i in range(4):\n    print("chunk", i, flush=True)\n    time.sleep(0.25)',
          },
        },
      }),
    });
    // read until the first output notification, remember its event id, then drop the connection
    const reader = call.body?.getReader();
    let text = '';
    while (!/id: (\S+)\ndata: .*notifications\/message/.test(text)) text += new TextDecoder().decode((await reader?.read())?.value);
    const lastId = [...text.matchAll(/^id: (\S+)$/gm)].at(-1)?.[1] ?? '';
    controller.abort();
    // Until the server notices the dropped connection the stream still counts as open (409):
    // a client retries, as this one does.
    let resumed = new Response(null, { status: 409 });
    for (let attempt = 0; attempt < 40 && resumed.status === 409; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      resumed = await fetch(`${server().url}/mcp`, {
        method: 'GET',
        headers: { ...sessionHeaders, accept: 'text/event-stream', 'last-event-id': lastId },
      });
    }
    expect(resumed.status).toBe(200);
    const resumedReader = resumed.body?.getReader();
    let rest = '';
    while (!rest.includes('"id":2')) rest += new TextDecoder().decode((await resumedReader?.read())?.value);
    await resumedReader?.cancel();
    const seenOutput = [...`${text}${rest}`.matchAll(/"data":"(chunk \d)\\n"/g)].map((match) => match[1]);
    expect(seenOutput).toEqual(['chunk 0', 'chunk 1', 'chunk 2', 'chunk 3']);
    expect(rest).toMatch(/"structuredContent":\{"status":"ok"/);
  });
});
