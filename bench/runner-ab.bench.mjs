// A/B benchmark of two checkouts' runners in one process, rounds interleaved, so that a busy or
// drifting machine weighs on both alike. Prints each figure's median over the rounds, and the
// ratio B/A. Use it to check that a change to the runner keeps its speed.
//
//   node bench/runner-ab.bench.mjs --vs /path/to/other/checkout [--rounds 8] [--runs 40]
//
// A is the other checkout (usually the commit before the change, built: `git worktree add ../before
// <commit> && (cd ../before && sh scripts/bootstrap.sh)`), B is this one. Both need bubblewrap.
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { percentile } from './support/samples.mjs';

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
}

const other = option('vs');
if (!other) {
  console.error('usage: node bench/runner-ab.bench.mjs --vs /path/to/other/checkout [--rounds 8] [--runs 40]');
  process.exit(2);
}
const rounds = Number(option('rounds', '8'));
const runs = Number(option('runs', '40'));
const here = resolve(new URL('..', import.meta.url).pathname);
const quiet = { info() {}, warn: console.warn, error: console.error };

async function load(checkout) {
  const { createRunner } = await import(pathToFileURL(join(checkout, 'packages/runner/dist/index.js')).href);
  const runner = await createRunner({ concurrency: 2, warmChildren: 4, logger: quiet });
  return { name: checkout, runner };
}

const PROGRAMS = { python: 'print(1)', javascript: 'console.log(1)' };

async function latency(runner, language) {
  const samples = [];
  for (let index = 0; index < runs; index++) {
    const started = performance.now();
    const result = await runner.run({ language, code: PROGRAMS[language] });
    samples.push(performance.now() - started);
    if (result.status !== 'ok') throw new Error(`${language} run failed: ${result.reason}`);
  }
  return percentile(samples, 50);
}

async function throughput(runner, language, inFlight) {
  let next = 0;
  const total = runs * 2;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next++;
        const result = await runner.run({ language, code: PROGRAMS[language] });
        if (result.status !== 'ok') throw new Error(`${language} run failed: ${result.reason}`);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

const FIGURES = [
  ['warm latency, trivial Python, p50 (ms)', (runner) => latency(runner, 'python')],
  ['warm latency, trivial JavaScript, p50 (ms)', (runner) => latency(runner, 'javascript')],
  ['Python runs/s, 2 in flight', (runner) => throughput(runner, 'python', 2)],
  ['JavaScript runs/s, 2 in flight', (runner) => throughput(runner, 'javascript', 2)],
];

console.log(`runner A/B: ${cpus().length} CPUs, Node ${process.version}, ${rounds} rounds of ${runs} runs per figure`);
console.log(`A: ${resolve(other)}\nB: ${here}\n`);
const a = await load(resolve(other));
const b = await load(here);
for (const side of [a, b]) for (const [, measure] of FIGURES) await measure(side.runner); // warm both
const samples = FIGURES.map(() => ({ a: [], b: [] }));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [a, b] : [b, a];
  for (const [index, [, measure]] of FIGURES.entries()) {
    for (const side of order) samples[index][side === a ? 'a' : 'b'].push(await measure(side.runner));
  }
}
console.log(`${'figure'.padEnd(44)} ${'A'.padStart(9)} ${'B'.padStart(9)}   B/A`);
for (const [index, [label]] of FIGURES.entries()) {
  const medianA = percentile(samples[index].a, 50);
  const medianB = percentile(samples[index].b, 50);
  console.log(
    `${label.padEnd(44)} ${medianA.toFixed(2).padStart(9)} ${medianB.toFixed(2).padStart(9)}   ${(medianB / medianA).toFixed(2)}`,
  );
}
await a.runner.close();
await b.runner.close();
