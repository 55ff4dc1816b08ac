/**
 * The host's view of this test process's sandboxes, read from /proc: each zygote and each of its
 * children (one per run, ready or running), with the host uids and gids they hold, their effective
 * capabilities and the namespaces they are in. Reads only descendants of this process, so test
 * files running in other workers do not interfere.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface SandboxProcess {
  readonly pid: number;
  readonly parent: number;
  /** R running, S sleeping, Z ended but not yet reaped, ... (proc(5)). */
  readonly state: string;
  /** Real, effective, saved and file-system uid, as the host sees them. */
  readonly uids: number[];
  readonly gids: number[];
  readonly capabilities: bigint;
  readonly noNewPrivs: boolean;
  readonly seccomp: number;
  /** Namespace identities (`pid:[4026532…]`) by kind. */
  readonly namespaces: Record<NamespaceKind, string>;
  readonly oomScoreAdjust: number;
  readonly nice: number;
}

export type NamespaceKind = 'pid' | 'uts' | 'ipc' | 'mnt' | 'user' | 'net';
const KINDS: NamespaceKind[] = ['pid', 'uts', 'ipc', 'mnt', 'user', 'net'];

export interface SandboxTree {
  zygotes: SandboxProcess[];
  children: SandboxProcess[];
}

function field(status: string, name: string): string {
  return status.match(new RegExp(`^${name}:\\s*(.*)$`, 'm'))?.[1] ?? '';
}

function describeProcess(pid: number): SandboxProcess | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const namespaces = {} as Record<NamespaceKind, string>;
    for (const kind of KINDS) namespaces[kind] = readlinkSync(`/proc/${pid}/ns/${kind}`);
    return {
      pid,
      parent: Number(field(status, 'PPid')),
      state: afterName[0] ?? '?',
      uids: field(status, 'Uid').split(/\s+/).map(Number),
      gids: field(status, 'Gid').split(/\s+/).map(Number),
      capabilities: BigInt(`0x${field(status, 'CapEff')}`),
      noNewPrivs: field(status, 'NoNewPrivs') === '1',
      seccomp: Number(field(status, 'Seccomp')),
      namespaces,
      oomScoreAdjust: Number(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8')),
      // stat fields after the name: state(0) ppid(1) ... nice is field 19 of stat, 16 here.
      nice: Number(afterName[16]),
    };
  } catch {
    return undefined; // ended meanwhile
  }
}

function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function isZygote(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((part) => part.endsWith('/zygote-main.js')) && !argv[0]?.endsWith('bwrap') && !argv[0]?.endsWith('umca-sandbox-init');
  } catch {
    return false;
  }
}

/** The sandbox processes below `root` (this process by default). */
export function readSandboxTree(root = process.pid): SandboxTree {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(entry);
    if (parent !== undefined) parents.set(Number(entry), parent);
  }
  const descends = (pid: number): boolean => {
    for (let current = parents.get(pid), hops = 0; current !== undefined && hops < 64; current = parents.get(current), hops++) {
      if (current === root) return true;
    }
    return false;
  };
  const zygotePids = [...parents.keys()].filter((pid) => descends(pid) && isZygote(pid) && !isZygote(parents.get(pid) ?? -1));
  const zygoteSet = new Set(zygotePids);
  const childPids = [...parents.keys()].filter((pid) => zygoteSet.has(parents.get(pid) ?? -1));
  const present = (item: SandboxProcess | undefined): item is SandboxProcess => item !== undefined;
  return { zygotes: zygotePids.map(describeProcess).filter(present), children: childPids.map(describeProcess).filter(present) };
}
