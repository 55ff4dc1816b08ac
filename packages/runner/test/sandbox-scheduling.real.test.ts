/**
 * The zygotes run under SCHED_BATCH (native/umca_sandbox.c, batchScheduling): forking a child
 * ahead of demand must not preempt the host while it hands a run over. Their children go back to
 * SCHED_OTHER before they say they are ready, so a run is scheduled like any other process and
 * keeps its share under load. Read from the host's /proc, for the processes this test started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner({ warmChildren: 2 });

const SCHED_OTHER = 0;
const SCHED_BATCH = 3;

interface Process {
  pid: number;
  ppid: number;
  policy: number;
  command: string;
}

function processes(): Process[] {
  const found: Process[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command's closing parenthesis: state is field 3, ppid 4, policy 41.
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      found.push({ pid: Number(entry), ppid: Number(fields[1]), policy: Number(fields[38]), command });
    } catch {
      // it ended meanwhile
    }
  }
  return found;
}

/** The zygotes this process started, each with its children. */
function zygotesAndChildren(): Array<{ zygote: Process; children: Process[] }> {
  const all = processes();
  const mine = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const candidate of all) {
      if (!mine.has(candidate.pid) && mine.has(candidate.ppid)) {
        mine.add(candidate.pid);
        grew = true;
      }
    }
  }
  // Node itself (not bubblewrap or umca-sandbox-init, whose command lines name it too).
  const isNode = (candidate: Process) => /(^|\/)node$/.test(candidate.command.split(' ')[0] ?? '');
  const nodes = all.filter((candidate) => mine.has(candidate.pid) && isNode(candidate) && candidate.command.includes('zygote-main.js'));
  const zygotes = nodes.filter((node) => !nodes.some((other) => other.pid === node.ppid));
  return zygotes.map((zygote) => ({ zygote, children: nodes.filter((node) => node.ppid === zygote.pid) }));
}

describe('scheduling', () => {
  it('runs the zygotes as batch work and their children as ordinary processes', async () => {
    // Both kinds of zygote started, and each has children forked ahead of demand.
    for (const language of ['python', 'javascript'] as const) {
      const result = await runner().run({ language, code: language === 'python' ? 'print(1)' : 'console.log(1)' });
      expect(result.status).toBe('ok');
    }
    let found = zygotesAndChildren();
    for (let attempt = 0; attempt < 100 && !found.every(({ children }) => children.length > 0); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      found = zygotesAndChildren();
    }
    expect(found.length).toBeGreaterThanOrEqual(2);
    for (const { zygote, children } of found) {
      expect(zygote.policy, `zygote ${zygote.pid}`).toBe(SCHED_BATCH);
      expect(children.length, `children of zygote ${zygote.pid}`).toBeGreaterThan(0);
      for (const child of children) expect(child.policy, `child ${child.pid}`).toBe(SCHED_OTHER);
    }
  });
});
