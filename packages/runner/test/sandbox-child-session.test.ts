/**
 * The host's side of a session's child, against a child that misbehaves: between runs it must be
 * silent (anything it says then gets it killed), a result ends the run but not the child, a final
 * result ends both, and a reply the host owed an earlier run is never sent into the next. The
 * channel and the zygote are stand-ins here (the real ones are in sandbox-session.real.test.ts):
 * what is tested is what the host does with each frame.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { type RunHooks, SandboxChild } from '../src/host/sandbox-child.js';
import type { ZygoteProcess } from '../src/host/zygote-process.js';
import { encodeFrame, FrameDecoder } from '../src/internal/frame.js';
import type { RunOrder } from '../src/sandbox/protocol.js';

class FakeSocket extends EventEmitter {
  readonly sent: unknown[] = [];
  readonly #decoder = new FrameDecoder(1_048_576);
  destroyed = false;
  write(frame: Buffer): boolean {
    this.sent.push(...this.#decoder.push(frame));
    return true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  /** The child says something. */
  say(message: unknown): void {
    this.emit('data', encodeFrame(message));
  }
  /** The child says something with raw bytes after it, in small pieces as a socket gives them. */
  sayRaw(message: Record<string, unknown>, raw: Buffer): void {
    const bytes = Buffer.concat([encodeFrame({ ...message, rawBytes: raw.byteLength }), raw]);
    for (let at = 0; at < bytes.byteLength; at += 7) this.emit('data', bytes.subarray(at, at + 7));
  }
}

function sessionChild() {
  const killed: number[] = [];
  const zygote = { kill: (pid: number) => killed.push(pid) } as unknown as ZygoteProcess;
  const socket = new FakeSocket();
  const child = new SandboxChild(zygote, 42, socket as unknown as net.Socket);
  socket.say({ type: 'ready' });
  child.openSession({ language: 'python', memoryMb: 64, cpuSeconds: 10 });
  return { child, socket, killed };
}

const order: RunOrder = {
  language: 'python',
  code: 'x = 1',
  files: [],
  limits: { timeoutMs: 1000, memoryMb: 64, outputBytes: 1000 },
  budgetMs: 1000,
  tools: [],
};

const outcome = { status: 'ok', exitCode: 0, files: [], runtime: 'pyodide' };

function hooks(overrides: Partial<RunHooks> = {}): RunHooks & { output: string[] } {
  const output: string[] = [];
  return {
    output,
    outputBytes: 1000,
    onOutput: (_stream, text) => output.push(text),
    onHttp: async () => ({ error: 'no' }),
    onTool: async () => ({ ok: false, code: 'denied', message: 'no' }),
    ...overrides,
  };
}

