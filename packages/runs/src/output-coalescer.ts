/**
 * @module output-coalescer
 * Turns a program's output writes into a bounded number of events: chunks are gathered per
 * stream and sent when they reach a size or after a short delay, so `print` in a tight loop makes
 * a few events a second, not one per line, while output still arrives live.
 */

export interface OutputCoalescer {
  write(stream: 'stdout' | 'stderr', text: string): void;
  /** Sends whatever is gathered now. */
  flush(): void;
}

export function createOutputCoalescer(options: {
  emit: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Send when a stream has gathered this many characters. Default 16 KiB. */
  maxChars?: number;
  /** Send gathered output after this long. Default 50 ms. */
  delayMs?: number;
}): OutputCoalescer {
  const maxChars = options.maxChars ?? 16_384;
  const delayMs = options.delayMs ?? 50;
  const pending = { stdout: '', stderr: '' };
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (pending[stream] === '') continue;
      const text = pending[stream];
      pending[stream] = '';
      options.emit(stream, text);
    }
  };

  return {
    write(stream, text) {
      pending[stream] += text;
      if (pending[stream].length >= maxChars) flush();
      else timer ??= setTimeout(flush, delayMs);
    },
    flush,
  };
}
