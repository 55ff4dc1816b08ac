// Runner benchmark (issue 16): prints, in one run on this machine, the figures the runner is judged
// by, each beside a baseline measured in the same run: a shared Pyodide / QuickJS interpreter in a
// plain Node process (no isolation, the floor) and a fresh `python3 -c` under `bwrap --unshare-all`
// (the process sandbox other platforms use). Figures and baselines are measured in interleaved
// blocks and pooled, so a drifting or shared machine weighs on both alike; it ends with a table.
//
//   npm run bench                 # everything (~7 min on 2 cores)
//   npm run bench -- --quick      # fewer iterations (~3 min)
//
// Needs a built checkout (`./umca` or `npm run build`) and bubblewrap.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startBareServer } from './support/bare-server.mjs';
import { bwrapPython } from './support/bwrap-python.mjs';
import { startCpuLoad } from './support/cpu-load.mjs';
import { interleave } from './support/interleave.mjs';
import { median, percentile } from './support/samples.mjs';
import { memoryOf, sandboxProcesses } from './support/sandbox-memory.mjs';
import { startSharedInterpreters } from './support/shared-interpreters.mjs';
import { ms, perSecond, printSummary, times } from './support/summary-table.mjs';

const RUNNER = new URL('../packages/runner/dist/index.js', import.meta.url);
const SERVER = new URL('../apps/orchestrator/dist/index.js', import.meta.url);
const quick = process.argv.includes('--quick');
const execute = promisify(execFile);
const { createRunner } = await import(RUNNER.href);
const { resolveServerConfig, startServer } = await import(SERVER.href);
const quiet = { info() {}, warn: console.warn, error: console.error };

const TRIVIAL = { python: 'print(1)', javascript: 'console.log(1)' };
// Prints its own milliseconds, so the interpreter's speed is compared without any sandbox cost.
const COMPUTE = 'import time\nt = time.perf_counter()\nsum(i*i for i in range(200001))\nprint((time.perf_counter() - t) * 1000)';

// Work is bounded by counts (rounds x runs per block), never by time: the machine's speed varies.
const COUNTS = quick
  ? { coldStarts: 3, trivial: [6, 40], paced: [4, 20], compute: [5, 6], throughput: 3, http: [6, 40], load: [6, 25] }
  : { coldStarts: 7, trivial: [12, 80], paced: [8, 30], compute: [10, 10], throughput: 5, http: [12, 80], load: [10, 40] };
// Milliseconds between runs in the paced blocks: a pool that has caught up, and a wait long enough
// for the caches to go cold (the shared interpreter's own p50 doubles).
const PACES_MS = [5, 50];
const RATES = quick ? { python: 200, javascript: 500, bwrap: 50 } : { python: 500, javascript: 1200, bwrap: 100 };

function line(label, value, note = '') {
  console.log(`${label.padEnd(60)} ${value.padStart(20)}  ${note}`);
}

const pick = (samples, key) => samples.map((sample) => sample[key]);

/** First run after a fresh Node process starts: createRunner + one execution, timed from the process's start. */
async function firstRun(language) {
  const script = `
    const { createRunner } = await import(${JSON.stringify(RUNNER.href)});
    const runner = await createRunner({ concurrency: 1, warmChildren: 1 });
    const result = await runner.run({ language: ${JSON.stringify(language)}, code: ${JSON.stringify(TRIVIAL[language])} });
    const total = performance.now();
    console.log(JSON.stringify({ status: result.status, total }));
    await runner.close();`;
  const samples = [];
  for (let index = 0; index < COUNTS.coldStarts; index++) {
    const { stdout } = await execute(process.execPath, ['--input-type=module', '-e', script]);
    const parsed = JSON.parse(stdout.trim().split('\n').at(-1));
    if (parsed.status !== 'ok') throw new Error(`first run failed: ${stdout}`);
    samples.push(parsed.total);
  }
  return median(samples);
}

