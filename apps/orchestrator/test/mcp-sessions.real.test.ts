/**
 * Sessions through MCP, driven by the official TypeScript SDK client against a real `umca serve`:
 * create_session, run_code with its sessionId call after call (a CSV loaded, grouped, then
 * plotted, with the DataFrame kept between calls), end_session; and the refusals as tool errors
 * in words: a run that names what only the session sets, an unknown session, an ended one. A
 * session left idle past its idle TTL (10 s here; 5 minutes by default) is paused to disk by the
 * server's own timer, and the next run_code resumes it with its DataFrame.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
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

type Structured = Record<string, unknown> & { id?: string; stdout?: string; status?: string; files?: Array<{ path: string }> };
const structured = (answer: Awaited<ReturnType<Client['callTool']>>) => answer.structuredContent as Structured;
const text = (answer: Awaited<ReturnType<Client['callTool']>>) =>
  (answer.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('');

describe('sessions through MCP', () => {
  it('keeps a DataFrame across run_code calls: CSV, groupby, plot, then ends the session', async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['create_session', 'end_session', 'run_code']));
    expect(tools.find((tool) => tool.name === 'end_session')?.annotations).toMatchObject({ destructiveHint: true });
    const opened = await client.callTool({ name: 'create_session', arguments: { language: 'python', idleTtlSeconds: 600 } });
    expect(opened.isError).toBeFalsy();
    const session = structured(opened);
    expect(session).toMatchObject({ status: 'active', runtime: 'wasi-python', idleTtlSeconds: 600 });
    const sessionId = String(session.id);
    const code = (program: string) => ({
      name: 'run_code',
      arguments: { language: 'python', code: program, sessionId, timeoutMs: 60_000 },
    });
    const csv = "open('sales.csv', 'w').write('city,sales\\nOslo,3\\nLima,5\\nOslo,4\\nLima,1\\n')\n";
    const loaded = await client.callTool(code(`${csv}import pandas as pd\ndf = pd.read_csv('sales.csv')\nprint(len(df))`));
    expect(structured(loaded)).toMatchObject({ status: 'ok', stdout: '4\n', session: { id: sessionId, status: 'active' } });
    const grouped = await client.callTool(code("totals = df.groupby('city')['sales'].sum()\nprint(totals.to_dict())"));
    expect(structured(grouped)).toMatchObject({ status: 'ok', stdout: "{'Lima': 6, 'Oslo': 7}\n" });
    const plotted = await client.callTool(code("import matplotlib.pyplot as plt\ntotals.plot.bar()\nplt.savefig('totals.png')"));
    expect(structured(plotted).files?.map((file) => file.path)).toEqual(['totals.png']);
    const ended = await client.callTool({ name: 'end_session', arguments: { sessionId } });
    expect(structured(ended)).toMatchObject({ id: sessionId, status: 'ended', endedBecause: 'its owner ended it' });
    const after = await client.callTool(code('print(df)'));
    expect(after.isError).toBe(true);
    expect(text(after)).toMatch(/there is no session/);
  });

  it('pauses a session idle past its TTL to disk, and the next run_code resumes it with its DataFrame', async () => {
    const client = await connect();
    const session = structured(await client.callTool({ name: 'create_session', arguments: { language: 'python', idleTtlSeconds: 10 } }));
    const sessionId = String(session.id);
    const code = (program: string) => ({
      name: 'run_code',
      arguments: { language: 'python', code: program, sessionId, timeoutMs: 60_000 },
    });
    const loaded = await client.callTool(
      code("import pandas as pd\ndf = pd.DataFrame({'city': ['Oslo', 'Lima', 'Oslo'], 'sales': [3, 5, 4]})\nprint(len(df))"),
    );
    expect(structured(loaded)).toMatchObject({ status: 'ok', stdout: '3\n' });
    // The server's idle timer pauses it; look, a bounded number of times, until it has.
    let status = 'active';
    for (let look = 0; look < 240 && status !== 'paused'; look++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = String(((await (await fetch(`${server().url}/v1/sessions/${sessionId}`)).json()) as { status: string }).status);
    }
    expect(status).toBe('paused');
    const resumed = await client.callTool(code("print(df.groupby('city')['sales'].sum().to_dict())"));
    expect(structured(resumed)).toMatchObject({
      status: 'ok',
      stdout: "{'Lima': 5, 'Oslo': 7}\n",
      session: { id: sessionId, status: 'active' },
    });
    await client.callTool({ name: 'end_session', arguments: { sessionId } });
  });

  it('refuses, as tool errors in words, what only a session sets, and a session that is not there', async () => {
    const client = await connect();
    const session = structured(await client.callTool({ name: 'create_session', arguments: { language: 'python', runtime: 'pyodide' } }));
    const named = await client.callTool({
      name: 'run_code',
      arguments: {
        language: 'python',
        code: 'print(1)',
        sessionId: session.id,
        memoryMb: 64,
        allowedOutboundHosts: ['https://example.com'],
      },
    });
    expect(named.isError).toBe(true);
    expect(text(named)).toBe(
      "leave allowedOutboundHosts, memoryMb out with a sessionId: a session's runs use the session's own (set with create_session)",
    );
    const unknown = await client.callTool({ name: 'run_code', arguments: { language: 'python', code: 'print(1)', sessionId: 'ses_nope' } });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toMatch(/there is no session ses_nope/);
    const mismatched = await client.callTool({ name: 'create_session', arguments: { language: 'javascript', runtime: 'pyodide' } });
    expect(mismatched.isError).toBe(true);
    expect(text(mismatched)).toMatch(/a javascript session runs on quickjs/);
    await client.callTool({ name: 'end_session', arguments: { sessionId: session.id } });
  });

  it('keeps JavaScript state across run_code calls in a JavaScript session', async () => {
    const client = await connect();
    const session = structured(await client.callTool({ name: 'create_session', arguments: { language: 'javascript' } }));
    expect(session).toMatchObject({ language: 'javascript', runtime: 'quickjs' });
    const js = (code: string) => client.callTool({ name: 'run_code', arguments: { language: 'javascript', code, sessionId: session.id } });
    await js('let seen = ["a"];\nfunction note(x) { seen.push(x); return seen.length; }');
    expect(structured(await js('console.log(note("b"), seen.join(""))'))).toMatchObject({ status: 'ok', stdout: '2 ab\n' });
    await client.callTool({ name: 'end_session', arguments: { sessionId: session.id } });
  });
});
