/**
 * `followRun` and `events` against a real `umca serve`: async iterators of `{ offset, event }`
 * that end with the run, and that resume exactly after a dropped connection or a server restart:
 * nothing lost, nothing repeated. A connection is dropped by a `fetch` that cuts a real stream
 * short, as a network would.
 */
import type { StoredEvent, UmcaEvent } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { createClient, type Fetch, type StreamState } from '../src/index.js';
import { useServer } from './support/use-server.js';

const server = useServer({ sse: { retryMs: 50, heartbeatMs: 1_000 } });
const client = () => createClient({ baseUrl: server().url });
const TICKS = 'import time\nfor i in range(5):\n    print("tick", i, flush=True)\n    time.sleep(0.05)\n';

async function collect(stream: AsyncIterable<StoredEvent>, until?: (event: UmcaEvent) => boolean): Promise<StoredEvent[]> {
  const seen: StoredEvent[] = [];
  for await (const stored of stream) {
    seen.push(stored);
    if (until?.(stored.event)) break;
  }
  return seen;
}

/** Reads from `stream` up to the first event `until` accepts, leaving the stream open. */
async function readUntil(stream: AsyncIterator<StoredEvent>, until: (event: UmcaEvent) => boolean): Promise<StoredEvent[]> {
  const seen: StoredEvent[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) return seen;
    seen.push(next.value);
    if (until(next.value.event)) return seen;
  }
}

const endOf = (runId: string) => (event: UmcaEvent) => event.type === 'dev.umca.run.ended.v1' && event.subject === runId;

/**
 * A fetch whose first event stream on `path` ends abruptly after `messages` data messages (0:
 * right after its opening block). Later streams wait for `reconnect` before going out. It records
 * the Last-Event-ID of each stream it opened.
 */
function droppingFetch(path: string, messages: number) {
  const lastEventIds: (string | null)[] = [];
  let dropped = () => {};
  const wasDropped = new Promise<void>((resolve) => {
    dropped = resolve;
  });
  let allowReconnect = () => {};
  const reconnect = new Promise<void>((resolve) => {
    allowReconnect = resolve;
  });
  const fetch: Fetch = async (input, init) => {
    const isStream = new URL(input).pathname === path;
    if (!isStream) return globalThis.fetch(input, init);
    lastEventIds.push(new Headers(init.headers).get('last-event-id'));
    if (lastEventIds.length > 1) await reconnect;
    const response = await globalThis.fetch(input, init);
    if (lastEventIds.length > 1 || !response.body) return response;
    return new Response(cutAfter(response.body, messages, dropped), { status: response.status, headers: response.headers });
  };
  return { fetch, lastEventIds, wasDropped, allowReconnect };
}

function cutAfter(body: ReadableStream<Uint8Array>, messages: number, onCut: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let text = '';
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      text += decoder.decode(value, { stream: true });
      const blocks = text.split('\n\n');
      const wanted = messages + 1; // the opening block, then `messages` events
      if (blocks.length - 1 < wanted) return;
      controller.enqueue(encoder.encode(`${blocks.slice(0, wanted).join('\n\n')}\n\n`));
      await reader.cancel();
      controller.error(new TypeError('the connection dropped'));
      onCut();
    },
    cancel: () => reader.cancel(),
  });
}

