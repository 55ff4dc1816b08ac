/**
 * @module sandbox-child
 * The host's handle on one forked child: waits for it to be ready, gives it its order, relays its
 * output, HTTP requests and tool calls, enforces the output cap, and kills it when told to.
 * Whatever the child sends is validated; a child that breaks the protocol is killed. A child made
 * a session's (`openSession`) takes one order after another; between them it must stay silent,
 * unless it was told to pause (then it sends its snapshot, within a size the host sets) or is
 * resuming one (then it says whether it could).
 */
import type net from 'node:net';
import type { SandboxToolReplyV1 } from '@umca/contracts';
import { encodeFrame, FrameDecoder } from '../internal/frame.js';
import type { ChildOutcome, HttpReplyMessage, HttpRequestMessage, RunOrder, SessionTerms } from '../sandbox/protocol.js';
import { childMessageSchema } from './child-message.js';
import type { ZygoteProcess } from './zygote-process.js';

const MAX_FRAME_BYTES = 96 * 1_048_576;
/** How long a child that has sent its result may take to exit before it is killed. */
const EXIT_GRACE_MS = 100;

export type KillReason = 'timeout' | 'output_limit' | 'cancelled' | 'protocol' | 'shutdown';

export type ChildEnd =
  /** `final`: a session's child said it ends after this result. */
  | { kind: 'result'; outcome: ChildOutcome; final?: boolean }
  | { kind: 'killed'; reason: KillReason; detail: string }
  | { kind: 'died'; status?: number; beforeStart?: boolean };

export interface RunHooks {
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
  onHttp(request: HttpRequestMessage): Promise<HttpReplyMessage>;
  /** Calls the upstream tool UMCA names `name`; `argumentsJson` is the child's text, unchecked. */
  onTool(name: string, argumentsJson: string): Promise<SandboxToolReplyV1>;
  /** Cap on each stream in UTF-8 bytes; the child is killed once it sends more. */
  outputBytes: number;
}

export class SandboxChild {
  readonly pid: number;
  readonly ready: Promise<void>;
  readonly #zygote: ZygoteProcess;
  readonly #socket: net.Socket;
  readonly #decoder = new FrameDecoder(MAX_FRAME_BYTES);
  #hooks: RunHooks | undefined;
  #written = { stdout: 0, stderr: 0 };
  #killed: { reason: KillReason; detail: string } | undefined;
  #exitStatus: number | undefined;
  #settle: ((end: ChildEnd) => void) | undefined;
  /** The child takes no more orders: it ended, was killed, or sent its one result. */
  #ended = false;
  /** A session's child: a result ends the run, not the child. */
  #session = false;
  /** Counts the runs given, so that a reply queued for one is never sent during the next. */
  #runNumber = 0;
  #httpQueue: Promise<void> = Promise.resolve();
  #toolQueue: Promise<void> = Promise.resolve();
  /** A resume under way: told when the child has loaded the snapshot, or could not. */
  #resuming: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** A pause under way: the snapshot's parts so far, the most it may send, and whom to tell. */
  #pausing:
    | { parts: Buffer[]; bytes: number; maxBytes: number; resolve: (snapshot: Buffer) => void; reject: (error: Error) => void }
    | undefined;
  #onReady: (() => void) | undefined;
  #onReadyFailed: ((error: Error) => void) | undefined;

