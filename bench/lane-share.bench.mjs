// The seed's acceptance for the policy router: on a representative set of tasks (100 programs
// typical of what agents write, bench/tasks/tasks.json), which share runs in WebAssembly, which
// in the container lane, and whether each did its job. Prints the share per lane and runtime,
// the pass rate, and the median time a run took in each lane.
//
//   npm run bench:share            (needs the Wasmtime lane prepared; turns the container lane on)
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { median } from './support/samples.mjs';

const { createRunner } = await import(new URL('../packages/runner/dist/index.js', import.meta.url).href);
const tasks = JSON.parse(readFileSync(new URL('./tasks/tasks.json', import.meta.url), 'utf8'));
const runner = await createRunner({ containerLane: true, logger: { info() {}, warn() {}, error() {} } });

console.log(`UMCA lane share: ${tasks.length} tasks, ${cpus().length} CPUs, Node ${process.version}\n`);
const byLane = new Map();
const failures = [];
for (const task of tasks) {
  const started = performance.now();
  const result = await runner.run({
    language: task.language,
    code: task.code,
    ...(task.files ? { files: task.files } : {}),
    limits: { timeoutMs: 60_000 },
  });
  const ms = performance.now() - started;
  const key = `${result.lane}/${result.runtime ?? '?'}`;
  const entry = byLane.get(key) ?? { runs: 0, passed: 0, ms: [] };
  entry.runs++;
  entry.ms.push(ms);
  if (result.status === 'ok' && result.stdout.includes(task.expect)) entry.passed++;
  else failures.push(`${task.id}: ${result.status} ${result.reason ?? ''}`.trim());
  byLane.set(key, entry);
}
await runner.close();

const total = tasks.length;
for (const [key, entry] of [...byLane].sort()) {
  console.log(
    `${key.padEnd(24)} ${String(entry.runs).padStart(4)} runs  ${((100 * entry.runs) / total).toFixed(0).padStart(3)} %   passed ${entry.passed}/${entry.runs}   median ${median(entry.ms).toFixed(1)} ms`,
  );
}
const wasm = [...byLane].filter(([key]) => key.startsWith('wasm/')).reduce((sum, [, entry]) => sum + entry.runs, 0);
const passed = [...byLane.values()].reduce((sum, entry) => sum + entry.passed, 0);
console.log(`\nunder WebAssembly: ${wasm} of ${total} (${((100 * wasm) / total).toFixed(0)} %; the seed asks >= 80 %)`);
console.log(`did their job: ${passed} of ${total}`);
if (failures.length > 0) console.log(`\nfailed:\n  ${failures.join('\n  ')}`);
