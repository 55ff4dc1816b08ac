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
