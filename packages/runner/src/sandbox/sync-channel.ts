/**
 * @module sync-channel
 * The child's end of its private socket to the host. Blocking on purpose: a program's
 * `urllib.request.urlopen` or tool call is synchronous, so the child waits for the host's answer
 * in place.
 */
import { readSync, writeSync } from 'node:fs';
import type { SandboxToolReplyV1 } from '@umca/contracts';
import { encodeFrame, FRAME_HEADER_BYTES } from '../internal/frame.js';
import {
  type ChildToHost,
  type HostToChild,
  type HttpReplyMessage,
  type HttpRequestMessage,
  MAX_TOOL_ARGUMENTS_LENGTH,
  MAX_TOOL_NAME_LENGTH,
} from './protocol.js';

export class SyncChannel {
  readonly #fd: number;
  #nextRequestId = 1;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The descriptor, for a report written without JavaScript (out-of-memory-report.ts). */
  get fd(): number {
    return this.#fd;
  }

  send(message: ChildToHost | HostToChild): void {
    this.#write(encodeFrame(message));
  }

  /** Sends `message` with `raw` after it, as it is (`rawBytes` tells the other end how many). */
  sendRaw(message: ChildToHost & { rawBytes: number }, raw: Buffer): void {
    this.#write(encodeFrame(message));
    this.#write(raw);
  }

  /** Blocks for the `length` raw bytes that follow a message with `rawBytes`; undefined when the host closed. */
  receiveRaw(length: number): Buffer | undefined {
    return this.#readExactly(length);
  }

  #write(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(this.#fd, bytes, offset);
  }

  /** Blocks for the next message; returns undefined when the other end closed the channel. */
  receive<Message = HostToChild>(): Message | undefined {
    const header = this.#readExactly(FRAME_HEADER_BYTES);
    if (!header) return undefined;
    const body = this.#readExactly(header.readUInt32BE(0));
    if (!body) return undefined;
    return JSON.parse(body.toString('utf8')) as Message;
  }

  /** Sends an HTTP request to the host's egress gateway and blocks for its reply. */
  http(request: HttpRequestMessage): HttpReplyMessage {
    const id = this.#nextRequestId++;
    this.send({ type: 'http', id, request });
    const reply = this.#awaitReply(id, 'http-reply');
    return reply?.type === 'http-reply' ? reply.reply : { error: 'the host closed the sandbox channel' };
  }

  /**
   * Asks the host to call the upstream tool UMCA names `name` and blocks for its reply. A call the
   * host would refuse as a breach of the protocol (a name or arguments too long) is refused here.
   */
  tool(name: string, argumentsJson: string): SandboxToolReplyV1 {
    if (name.length > MAX_TOOL_NAME_LENGTH) {
      return { ok: false, code: 'denied', message: `no tool has a name longer than ${MAX_TOOL_NAME_LENGTH} characters` };
    }
    if (argumentsJson.length > MAX_TOOL_ARGUMENTS_LENGTH) {
      return {
        ok: false,
        code: 'invalid_arguments',
        message: `the arguments are ${argumentsJson.length} characters of JSON; a call may send at most ${MAX_TOOL_ARGUMENTS_LENGTH}`,
      };
    }
    const id = this.#nextRequestId++;
    this.send({ type: 'tool', id, name, arguments: argumentsJson });
    const reply = this.#awaitReply(id, 'tool-reply');
    return reply?.type === 'tool-reply' ? reply.reply : { ok: false, code: 'cancelled', message: 'the host closed the sandbox channel' };
  }

  /** Blocks for the host's reply of `type` to request `id`; undefined when the host closed the channel. */
  #awaitReply(id: number, type: 'http-reply' | 'tool-reply'): HostToChild | undefined {
    for (;;) {
      const message = this.receive();
      if (!message || (message.type === type && 'id' in message && message.id === id)) return message;
    }
  }

  #readExactly(length: number): Buffer | undefined {
    const buffer = Buffer.allocUnsafe(length);
    let offset = 0;
    while (offset < length) {
      const read = readSync(this.#fd, buffer, offset, length - offset, null);
      if (read === 0) return undefined;
      offset += read;
    }
    return buffer;
  }
}