  constructor(zygote: ZygoteProcess, pid: number, socket: net.Socket) {
    this.#zygote = zygote;
    this.pid = pid;
    this.#socket = socket;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#onReady = resolve;
      this.#onReadyFailed = reject;
    });
    this.ready.catch(() => {});
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.#closed());
  }

  /** Records the exit status the zygote reported, for telling crashes apart. */
  noteExit(status: number): void {
    this.#exitStatus = status;
  }

  get exitStatus(): number | undefined {
    return this.#exitStatus;
  }

  /** Its run has ended, and the zygote has not yet seen it exit: it is tearing itself down. */
  get tearingDown(): boolean {
    return this.#ended && this.#exitStatus === undefined;
  }

  /** Still able to take an order (a session's child between runs, or a ready one). */
  get alive(): boolean {
    return !this.#ended && !this.#killed;
  }

  /**
   * Makes this ready child a session's: it sets `terms` once and then takes orders one by one.
   * With `restore` (a snapshot `pause` gave), it first loads that session: resolves once it has,
   * rejects with the child's reason when it could not (the child then ends).
   */
  openSession(terms: SessionTerms, restore?: Buffer): Promise<void> {
    this.#session = true;
    if (this.#ended) return Promise.reject(new Error('the sandbox child ended before it was given its session'));
    if (!restore) {
      this.#socket.write(encodeFrame({ type: 'session', terms }));
      return Promise.resolve();
    }
    const resumed = new Promise<void>((resolve, reject) => {
      this.#resuming = { resolve, reject };
    });
    this.#socket.write(encodeFrame({ type: 'session', terms, rawBytes: restore.byteLength }));
    this.#socket.write(restore);
    return resumed;
  }

  /**
   * Tells a session's child, between runs, to send its snapshot and end. Resolves with the
   * snapshot; rejects when the child ends first, breaks the protocol, or sends more than
   * `maxBytes` (it is killed).
   */
  pause(maxBytes: number): Promise<Buffer> {
    if (!this.#session || this.#settle || this.#pausing || !this.alive) {
      return Promise.reject(new Error('only a live session child between runs can pause'));
    }
    const snapshot = new Promise<Buffer>((resolve, reject) => {
      this.#pausing = { parts: [], bytes: 0, maxBytes, resolve, reject };
    });
    this.#socket.write(encodeFrame({ type: 'pause' }));
    return snapshot;
  }

  /** Hands the child its order and resolves when it ends, one way or another. */
  run(order: RunOrder, hooks: RunHooks): Promise<ChildEnd> {
    if (this.#settle) throw new Error('the sandbox child is already running an order');
    this.#hooks = hooks;
    this.#written = { stdout: 0, stderr: 0 };
    this.#runNumber++;
    const ended = new Promise<ChildEnd>((resolve) => {
      this.#settle = resolve;
    });
    if (this.#ended) this.#finish({ kind: 'died', beforeStart: true });
    else this.#socket.write(encodeFrame({ type: 'run', order }));
    return ended;
  }

  /** Kills the child; the run ends with `reason` unless a result already arrived. */
  kill(reason: KillReason, detail: string): void {
    if (this.#ended) return;
    this.#killed ??= { reason, detail };
    this.#zygote.kill(this.pid);
  }

  /**
   * An honest child exits right after its result; one that sent it early and kept running would
   * spin outside the concurrency limit. Give it a moment to end on its own (sparing the zygote a
   * message per run), then have the zygote kill it; the zygote kills only live children.
   */
  #killUnlessEnded(): void {
    setTimeout(() => {
      if (this.#exitStatus === undefined) this.#zygote.kill(this.pid);
    }, EXIT_GRACE_MS).unref();
  }

  #receive(chunk: Buffer): void {
    let messages: unknown[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      this.kill('protocol', `the sandbox broke the channel protocol: ${(error as Error).message}`);
      return;
    }
    for (const raw of messages) {
      // Once the host has decided to kill the child, nothing it sends can change how the run ends.
      if (this.#ended || this.#killed) return;
      const parsed = childMessageSchema.safeParse(raw);
      if (!parsed.success) {
        this.kill('protocol', 'the sandbox sent a message the runner does not accept');
        return;
      }
      const message = parsed.data;
      // A session's child between runs has nothing to say, but what it was asked for (a snapshot,
      // whether it resumed); one that says anything else is not ours any more.
      const asked =
        message.type === 'ready' ||
        (this.#pausing !== undefined && (message.type === 'snapshot' || message.type === 'snapshot-done')) ||
        (this.#resuming !== undefined && (message.type === 'resumed' || message.type === 'resume-failed'));
      if (this.#session && !this.#settle && !asked) {
        this.kill('protocol', `the sandbox sent a ${message.type} message between runs`);
        return;
      }
      switch (message.type) {
        case 'resumed':
          this.#resuming?.resolve();
          this.#resuming = undefined;
          break;
        case 'resume-failed':
          this.#resuming?.reject(new Error(message.message));
          this.#resuming = undefined;
          break;
        case 'snapshot':
          this.#snapshotPart(message.raw, false);
          break;
        case 'snapshot-done':
          this.#snapshotPart(Buffer.alloc(0), true);
          break;
        case 'ready':
          this.#onReady?.();
          break;
        case 'output':
          this.#output(message.stream, message.data);
          break;
        case 'http':
          this.#relayHttp(message.id, message.request);
          break;
        case 'tool':
          this.#relayTool(message.id, message.name, message.arguments);
          break;
        case 'result':
          if (this.#session && !message.final) {
            this.#settleRun({ kind: 'result', outcome: message.outcome as ChildOutcome });
            break;
          }
          this.#finish({ kind: 'result', outcome: message.outcome as ChildOutcome, ...(message.final ? { final: true } : {}) });
          this.#socket.destroy();
          this.#killUnlessEnded();
          break;
      }
    }
  }

  #snapshotPart(part: Buffer, done: boolean): void {
    const pausing = this.#pausing;
    if (!pausing) return;
    pausing.parts.push(part);
    pausing.bytes += part.byteLength;
    if (pausing.bytes > pausing.maxBytes) {
      this.kill('protocol', `the sandbox sent a snapshot of more than ${pausing.maxBytes} bytes`);
      return;
    }
    if (!done) return;
    this.#pausing = undefined;
    pausing.resolve(Buffer.concat(pausing.parts, pausing.bytes));
    this.#finish({ kind: 'died' });
    this.#socket.destroy();
    this.#killUnlessEnded();
  }

  #output(stream: 'stdout' | 'stderr', text: string): void {
    const hooks = this.#hooks;
    if (!hooks || this.#killed) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    const room = hooks.outputBytes - this.#written[stream];
    if (bytes <= room) {
      this.#written[stream] += bytes;
      hooks.onOutput(stream, text);
      return;
    }
    hooks.onOutput(
      stream,
      Buffer.from(text, 'utf8')
        .subarray(0, Math.max(0, room))
        .toString('utf8')
        .replace(/\uFFFD$/, ''),
    );
    this.#written[stream] = hooks.outputBytes;
    this.kill('output_limit', `${stream} passed the limit of ${hooks.outputBytes} bytes`);
  }

  /** The run `number` is still the child's current one. */
  #current(number: number): boolean {
    return !this.#ended && !this.#killed && this.#runNumber === number && this.#settle !== undefined;
  }

  #relayHttp(id: number, request: HttpRequestMessage): void {
    const hooks = this.#hooks;
    if (!hooks) return;
    const number = this.#runNumber;
    this.#httpQueue = this.#httpQueue.then(async () => {
      if (!this.#current(number)) return;
      const reply = await hooks.onHttp(request).catch((error: Error) => ({ error: error.message }));
      if (this.#current(number)) this.#socket.write(encodeFrame({ type: 'http-reply', id, reply }));
    });
  }

  /**
   * One call at a time, like HTTP: an honest child waits for each reply. A call still queued when
   * the run ends is never made, since nobody would read its answer.
   */
  #relayTool(id: number, name: string, argumentsJson: string): void {
    const hooks = this.#hooks;
    if (!hooks) return;
    const number = this.#runNumber;
    this.#toolQueue = this.#toolQueue.then(async () => {
      if (!this.#current(number)) return;
      const reply = await hooks
        .onTool(name, argumentsJson)
        .catch((): SandboxToolReplyV1 => ({ ok: false, code: 'call_failed', message: `the call of ${name} failed inside UMCA` }));
      if (this.#current(number)) this.#socket.write(encodeFrame({ type: 'tool-reply', id, reply }));
    });
  }

  #closed(): void {
    if (this.#ended) return;
    this.#onReadyFailed?.(new Error('the sandbox child ended before it was ready'));
    const why = this.#killed ? this.#killed.detail : 'the sandbox child ended';
    this.#resuming?.reject(new Error(`${why} before it had resumed the session`));
    this.#resuming = undefined;
    this.#pausing?.reject(new Error(`${why} before it had sent the whole snapshot`));
    this.#pausing = undefined;
    if (this.#killed) this.#finish({ kind: 'killed', ...this.#killed });
    else this.#finish({ kind: 'died', ...(this.#exitStatus === undefined ? {} : { status: this.#exitStatus }) });
  }

  #finish(end: ChildEnd): void {
    if (this.#ended && this.#settle === undefined) return;
    this.#ended = true;
    this.#settleRun(end);
  }

  /** Ends the run in flight (a session's child takes the next). */
  #settleRun(end: ChildEnd): void {
    const settle = this.#settle;
    this.#settle = undefined;
    this.#hooks = undefined;
    settle?.(end);
  }
}
