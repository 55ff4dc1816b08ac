// The Wasmtime lane's engine alone (docs/wasmtime-lane.md): loading the pre-initialized
// interpreter, then fresh instances running a pandas program and a trivial one, in this process
// (no fork, no sandbox: `npm run bench:lanes` measures the lane through the runner). Medians and
// p99; runs a second on one core.
//
//   node bench/wasmtime-lane.bench.mjs [--quick]      (sets the lane up first if needed)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { printSamples } from './support/samples.mjs';

const quick = process.argv.includes('--quick');
const setup = JSON.parse(
  execFileSync('node', [new URL('../packages/runner/scripts/prepare-wasmtime.mjs', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString(),
);
console.log(`UMCA Wasmtime lane benchmark: ${cpus().length} CPUs, Node ${process.version}${quick ? ', quick' : ''}\n`);
const { Python } = createRequire(import.meta.url)(setup.addon);

let started = performance.now();
const python = Python.load(setup.image);
console.log(`load (map the compiled image): ${(performance.now() - started).toFixed(1)} ms`);
const rootDir = mkdtempSync(join(tmpdir(), 'umca-wasmtime-bench-'));
mkdirSync(join(rootDir, 'work'));
mkdirSync(join(rootDir, 'tmp'));
const ignore = () => {};
const run = (code) => {
  const outcome = python.run(
    {
      code,
      rootDir,
      stdlibDir: setup.stdlibDir,
      mplDataDir: setup.mplDataDir,
      memoryBytes: 256 * 2 ** 20,
      timeoutMs: 10_000,
      outputBytes: 1 << 20,
    },
    ignore,
    () => Buffer.alloc(0),
  );
  if (outcome.status !== 0) throw new Error(`the program failed: ${outcome.stopped ?? outcome.status}`);
  return outcome;
};
const PANDAS = "import pandas as pd\nprint(pd.DataFrame({'a': [1, 2]}).sum())";
started = performance.now();
run(PANDAS);
console.log(`first pandas run after loading: ${(performance.now() - started).toFixed(1)} ms\n`);

const count = quick ? 50 : 200;
for (const [label, code] of [
  ['pandas: DataFrame sum, printed', PANDAS],
  ['numpy: 1e5 normal draws, mean', 'import numpy as np\nprint(np.random.default_rng(1).normal(size=100_000).mean())'],
  ['print(1)', 'print(1)'],
]) {
  const total = [];
  const instantiate = [];
  for (let index = 0; index < count; index++) {
    const begun = performance.now();
    const outcome = run(code);
    total.push(performance.now() - begun);
    instantiate.push(outcome.instantiateMs);
  }
  printSamples(`${label}: whole run`, total);
  printSamples(`${label}: of which a fresh instance`, instantiate);
}
started = performance.now();
let runs = 0;
while (performance.now() - started < 2_000) {
  run(PANDAS);
  runs++;
}
console.log(`\npandas runs a second on one core, in process: ${(runs / ((performance.now() - started) / 1000)).toFixed(1)}`);