/** `count` sequential UMCA runs of `code`: wall time, the runner's own executeMs and programMs, and what it printed. */
async function umcaBlock(runner, language, code, count) {
  const samples = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const result = await runner.run({ language, code });
    const wall = performance.now() - started;
    if (result.status !== 'ok') throw new Error(`${language} run failed: ${result.reason ?? JSON.stringify(result)}`);
    samples.push({ wall, execute: result.timings.executeMs, program: result.timings.programMs, printed: Number(result.stdout.trim()) });
  }
  return samples;
}

/** `count` runs of `code` in the shared interpreter, timed inside its process. */
async function sharedBlock(shared, language, code, count, keepOutput = false) {
  const { samples, printed } = await shared.time(language, code, count, { keepOutput });
  return samples.map((wall, index) => ({ wall, printed: Number(printed[index]) }));
}

/** A summary row: UMCA's executeMs p50 over the shared interpreter's, against a budget in ms. */
function overheadRow(figure, executeP50, sharedP50, budget) {
  return {
    figure,
    measured: ms(executeP50 - sharedP50),
    baseline: ms(sharedP50),
    ratio: times(executeP50 / sharedP50),
    target: `<= ${budget} ms`,
    met: executeP50 - sharedP50 <= budget,
  };
}

/** `count` blocks of one run each, `paceMs` apart. */
async function paced(paceMs, count, block) {
  const samples = [];
  for (let index = 0; index < count; index++) {
    await new Promise((resolve) => setTimeout(resolve, paceMs));
    samples.push(...(await block()));
  }
  return samples;
}

async function bwrapBlock(count) {
  const samples = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await bwrapPython(TRIVIAL.python);
    samples.push({ wall: performance.now() - started });
  }
  return samples;
}

/** Runs `run` `total` times with `inFlight` at once; returns runs per second. */
async function rate(total, inFlight, run) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next++;
        await run();
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function umcaRun(runner, language) {
  const result = await runner.run({ language, code: TRIVIAL[language] });
  if (result.status !== 'ok') throw new Error(`${language} run failed: ${result.reason ?? result.status}`);
}

