/**
 * @module frame
 * Framing for the host-sandbox channel: a 4-byte big-endian length, then that many bytes of
 * UTF-8 JSON. A message with `rawBytes` is followed by that many bytes as they are (a
 * snapshot's, without base64): the decoder hands them over as the message's `raw`. The decoder
 * refuses frames and raw parts over a size limit, because the other end is hostile.
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
  /** The bytes the frame under way takes with its header, once its header has arrived. */
  #frameBytes: number | undefined;
  /** A message waiting for its raw bytes, and how many. */
  #awaitingRaw: { message: Record<string, unknown>; bytes: number } | undefined;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /**
   * Adds bytes; returns the messages they completed. Throws on an oversized or non-JSON frame.
   * A large frame arrives in many chunks: they are joined once, when the frame is whole.
   */
  push(chunk: Buffer): unknown[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
    const messages: unknown[] = [];
    for (;;) {
      if (this.#awaitingRaw) {
        const { message, bytes } = this.#awaitingRaw;
        if (this.#pendingBytes < bytes) break;
        const buffer = this.#joined();
        messages.push({ ...message, raw: Buffer.from(buffer.subarray(0, bytes)) });
        this.#rest(buffer, bytes);
        this.#awaitingRaw = undefined;
        continue;
      }
      if (this.#pendingBytes < FRAME_HEADER_BYTES) break;
      if (this.#frameBytes === undefined) {
        const length = this.#joined().readUInt32BE(0);
        if (length > this.#maxFrameBytes) {
          throw new FrameTooLargeError(`the sandbox sent a ${length}-byte frame; the limit is ${this.#maxFrameBytes}`);
        }
        this.#frameBytes = FRAME_HEADER_BYTES + length;
      }
      if (this.#pendingBytes < this.#frameBytes) break;
      const buffer = this.#joined();
      const message: unknown = JSON.parse(buffer.subarray(FRAME_HEADER_BYTES, this.#frameBytes).toString('utf8'));
      this.#rest(buffer, this.#frameBytes);
      this.#frameBytes = undefined;
      const raw = (message as { rawBytes?: unknown } | null)?.rawBytes;
      if (typeof raw !== 'number') {
        messages.push(message);
        continue;
      }
      if (!Number.isSafeInteger(raw) || raw < 0 || raw > this.#maxFrameBytes) {
        throw new FrameTooLargeError(`the sandbox announced ${raw} raw bytes; the limit is ${this.#maxFrameBytes}`);
      }
      this.#awaitingRaw = { message: message as Record<string, unknown>, bytes: raw };
    }
    return messages;
  }

  /** Keeps what follows the first `used` bytes of `buffer`. */
  #rest(buffer: Buffer, used: number): void {
    const rest = buffer.subarray(used);
    this.#pending = rest.byteLength > 0 ? [rest] : [];
    this.#pendingBytes = rest.byteLength;
  }

  /** The pending bytes as one buffer (joined only when they are in several). */
  #joined(): Buffer {
    if (this.#pending.length !== 1) this.#pending = [Buffer.concat(this.#pending, this.#pendingBytes)];
    return this.#pending[0] as Buffer;
  }
}