describe("a session's child, seen from the host", () => {
  it('takes one order after another on one channel, each with its own output count', async () => {
    const { child, socket, killed } = sessionChild();
    expect(socket.sent[0]).toEqual({ type: 'session', terms: { language: 'python', memoryMb: 64, cpuSeconds: 10 } });
    for (let run = 0; run < 3; run++) {
      const recorded = hooks();
      const ended = child.run(order, recorded);
      socket.say({ type: 'output', stream: 'stdout', data: 'x'.repeat(900) });
      socket.say({ type: 'result', outcome });
      expect(await ended).toMatchObject({ kind: 'result', outcome: { status: 'ok' } });
      expect(recorded.output.join('')).toHaveLength(900);
    }
    expect(socket.sent.filter((message) => (message as { type: string }).type === 'run')).toHaveLength(3);
    expect(socket.destroyed).toBe(false);
    expect(killed).toEqual([]);
    expect(child.alive).toBe(true);
  });

  it('kills a child that speaks between runs, whatever it says', async () => {
    for (const message of [
      { type: 'output', stream: 'stdout', data: 'late' },
      { type: 'result', outcome },
      { type: 'tool', id: 1, name: 'x', arguments: '{}' },
      { type: 'http', id: 1, request: { method: 'GET', url: 'http://example.org/', headers: [], body: '' } },
    ]) {
      const { child, socket, killed } = sessionChild();
      const ended = child.run(order, hooks());
      socket.say({ type: 'result', outcome });
      await ended;
      socket.say(message);
      expect(killed).toEqual([42]);
      expect(child.alive).toBe(false);
    }
  });

  it('ends the child with a final result, and refuses to run two orders at once', async () => {
    const { child, socket } = sessionChild();
    const ended = child.run(order, hooks());
    expect(() => child.run(order, hooks())).toThrow(/already running an order/);
    socket.say({ type: 'result', outcome: { ...outcome, status: 'error', exitCode: 1 }, final: true });
    expect(await ended).toMatchObject({ kind: 'result', final: true });
    expect(socket.destroyed).toBe(true);
    expect(child.alive).toBe(false);
    expect(await child.run(order, hooks())).toEqual({ kind: 'died', beforeStart: true });
  });

  it('never sends a reply owed to one run into the next', async () => {
    const { child, socket } = sessionChild();
    let answer: (reply: { error: string }) => void = () => {};
    const first = child.run(
      order,
      hooks({
        onHttp: () =>
          new Promise((resolve) => {
            answer = resolve;
          }),
      }),
    );
    socket.say({ type: 'http', id: 7, request: { method: 'GET', url: 'http://example.org/', headers: [], body: '' } });
    await new Promise((resolve) => setImmediate(resolve));
    socket.say({ type: 'result', outcome });
    await first;
    const second = child.run(order, hooks());
    answer({ error: 'late' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.sent.some((message) => (message as { type: string }).type === 'http-reply')).toBe(false);
    socket.say({ type: 'result', outcome });
    await second;
  });
});

describe('pausing and resuming, seen from the host', () => {
  it('asks a child between runs for its snapshot, takes its raw parts, and sees it end', async () => {
    const { child, socket, killed } = sessionChild();
    const paused = child.pause(1_000);
    expect(socket.sent.at(-1)).toEqual({ type: 'pause' });
    socket.sayRaw({ type: 'snapshot' }, Buffer.from('first part,'));
    socket.sayRaw({ type: 'snapshot' }, Buffer.from(' second'));
    socket.say({ type: 'snapshot-done' });
    expect((await paused).toString()).toBe('first part, second');
    expect(child.alive).toBe(false);
    expect(socket.destroyed).toBe(true);
    expect(killed).toEqual([]);
  });

  it('kills a child that sends a snapshot unasked, or more of one than it may, and says so', async () => {
    const unasked = sessionChild();
    unasked.socket.sayRaw({ type: 'snapshot' }, Buffer.from('x'));
    expect(unasked.killed).toEqual([42]);

    const { child, socket, killed } = sessionChild();
    const paused = child.pause(10);
    socket.sayRaw({ type: 'snapshot' }, Buffer.alloc(11));
    expect(killed).toEqual([42]);
    socket.destroy();
    await expect(paused).rejects.toThrow(/more than 10 bytes.*before it had sent the whole snapshot/);
  });

  it('refuses to pause a child that is running an order', async () => {
    const { child } = sessionChild();
    void child.run(order, hooks());
    await expect(child.pause(1_000)).rejects.toThrow(/only a live session child between runs can pause/);
  });

  it("sends a snapshot to resume as raw bytes after the session's terms, and learns whether it resumed", async () => {
    const zygote = { kill: () => {} } as unknown as ZygoteProcess;
    const socket = new FakeSocket();
    const child = new SandboxChild(zygote, 7, socket as unknown as net.Socket);
    socket.say({ type: 'ready' });
    const resumed = child.openSession({ language: 'python', memoryMb: 64, cpuSeconds: 10 }, Buffer.from('SNAPSHOT'));
    expect(socket.sent.at(-1)).toMatchObject({ type: 'session', rawBytes: 8, raw: Buffer.from('SNAPSHOT') });
    socket.say({ type: 'resumed' });
    await resumed;
    expect(child.alive).toBe(true);

    const other = new FakeSocket();
    const refused = new SandboxChild(zygote, 8, other as unknown as net.Socket);
    other.say({ type: 'ready' });
    const failed = refused.openSession({ language: 'python', memoryMb: 64, cpuSeconds: 10 }, Buffer.from('X'));
    other.say({ type: 'resume-failed', message: 'the snapshot was made by another image' });
    await expect(failed).rejects.toThrow('the snapshot was made by another image');
  });
});

describe('the frame decoder', () => {
  it('joins a large frame once, from many small chunks, and hands raw bytes over as they were', () => {
    const decoder = new FrameDecoder(1_048_576);
    const big = { type: 'output', data: 'y'.repeat(200_000) };
    const bytes = Buffer.concat([
      encodeFrame(big),
      encodeFrame({ type: 'snapshot', rawBytes: 5 }),
      Buffer.from([0, 1, 2, 3, 4]),
      encodeFrame({ type: 'ready' }),
    ]);
    const messages: unknown[] = [];
    for (let at = 0; at < bytes.byteLength; at += 1_000) messages.push(...decoder.push(bytes.subarray(at, at + 1_000)));
    expect(messages).toEqual([big, { type: 'snapshot', rawBytes: 5, raw: Buffer.from([0, 1, 2, 3, 4]) }, { type: 'ready' }]);
  });

  it('refuses a frame or a raw part past its limit, and a raw length that is not a count', () => {
    expect(() => new FrameDecoder(10).push(encodeFrame({ type: 'output', data: 'x'.repeat(20) }))).toThrow(/frame; the limit is 10/);
    expect(() => new FrameDecoder(100).push(encodeFrame({ rawBytes: 101 }))).toThrow(/announced 101 raw bytes; the limit is 100/);
    expect(() => new FrameDecoder(100).push(encodeFrame({ rawBytes: 1.5 }))).toThrow(/announced 1.5 raw bytes/);
  });
});
