// Background CPU load for the "under load" figures: busy-looping Node processes, one per
// requested core. They are killed on stop, when the benchmark exits or is interrupted, and each
// also quits by itself if its parent dies, so a crashed benchmark leaves no spinning process.
import { spawn } from 'node:child_process';

// Checks its parent every ~10^8 iterations (a fraction of a second): cheap, and an orphan stops soon.
const BUSY_LOOP = 'const parent = process.ppid; for (let i = 1; ; i++) if (i % 1e8 === 0 && process.ppid !== parent) process.exit(0);';
const running = new Set();

function killAll() {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function onSignal(signal) {
  killAll();
  process.kill(process.pid, signal);
}

/** Starts `processes` CPU-bound processes; call `stop()` to end them. */
export async function startCpuLoad(processes) {
  if (running.size === 0) {
    process.once('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, onSignal);
  }
  const children = Array.from({ length: processes }, () => spawn(process.execPath, ['-e', BUSY_LOOP], { stdio: 'ignore' }));
  for (const child of children) running.add(child);
  // Let them start and reach the loop, so the first measured runs already share the CPU.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    stop() {
      for (const child of children) {
        child.kill('SIGKILL');
        running.delete(child);
      }
      if (running.size === 0) {
        process.removeListener('exit', killAll);
        for (const signal of ['SIGINT', 'SIGTERM']) process.removeListener(signal, onSignal);
      }
    },
  };
}
