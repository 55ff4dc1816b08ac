/**
 * @module frame
 * Framing for the host-sandbox channel: a 4-byte big-endian length, then that many bytes of
 * UTF-8 JSON. The decoder refuses frames over a size limit, because the other end is hostile.
 */

export const FRAME_HEADER_BYTES = 4;

/** Encodes one message as a frame. */
export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.byteLength);
  frame.writeUInt32BE(body.byteLength, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export class FrameTooLargeError extends Error {
  override readonly name = 'UMCA_FrameTooLargeError';
}

/** Incremental decoder: feed it chunks, get whole messages back. */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Adds bytes; returns the messages they completed. Throws on an oversized or non-JSON frame. */
  push(chunk: Buffer): unknown[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
    const messages: unknown[] = [];
    while (this.#pendingBytes >= FRAME_HEADER_BYTES) {
      const buffer = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
      this.#pending = [buffer];
      const length = buffer.readUInt32BE(0);
      if (length > this.#maxFrameBytes) {
        throw new FrameTooLargeError(`the sandbox sent a ${length}-byte frame; the limit is ${this.#maxFrameBytes}`);
      }
      if (buffer.byteLength < FRAME_HEADER_BYTES + length) break;
      const body = buffer.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length);
      messages.push(JSON.parse(body.toString('utf8')));
      const rest = buffer.subarray(FRAME_HEADER_BYTES + length);
      this.#pending = rest.byteLength > 0 ? [rest] : [];
      this.#pendingBytes = rest.byteLength;
    }
    return messages;
  }
}