describe('followRun', () => {
  it('yields the run’s output as it comes, in order, and ends after run.ended', async () => {
    const { runId } = await client().submitExecution({ language: 'python', code: TICKS });
    const seen = await collect(client().followRun(runId));
    expect(seen[0]?.event.type).toBe('dev.umca.run.created.v1');
    expect(seen.at(-1)?.event).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: 'ok' } });
    const output = seen.flatMap(({ event }) => (event.type === 'dev.umca.output.appended.v1' ? [event.data] : []));
    expect(output.map((piece) => piece.sequence)).toEqual(output.map((_, index) => index));
    expect(output.map((piece) => piece.text).join('')).toBe('tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n');
    const offsets = seen.map((stored) => stored.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
  });

  it('resumes from the last offset after the caller stops: no duplicates, no gaps', async () => {
    const { runId } = await client().submitExecution({ language: 'python', code: TICKS });
    const controller = new AbortController();
    const first: StoredEvent[] = [];
    const stopped = (async () => {
      for await (const stored of client().followRun(runId, { signal: controller.signal })) {
        first.push(stored);
        if (first.length === 3) controller.abort();
      }
    })();
    await expect(stopped).rejects.toMatchObject({ name: 'AbortError' });
    expect(first).toHaveLength(3);
    const rest = await collect(client().followRun(runId, { after: first.at(-1)?.offset ?? 0 }));
    const whole = await collect(client().followRun(runId));
    expect([...first, ...rest]).toEqual(whole);
  });

  it('reconnects by itself after a dropped connection, with Last-Event-ID, losing and repeating nothing', async () => {
    const { runId } = await client().submitExecution({ language: 'python', code: TICKS });
    const network = droppingFetch(`/v1/runs/${runId}/events`, 2);
    network.allowReconnect();
    const states: StreamState[] = [];
    const seen = await collect(
      createClient({ baseUrl: server().url, fetch: network.fetch }).followRun(runId, { onStateChange: (state) => states.push(state) }),
    );
    expect(seen).toEqual(await collect(client().followRun(runId)));
    expect(network.lastEventIds).toEqual([null, String(seen[1]?.offset)]);
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
  });

  it('ends at once, yielding nothing, when resuming after the end of a run that has ended (204)', async () => {
    const result = await client().runCode('print("done")');
    const whole = await collect(client().followRun(result.runId));
    expect(await collect(client().followRun(result.runId, { after: whole.at(-1)?.offset ?? 0 }))).toEqual([]);
  });
});

describe('events', () => {
  it('replays every run from the beginning with `after: 0`', async () => {
    const result = await client().runCode('print("replayed")');
    const seen = await collect(client().events({ after: 0 }), endOf(result.runId));
    expect(seen[0]?.offset).toBe(1);
    expect(seen.filter(({ event }) => event.subject === result.runId).map(({ event }) => event.type)).toContain(
      'dev.umca.output.appended.v1',
    );
  });

  it('resumes from the stream’s opening point when it drops before its first event', async () => {
    const network = droppingFetch('/v1/events', 0);
    const { lastEventOffset } = await client().readiness();
    const stream = createClient({ baseUrl: server().url, fetch: network.fetch }).events();
    const first = stream.next(); // opens the stream
    await network.wasDropped;
    // A run happens while the stream is away; a reconnect "from now" would miss it.
    const result = await client().runCode('print("while away")');
    network.allowReconnect();
    const opened = await first;
    const seen = opened.done ? [] : [opened.value, ...(await readUntil(stream, endOf(result.runId)))];
    await stream.return?.();
    expect(network.lastEventIds).toEqual([null, String(lastEventOffset)]);
    expect(seen.map(({ event }) => event.type)[0]).toBe('dev.umca.run.created.v1');
    expect(seen.every(({ event }) => event.subject === result.runId)).toBe(true);
  });

  it('keeps following across a server restart, resuming exactly', async () => {
    const states: StreamState[] = [];
    const { lastEventOffset } = await client().readiness();
    const stream = client().events({
      after: lastEventOffset,
      reconnect: { attempts: 1_000 },
      onStateChange: (state) => states.push(state),
    });
    const before = await client().runCode('print("before")');
    const seen = await readUntil(stream, endOf(before.runId));
    await server().restart();
    const after = await client().runCode('print("after")');
    seen.push(...(await readUntil(stream, endOf(after.runId))));
    await stream.return?.();
    const offsets = seen.map((stored) => stored.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(seen).toEqual(await collect(client().events({ after: lastEventOffset }), endOf(after.runId)));
    expect(states.slice(0, 2)).toEqual(['connecting', 'open']);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('open');
  });
});
