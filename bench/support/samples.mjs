// What every benchmark here shares: timing a call many times after a warm-up, percentiles, and
// one printed line per measurement.

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const median = (values) => percentile(values, 50);

/** Calls `fn` 10 times to warm up, then `count` times, and returns each call's milliseconds. */
export async function time(count, fn) {
  for (let index = 0; index < 10; index++) await fn();
  const samples = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Prints p50 and p99 of `samples` on one line. */
export function printSamples(label, samples, unit = 'ms') {
  console.log(
    `${label.padEnd(60)} p50 ${median(samples).toFixed(2).padStart(8)} ${unit}   p99 ${percentile(samples, 99).toFixed(2).padStart(8)} ${unit}   (n=${samples.length})`,
  );
}
