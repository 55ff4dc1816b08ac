/**
 * Live events over SSE: order, resume after a dropped connection, and a client that outlives a
 * server restart, with no event lost or repeated.
 */
import { describe, expect, it } from 'vitest';
import { connectSse } from './support/sse-client.js';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

const server = useServer({ sse: { heartbeatMs: 100, retryMs: 500 } });

async function submit(code: string, language = 'python') {
  const response = await fetch(`${server().url}/v1/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', prefer: 'respond-async' },
    body: JSON.stringify({ language, code }),
  });
  return ((await response.json()) as { runId: string }).runId;
}

const types = (messages: Array<{ data: string }>) => messages.map((message) => JSON.parse(message.data).type as string);
const offsets = (messages: Array<{ id: string }>) => messages.map((message) => Number(message.id));

describe('GET /v1/runs/{id}/events', () => {
  it('replays a run from its start, follows it live, and ends after run.ended', async () => {
    const runId = await submit('import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.2)');
    const stream = await connectSse(`${server().url}/v1/runs/${runId}/events`);
    expect(stream.status).toBe(200);
    await stream.ended;
    expect(stream.retry).toBe(500);
    const seen = types(stream.messages);
    expect(seen[0]).toBe('dev.umca.run.created.v1');
    // The router's decision, then the start (docs/wasmtime-lane.md).
    expect(seen.slice(1, 3)).toEqual(['dev.umca.lane.selected.v1', 'dev.umca.run.started.v1']);
    expect(seen.slice(-2)).toEqual(['dev.umca.code.executed.v1', 'dev.umca.run.ended.v1']);
    const output = stream.messages
      .filter((message) => JSON.parse(message.data).type === 'dev.umca.output.appended.v1')
      .map((message) => JSON.parse(message.data).data.text);
    expect(output.join('')).toBe('0\n1\n2\n');
    expect(output.length).toBeGreaterThanOrEqual(2); // it arrived while the program ran, not all at the end
    const ids = offsets(stream.messages);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const message of stream.messages)
      expect(JSON.parse(message.data)).toMatchObject({ specversion: '1.0', subject: runId, datacontenttype: 'application/json' });
  });

  it('resumes exactly after Last-Event-ID, and answers 204 once the run is over', async () => {
    const runId = await submit('import time\nfor i in range(4):\n    print(i, flush=True)\n    time.sleep(0.15)');
    const first = await connectSse(`${server().url}/v1/runs/${runId}/events`);
    const early = await first.waitFor(3);
    first.close(); // the connection drops
    const resumed = await connectSse(`${server().url}/v1/runs/${runId}/events`, { lastEventId: early.at(-1)?.id });
    await resumed.ended;
    const whole = await connectSse(`${server().url}/v1/runs/${runId}/events`);
    await whole.ended;
    expect([...offsets(early), ...offsets(resumed.messages)]).toEqual(offsets(whole.messages));
    const after = await connectSse(`${server().url}/v1/runs/${runId}/events`, { lastEventId: whole.messages.at(-1)?.id });
    expect(after.status).toBe(204);
    expect((await connectSse(`${server().url}/v1/runs/${runId}/events`, { lastEventId: 'yesterday' })).status).toBe(400);
  });
});

describe('GET /v1/events', () => {
  it('follows all runs from now on, sends heartbeats, and replays everything with ?after=0', async () => {
    const live = await connectSse(`${server().url}/v1/events`);
    const runId = await submit('console.log("hi")', 'javascript');
    await until(() => types(live.messages).includes('dev.umca.run.ended.v1') && live.comments.includes('keep-alive'));
    const fromLive = live.messages.map((message) => JSON.parse(message.data));
    expect(fromLive.every((event) => event.subject === runId)).toBe(true);
    expect(fromLive.map((event) => event.type)).toContain('dev.umca.run.ended.v1');
    expect(live.comments).toContain('keep-alive');
    live.close();
    const replay = await connectSse(`${server().url}/v1/events?after=0`);
    const lastLive = offsets(live.messages).at(-1);
    await until(() => offsets(replay.messages).includes(lastLive ?? -1));
    replay.close();
    expect(offsets(replay.messages)[0]).toBe(1);
    expect(offsets(replay.messages)).toEqual(expect.arrayContaining(offsets(live.messages)));
  });

  it('gives a client that starts "from now" its resume point before any event', async () => {
    const last = (await (await fetch(`${server().url}/readyz`)).json()).lastEventOffset;
    const response = await fetch(`${server().url}/v1/events`);
    const reader = response.body?.getReader();
    const first = new TextDecoder().decode((await reader?.read())?.value);
    await reader?.cancel();
    expect(first).toContain(`id: ${last}\n`);
  });

  it('loses and repeats nothing for a client that outlives a server restart', async () => {
    const stream = await connectSse(`${server().url}/v1/events?after=0`);
    const before = await submit('print("before restart")');
    const endedRun = (messages: Array<{ data: string }>, runId: string) =>
      messages.some((message) => JSON.parse(message.data).type === 'dev.umca.run.ended.v1' && JSON.parse(message.data).subject === runId);
    await until(() => endedRun(stream.messages, before));
    stream.close();
    const lastSeen = stream.messages.at(-1)?.id;
    await server().restart(); // same port, same data directory
    const during = await submit('print("after restart")');
    await (await connectSse(`${server().url}/v1/runs/${during}/events`)).ended; // ends after its run.ended
    const last = (await (await fetch(`${server().url}/readyz`)).json()).lastEventOffset as number;
    // Each stream is read up to the last event there is, then closed: what they hold is compared, not how fast it came.
    const resumed = await connectSse(`${server().url}/v1/events`, { lastEventId: lastSeen });
    await until(() => offsets(resumed.messages).includes(last));
    resumed.close();
    const all = await connectSse(`${server().url}/v1/events?after=0`);
    await until(() => offsets(all.messages).includes(last));
    all.close();
    const received = [...offsets(stream.messages), ...offsets(resumed.messages)];
    expect(received).toEqual(offsets(all.messages));
    expect(new Set(received).size).toBe(received.length);
    const subjects = new Set(all.messages.map((message) => JSON.parse(message.data).subject));
    expect(subjects.has(before)).toBe(true);
    expect(subjects.has(during)).toBe(true);
  });
});

describe('shutdown', () => {
  it('ends and records a run that is still executing, and keeps it across the restart', async () => {
    const runId = await submit('while True:\n    pass');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server().restart();
    const run = await (await fetch(`${server().url}/v1/runs/${runId}`)).json();
    expect(run.status).toBe('cancelled');
    const stream = await connectSse(`${server().url}/v1/runs/${runId}/events`);
    await stream.ended;
    expect(types(stream.messages).at(-1)).toBe('dev.umca.run.ended.v1');
  });
});

describe('errors', () => {
  it('publishes error.raised when the sandbox itself fails, before the run ends', async () => {
    const runId = await submit('import js\njs.process.abort()');
    const stream = await connectSse(`${server().url}/v1/runs/${runId}/events`);
    await stream.ended;
    const events = stream.messages.map((message) => JSON.parse(message.data));
    expect(events.map((event) => event.type).slice(-2)).toEqual(['dev.umca.error.raised.v1', 'dev.umca.run.ended.v1']);
    expect(events.at(-2).data).toMatchObject({ runId, code: 'sandbox_crashed', message: expect.stringContaining('SIGABRT') });
    expect(events.at(-1).data.status).toBe('crashed');
  });
});
