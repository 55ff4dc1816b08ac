/**
 * @module capped-outputs
 * A run's stdout and stderr as they arrive from a lane that streams them (the E2B lane), each kept
 * and passed on up to the run's output limit; the first byte past it ends the run.
 */
import type { ExecuteOptionsV1 } from '@umca/contracts';

export type OutputStream = 'stdout' | 'stderr';

/** Caps each stream at `capBytes`, passing on what it keeps as it comes. */
export function createCappedOutputs(capBytes: number, onOutput: ExecuteOptionsV1['onOutput'], onLimit: (stream: OutputStream) => void) {
  const kept = { stdout: [] as string[], stderr: [] as string[] };
  const bytes = { stdout: 0, stderr: 0 };
  const truncated = { stdout: false, stderr: false };
  return {
    write(stream: OutputStream, text: string) {
      if (truncated[stream] || text === '') return;
      const room = capBytes - bytes[stream];
      const encoded = Buffer.from(text, 'utf8');
      // A cut in the middle of a character keeps the whole characters before it.
      const part = encoded.byteLength <= room ? text : new TextDecoder().decode(encoded.subarray(0, room), { stream: true });
      if (part !== '') {
        kept[stream].push(part);
        bytes[stream] += Buffer.byteLength(part, 'utf8');
        onOutput?.(stream, part);
      }
      if (encoded.byteLength > room) {
        truncated[stream] = true;
        onLimit(stream);
      }
    },
    text: (stream: OutputStream) => kept[stream].join(''),
    truncated: (stream: OutputStream) => truncated[stream],
  };
}
export type CappedOutputs = ReturnType<typeof createCappedOutputs>;
