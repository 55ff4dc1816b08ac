// Runner benchmark: prints, in one run on this machine, the figures the runner is judged by, with
// the process-sandbox approach (`python3 -c` under `bwrap --unshare-all`) measured side by side.
//
//   npm run bench                 # everything
//   npm run bench -- --quick      # fewer iterations
//
// Needs a built checkout (`./umca` or `npm run build`) and bubblewrap.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { percentile } from './support/samples.mjs';

const RUNNER = new URL('../packages/runner/dist/index.js', import.meta.url);
const quick = process.argv.includes('--quick');
const run = promisify(execFile);
const { createRunner } = await import(RUNNER.href);

const TRIVIAL = { python: 'print(1)', javascript: 'console.log(1)' };

const ms = (value) => `${value.toFixed(2)} ms`;

function line(label, value, note = '') {
  console.log(`${label.padEnd(52)} ${value.padStart(14)}  ${note}`);
}

/** First run after a fresh process starts: createRunner + one execution, timed from process start. */
async function firstRun(language) {
  const script = `
    const { createRunner } = await import(${JSON.stringify(RUNNER.href)});
    const runner = await createRunner({ concurrency: 1, warmChildren: 1 });
    const result = await runner.run({ language: ${JSON.stringify(language)}, code: ${JSON.stringify(TRIVIAL[language])} });
    const total = performance.now();
    console.log(JSON.stringify({ status: result.status, total, execute: result.durationMs }));
    await runner.close();`;
  const samples = [];
  for (let index = 0; index < (quick ? 2 : 5); index++) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const parsed = JSON.parse(stdout.trim().split('\n').at(-1));
    if (parsed.status !== 'ok') throw new Error(`first run failed: ${stdout}`);
    samples.push(parsed.total);
  }
  return percentile(samples, 50);
}

async function warmLatency(runner, language, count) {
  for (let index = 0; index < 20; index++) await runner.run({ language, code: TRIVIAL[language] });
  const samples = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const result = await runner.run({ language, code: TRIVIAL[language] });
    samples.push(performance.now() - started);
    if (result.status !== 'ok') throw new Error(`${language} run failed: ${JSON.stringify(result)}`);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function throughput(runner, language, total, inFlight) {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next++;
        const result = await runner.run({ language, code: TRIVIAL[language] });
        if (result.status !== 'ok') failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${failed} of ${total} ${language} runs failed`);
  return total / seconds;
}

function memoryOf(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(rollup.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) / 1024;
  return { rss: field('Rss'), pss: field('Pss'), private: field('Private_Clean') + field('Private_Dirty') };
}

function sandboxProcesses() {
  const processes = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const program = cmdline.split('\0')[0] ?? '';
      if (!cmdline.includes('zygote-main.js') || program.endsWith('bwrap') || program.endsWith('umca-sandbox-init')) continue;
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
      processes.push({ pid: Number(entry), parent, lanes: cmdline.match(/"languages":\[([^\]]*)\]/)?.[1]?.replaceAll('"', '') ?? '?' });
    } catch {
      // gone meanwhile
    }
  }
  const pids = new Set(processes.map((item) => item.pid));
  return {
    zygotes: processes.filter((item) => !pids.has(item.parent)),
    children: processes.filter((item) => pids.has(item.parent)).map((item) => item.pid),
  };
}

function bwrapPython(code) {
  return new Promise((resolve, reject) => {
    const args = ['--unshare-all', '--die-with-parent', '--ro-bind', '/usr', '/usr'];
    for (const folder of ['/bin', '/lib', '/lib64', '/sbin']) if (existsSync(folder)) args.push('--symlink', `usr${folder}`, folder);
    args.push('--proc', '/proc', '--dev', '/dev', '--', '/usr/bin/python3', '-c', code);
    const child = spawn('bwrap', args, { stdio: ['ignore', 'pipe', 'inherit'], env: {} });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bwrap python exited ${code}`))));
  });
}

async function baseline(count, inFlight) {
  const samples = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await bwrapPython('print(1)');
    samples.push(performance.now() - started);
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next++;
        await bwrapPython('print(1)');
      }
    }),
  );
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), perSecond: count / ((performance.now() - started) / 1000) };
}

console.log(
  `UMCA runner benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}${quick ? ', quick' : ''}\n`,
);

line('first run after process start, Python (p50)', ms(await firstRun('python')), 'target <= 500 ms; includes starting the sandbox');
line('first run after process start, JavaScript (p50)', ms(await firstRun('javascript')));

const runner = await createRunner({ concurrency: 2, warmChildren: 4, logger: { info() {}, warn: console.warn, error: console.error } });
const count = quick ? 100 : 400;
const python = await warmLatency(runner, 'python', count);
line('warm latency, trivial Python (p50 / p99)', `${ms(python.p50)} / ${ms(python.p99)}`, 'target p50 <= 15 ms');
const javascript = await warmLatency(runner, 'javascript', count);
line('warm latency, trivial JavaScript (p50 / p99)', `${ms(javascript.p50)} / ${ms(javascript.p99)}`, 'target p50 <= 2 ms');

for (const inFlight of [2, 8]) {
  const pythonRate = await throughput(runner, 'python', quick ? 200 : 600, inFlight);
  line(`sustained isolated Python runs/s, ${inFlight} in flight`, `${pythonRate.toFixed(0)} /s`, 'target >= 50');
  const javascriptRate = await throughput(runner, 'javascript', quick ? 500 : 2000, inFlight);
  line(`sustained isolated JavaScript runs/s, ${inFlight} in flight`, `${javascriptRate.toFixed(0)} /s`, 'target >= 500');
}

await new Promise((resolve) => setTimeout(resolve, 1_000));
const { zygotes, children } = sandboxProcesses();
for (const { pid, lanes } of zygotes) {
  const memory = memoryOf(pid);
  line(`zygote for ${lanes}, RSS / PSS`, `${memory.rss.toFixed(0)} / ${memory.pss.toFixed(0)} MiB`);
}
const idle = children.map(memoryOf);
if (idle.length > 0) {
  const mean = (key) => idle.reduce((sum, item) => sum + item[key], 0) / idle.length;
  line(
    `idle ready sandbox (mean of ${idle.length}), private / PSS`,
    `${mean('private').toFixed(1)} / ${mean('pss').toFixed(1)} MiB`,
    `RSS ${mean('rss').toFixed(0)} MiB, mostly shared with the zygote`,
  );
}
await runner.close();

const reference = await baseline(quick ? 50 : 100, 2);
line('baseline: bwrap python3 -c, latency (p50 / p99)', `${ms(reference.p50)} / ${ms(reference.p99)}`, 'a fresh process sandbox per run');
line('baseline: bwrap python3 -c, runs/s, 2 in flight', `${reference.perSecond.toFixed(0)} /s`);
line('ratio: baseline p50 / UMCA warm Python p50', `${(reference.p50 / python.p50).toFixed(1)}x`);