/** `count` trivial Python runs through `POST /v1/executions`; the response must be 200 with an ok run. */
async function httpBlock(url, count) {
  const samples = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const response = await fetch(`${url}/v1/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', code: TRIVIAL.python }),
    });
    const body = await response.json();
    samples.push({ wall: performance.now() - started });
    if (!response.ok || body.status !== 'ok') throw new Error(`POST /v1/executions answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return samples;
}

/**
 * UMCA warm Python against bwrap python3, without and with two busy loops beside them. Each round
 * measures both conditions (which comes first alternates) and both sides within each.
 */
async function loadComparison(runner, rounds, count) {
  const pooled = { quiet: { umca: [], bwrap: [] }, loaded: { umca: [], bwrap: [] } };
  const measure = { umca: () => umcaBlock(runner, 'python', TRIVIAL.python, count), bwrap: () => bwrapBlock(count) };
  for (let round = 0; round < rounds; round++) {
    const sides = round % 2 === 0 ? ['umca', 'bwrap'] : ['bwrap', 'umca'];
    for (const condition of round % 2 === 0 ? ['quiet', 'loaded'] : ['loaded', 'quiet']) {
      const load = condition === 'loaded' ? await startCpuLoad(2) : undefined;
      try {
        for (const side of sides) pooled[condition][side].push(...(await measure[side]()));
      } finally {
        load?.stop();
      }
    }
  }
  return pooled;
}

function printMemory() {
  const { zygotes, children } = sandboxProcesses();
  for (const { pid, lanes } of zygotes) {
    const memory = memoryOf(pid);
    line(`zygote for ${lanes}, RSS / PSS`, `${memory.rss.toFixed(0)} / ${memory.pss.toFixed(0)} MiB`);
  }
  const idle = children.map(memoryOf);
  if (idle.length === 0) return;
  const mean = (key) => idle.reduce((sum, item) => sum + item[key], 0) / idle.length;
  line(
    `idle ready sandbox (mean of ${idle.length}), private / PSS`,
    `${mean('private').toFixed(1)} / ${mean('pss').toFixed(1)} MiB`,
    `RSS ${mean('rss').toFixed(0)} MiB, mostly shared with the zygote`,
  );
}

console.log(
  `UMCA runner benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}${quick ? ', quick' : ''}\n`,
);
const rows = [];

// Cold start first, while nothing else of this benchmark runs.
console.log('cold start');
const cold = { python: await firstRun('python'), javascript: await firstRun('javascript') };
line('first run after process start, Python (p50)', ms(cold.python), 'includes starting the sandbox');
line('first run after process start, JavaScript (p50)', ms(cold.javascript));

const shared = await startSharedInterpreters();
const runner = await createRunner({ concurrency: 2, warmChildren: 4, logger: quiet });
const dataDir = mkdtempSync(join(tmpdir(), 'umca-bench-'));
const server = await startServer(resolveServerConfig({ flags: { port: 0, dataDir }, env: {} }), { logger: quiet, runner });
line('baseline: shared Pyodide, process start to first result', ms(shared.pythonReadyMs), 'loadPyodide() without a snapshot, n=1');
rows.push(
  {
    figure: 'cold start, Python',
    measured: ms(cold.python),
    baseline: ms(shared.pythonReadyMs),
    ratio: times(cold.python / shared.pythonReadyMs),
    target: '<= 300 ms',
    met: cold.python <= 300,
  },
  { figure: 'cold start, JavaScript', measured: ms(cold.javascript) },
);

try {
  for (const language of ['python', 'javascript']) {
    await umcaBlock(runner, language, TRIVIAL[language], 20);
    await sharedBlock(shared, language, TRIVIAL[language], 20);
  }

  console.log('\nwarm trivial runs (UMCA and the shared interpreter in alternating blocks)');
  const [trivialRounds, trivialCount] = COUNTS.trivial;
  for (const [language, budget] of [
    ['python', 2],
    ['javascript', 1],
  ]) {
    const code = TRIVIAL[language];
    const pooled = await interleave(trivialRounds, {
      umca: () => umcaBlock(runner, language, code, trivialCount),
      shared: () => sharedBlock(shared, language, code, trivialCount),
    });
    const wall = pick(pooled.umca, 'wall');
    const executeP50 = median(pick(pooled.umca, 'execute'));
    const sharedP50 = median(pick(pooled.shared, 'wall'));
    const programs = pick(pooled.umca, 'program').filter((value) => value !== undefined);
    line(`UMCA ${code}, wall p50 / p99`, `${ms(median(wall))} / ${ms(percentile(wall, 99))}`, `n=${wall.length}`);
    line(`UMCA ${code}, timings.executeMs p50`, ms(executeP50), programs.length ? `timings.programMs p50 ${ms(median(programs))}` : '');
    line(
      `shared ${language === 'python' ? 'Pyodide, runPythonAsync' : 'QuickJS, evalCode'}(${JSON.stringify(code)}) p50`,
      ms(sharedP50),
      language === 'python' ? 'stdout to a no-op' : 'console.log is a no-op host function',
    );
    line(`per-run overhead, ${language} (executeMs p50 - shared p50)`, ms(executeP50 - sharedP50), `target <= ${budget} ms`);
    rows.push(overheadRow(`per-run overhead, ${language}`, executeP50, sharedP50, budget));
  }

  // Back to back, each run's child is forked, started and torn down while the next runs: ~10 ms of
  // CPU a run on two cores (docs/runner.md). Paced, the pool has caught up, as between an agent's
  // calls; both sides wait alike, so both start with the same caches.
  const [pacedRounds, pacedCount] = COUNTS.paced;
  for (const paceMs of PACES_MS) {
    console.log(`\npaced trivial runs (${paceMs} ms between runs on both sides)`);
    for (const [language, budget] of [
      ['python', 2],
      ['javascript', 1],
    ]) {
      const code = TRIVIAL[language];
      const pooled = await interleave(pacedRounds, {
        umca: () => paced(paceMs, pacedCount, () => umcaBlock(runner, language, code, 1)),
        shared: () => paced(paceMs, pacedCount, () => sharedBlock(shared, language, code, 1)),
      });
      const executeP50 = median(pick(pooled.umca, 'execute'));
      const sharedP50 = median(pick(pooled.shared, 'wall'));
      line(`UMCA ${code}, timings.executeMs p50 / shared p50`, `${ms(executeP50)} / ${ms(sharedP50)}`, `n=${pooled.umca.length}`);
      line(`per-run overhead, ${language}, ${paceMs} ms apart`, ms(executeP50 - sharedP50), `target <= ${budget} ms`);
      rows.push(overheadRow(`per-run overhead, ${language}, ${paceMs} ms apart`, executeP50, sharedP50, budget));
    }
  }

  console.log('\ncompute (the program prints its own milliseconds)');
  await umcaBlock(runner, 'python', COMPUTE, 2);
  await sharedBlock(shared, 'python', COMPUTE, 2, true);
  const compute = await interleave(COUNTS.compute[0], {
    umca: () => umcaBlock(runner, 'python', COMPUTE, COUNTS.compute[1]),
    shared: () => sharedBlock(shared, 'python', COMPUTE, COUNTS.compute[1], true),
  });
  const computeUmca = median(pick(compute.umca, 'printed'));
  const computeShared = median(pick(compute.shared, 'printed'));
  const computeTimings = `executeMs p50 ${ms(median(pick(compute.umca, 'execute')))}, programMs p50 ${ms(median(pick(compute.umca, 'program')))}`;
  line('UMCA, printed p50', ms(computeUmca), `${computeTimings}, n=${compute.umca.length}`);
  line('shared Pyodide, printed p50', ms(computeShared), `runPythonAsync p50 ${ms(median(pick(compute.shared, 'wall')))}`);
  line('ratio UMCA / shared', times(computeUmca / computeShared), 'target <= 1.2x');
  rows.push({
    figure: 'compute, printed time p50',
    measured: ms(computeUmca),
    baseline: ms(computeShared),
    ratio: times(computeUmca / computeShared),
    target: '<= 1.2x',
    met: computeUmca / computeShared <= 1.2,
  });

  console.log('\nthroughput (runs/s; rounds interleaved with bwrap python3, 2 in flight)');
  const rates = await interleave(COUNTS.throughput, {
    'python 2': async () => [await rate(RATES.python, 2, () => umcaRun(runner, 'python'))],
    'python 8': async () => [await rate(RATES.python, 8, () => umcaRun(runner, 'python'))],
    'javascript 2': async () => [await rate(RATES.javascript, 2, () => umcaRun(runner, 'javascript'))],
    'javascript 8': async () => [await rate(RATES.javascript, 8, () => umcaRun(runner, 'javascript'))],
    bwrap: async () => [await rate(RATES.bwrap, 2, () => bwrapPython(TRIVIAL.python))],
  });
  const bwrapRate = median(rates.bwrap);
  for (const [language, target] of [
    ['python', 400],
    ['javascript', 1000],
  ]) {
    for (const inFlight of [2, 8]) {
      const value = median(rates[`${language} ${inFlight}`]);
      line(`UMCA ${language}, ${inFlight} in flight (median of ${COUNTS.throughput} rounds)`, perSecond(value), `target >= ${target}`);
      rows.push({
        figure: `${language} runs/s, ${inFlight} in flight`,
        measured: perSecond(value),
        ...(language === 'python' ? { baseline: perSecond(bwrapRate), ratio: times(value / bwrapRate) } : {}),
        target: `>= ${target}`,
        met: value >= target,
      });
    }
  }
  line('baseline: bwrap python3 -c, 2 in flight', perSecond(bwrapRate));

  console.log('\nmemory (runner idle)');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  printMemory();

  console.log(
    '\nHTTP (POST /v1/executions of an in-process `umca serve` on the same runner, alternating with runner.run and with a bare node:http server around runner.run)',
  );
  const bare = await startBareServer(runner);
  await httpBlock(server.url, 10);
  await httpBlock(bare.url, 10);
  const http = await interleave(COUNTS.http[0], {
    library: () => umcaBlock(runner, 'python', TRIVIAL.python, COUNTS.http[1]),
    http: () => httpBlock(server.url, COUNTS.http[1]),
    bare: () => httpBlock(bare.url, COUNTS.http[1]),
  });
  await bare.close();
  const libraryP50 = median(pick(http.library, 'wall'));
  const httpP50 = median(pick(http.http, 'wall'));
  const bareP50 = median(pick(http.bare, 'wall'));
  line('library runner.run print(1), wall p50', ms(libraryP50), `n=${http.library.length}`);
  line('POST /v1/executions print(1), p50', ms(httpP50), `p99 ${ms(percentile(pick(http.http, 'wall'), 99))}`);
  line('bare node:http server around runner.run, p50', ms(bareP50), `p99 ${ms(percentile(pick(http.bare, 'wall'), 99))}`);
  line('HTTP adds (p50 - p50)', ms(httpP50 - libraryP50), 'target <= 1 ms');
  line("  of which any HTTP server's floor (bare - library)", ms(bareP50 - libraryP50));
  line("  of which UMCA's own layers (HTTP - bare)", ms(httpP50 - bareP50), 'routing, auth, validation, the run record, events, spans');
  rows.push({
    figure: 'HTTP adds, Python print(1)',
    measured: ms(httpP50 - libraryP50),
    baseline: ms(libraryP50),
    ratio: times(httpP50 / libraryP50),
    target: '<= 1 ms',
    met: httpP50 - libraryP50 <= 1,
  });
  rows.push({
    figure: 'HTTP adds, bare node:http (floor)',
    measured: ms(bareP50 - libraryP50),
    baseline: ms(libraryP50),
    ratio: times(bareP50 / libraryP50),
  });

  console.log('\nUMCA warm Python against bwrap python3 -c, without and with 2 busy loops');
  const load = await loadComparison(runner, ...COUNTS.load);
  const ratios = {};
  for (const condition of ['quiet', 'loaded']) {
    const umca = median(pick(load[condition].umca, 'wall'));
    const bwrap = pick(load[condition].bwrap, 'wall');
    ratios[condition] = umca / median(bwrap);
    const label = condition === 'quiet' ? 'without load' : 'with load';
    line(`UMCA print(1) wall p50, ${label}`, ms(umca), `n=${load[condition].umca.length}`);
    line(`bwrap python3 -c print(1) p50 / p99, ${label}`, `${ms(median(bwrap))} / ${ms(percentile(bwrap, 99))}`);
    line(`ratio UMCA / bwrap, ${label}`, times(ratios[condition]));
  }
  const quietUmca = median(pick(load.quiet.umca, 'wall'));
  const quietBwrap = median(pick(load.quiet.bwrap, 'wall'));
  rows.push(
    {
      figure: 'warm Python print(1) wall p50 vs bwrap',
      measured: ms(quietUmca),
      baseline: ms(quietBwrap),
      ratio: times(quietUmca / quietBwrap),
    },
    {
      figure: 'UMCA/bwrap p50 ratio under load',
      measured: times(ratios.loaded),
      baseline: `${times(ratios.quiet)} idle`,
      ratio: times(ratios.loaded / ratios.quiet),
      target: '<= idle ratio',
      met: ratios.loaded <= ratios.quiet,
    },
  );

  console.log('\nsummary');
  printSummary(rows);
} finally {
  shared.close();
  await server.close();
  await runner.close();
  rmSync(dataDir, { recursive: true, force: true });
}
