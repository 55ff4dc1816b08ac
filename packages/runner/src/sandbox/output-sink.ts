/**
 * @module output-sink
 * Streams a program's stdout and stderr to the host as it writes them, and ends the run the moment
 * either stream passes its cap. The host counts too and kills a child that sends more; this side
 * only stops an honest program early.
 */
import type { ChildOutcome } from './protocol.js';
import type { SyncChannel } from './sync-channel.js';

export type StreamName = 'stdout' | 'stderr';

export interface OutputSink {
  write(stream: StreamName, data: Uint8Array | string): void;
  /** Sends whatever a decoder still holds (an incomplete UTF-8 sequence at the end). */
  flush(): void;
}

export function createOutputSink(options: {
  channel: SyncChannel;
  capBytes: number;
  /** Called once a stream passes its cap; it must end the run and not return. */
  onLimit: (outcome: Pick<ChildOutcome, 'status'>) => never;
}): OutputSink {
  const written: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  const decoders: Record<StreamName, TextDecoder> = {
    stdout: new TextDecoder('utf-8'),
    stderr: new TextDecoder('utf-8'),
  };
  const send = (stream: StreamName, text: string) => {
    if (text.length > 0) options.channel.send({ type: 'output', stream, data: text });
  };
  return {
    write(stream, data) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const room = options.capBytes - written[stream];
      if (bytes.byteLength <= room) {
        written[stream] += bytes.byteLength;
        send(stream, typeof data === 'string' ? data : decoders[stream].decode(bytes, { stream: true }));
        return;
      }
      written[stream] = options.capBytes + 1;
      send(stream, decoders[stream].decode(bytes.subarray(0, Math.max(0, room)), { stream: false }));
      options.onLimit({ status: 'output_limit' });
    },
    flush() {
      for (const stream of ['stdout', 'stderr'] as const) send(stream, decoders[stream].decode());
    },
  };
}
