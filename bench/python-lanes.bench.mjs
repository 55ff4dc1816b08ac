// The two Python runtimes of the wasm lane side by side, through the runner as a caller meets it
// (a child forked per run from the zygote, under bubblewrap, seccomp and the run's limits):
// Pyodide (the standard library) and wasi-python on Wasmtime (numpy, pandas, matplotlib...).
// Prints medians and p99 of warm runs, the first run after a process starts, runs a second on
// this machine's cores, and the memory a forked child adds. The targets for a pandas run:
// p50 <= 25 ms warm, first run <= 1.5 s, >= 40 runs a second on 2 cores.
//
//   npm run bench:lanes [-- --quick]      (needs `npm run prepare:wasmtime` done)
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { printSamples, time } from './support/samples.mjs';

const RUNNER = new URL('../packages/runner/dist/index.js', import.meta.url);
const quick = process.argv.includes('--quick');
const { createRunner } = await import(RUNNER.href);
const silent = { info() {}, warn() {}, error() {} };

const PROGRAMS = {
  'print(1)': 'print(1)',
  'pandas: DataFrame sum, printed': 'import pandas as pd\nprint(pd.DataFrame({"a": [1, 2]}).sum())',
  'numpy: 1e5 normal draws, mean': 'import numpy as np\nprint(np.random.default_rng(1).normal(size=100_000).mean())',
  'matplotlib: a line plot saved as PNG': 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [4, 1, 9])\nplt.savefig("plot.png")',
};

async function runOk(runner, runtime, code) {
  const result = await runner.run({ language: 'python', runtime, code, limits: { timeoutMs: 30_000 } });
  if (result.status !== 'ok' || result.runtime !== runtime)
    throw new Error(`${runtime} run failed: ${result.reason ?? result.status}\n${result.stderr}`);
  return result;
}

/** Process start to the first result: createRunner, then one pandas run, in a fresh Node. */
async function firstRun() {
  const script = `
    const { createRunner } = await import(${JSON.stringify(RUNNER.href)});
    const runner = await createRunner({ concurrency: 1, warmChildren: 1, logger: { info() {}, warn() {}, error() {} } });
    const result = await runner.run({ language: 'python', code: ${JSON.stringify(PROGRAMS['pandas: DataFrame sum, printed'])} });
    console.log(JSON.stringify({ status: result.status, runtime: result.runtime, total: performance.now() }));
    await runner.close();`;
  const samples = [];
  for (let index = 0; index < (quick ? 2 : 5); index++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    const parsed = JSON.parse(stdout.trim().split('\n').at(-1));
    if (parsed.status !== 'ok' || parsed.runtime !== 'wasi-python') throw new Error(`the first run failed: ${stdout}`);
    samples.push(parsed.total);
  }
  return samples;
}

async function throughput(runner, runtime, code, total, inFlight) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next++;
        await runOk(runner, runtime, code);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

console.log(`UMCA Python lanes benchmark: ${cpus().length} CPUs, Node ${process.version}${quick ? ', quick' : ''}\n`);
const runner = await createRunner({ logger: silent });
if (!runner.stats().lanes) throw new Error('the runner reports no lanes');
const probe = await runner.run({ language: 'python', runtime: 'wasi-python', code: 'print(1)' });
if (probe.status !== 'ok') throw new Error(`the Wasmtime lane is not available: ${probe.reason} (run \`npm run prepare:wasmtime\`)`);

const count = quick ? 40 : 200;
for (const [label, code] of Object.entries(PROGRAMS)) {
  for (const runtime of ['pyodide', 'wasi-python']) {
    if (runtime === 'pyodide' && label !== 'print(1)') continue;
    const samples = await time(label.startsWith('matplotlib') ? Math.ceil(count / 4) : count, () => runOk(runner, runtime, code));
    printSamples(`${runtime.padEnd(12)} ${label}`, samples);
  }
}
console.log('');
const pandas = PROGRAMS['pandas: DataFrame sum, printed'];
const total = quick ? 100 : 400;
const inFlight = cpus().length * 2;
console.log(
  `wasi-python  pandas runs a second, ${inFlight} in flight: ${(await throughput(runner, 'wasi-python', pandas, total, inFlight)).toFixed(1)}`,
);
console.log(
  `pyodide      print(1) runs a second, ${inFlight} in flight: ${(await throughput(runner, 'pyodide', 'print(1)', total, inFlight)).toFixed(1)}`,
);
await runner.close();

printSamples('\nfirst pandas run after a process starts (createRunner + run)', await firstRun());
