/**
 * The zygotes run under SCHED_BATCH (native/umca_sandbox.c, batchScheduling): forking a child
 * ahead of demand must not preempt the host while it hands a run over. Their children go back to
 * SCHED_OTHER before they say they are ready, so a run is scheduled like any other process and
 * keeps its share under load. A child that has sent its result tears itself down under
 * SCHED_IDLE, giving way to the next run, but only while few are doing so (host/sandbox-pool.ts).
 * Read from the host's /proc, for the processes this test started.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_IDLE_TEARDOWNS } from '../src/host/sandbox-pool.js';
import { useRunner } from './support/use-runner.js';

const runner = useRunner({ warmChildren: 2 });

const SCHED_OTHER = 0;
const SCHED_BATCH = 3;
const SCHED_IDLE = 5;

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
    // Ready children, once the ended ones have torn down (they do that as idle work: below) and
    // the pool's refills have started: a child just forked is still under its zygote's
    // SCHED_BATCH until it leaves it, before it says it is ready. One that never left it would
    // keep this from settling, and fail below.
    const settled = (found: ReturnType<typeof zygotesAndChildren>) =>
      found.every(({ children }) => children.length > 0 && children.every((child) => child.policy === SCHED_OTHER));
    let found = zygotesAndChildren();
    for (let attempt = 0; attempt < 100 && !settled(found); attempt++) {
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

  it('lets ended children tear down as idle work, but never more than a few at a time', async () => {
    // Two busy loops take both cores: an idle teardown then waits, and ended children would pile
    // up without the bound.
    const loops = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    let most = 0;
    try {
      // Without the bound, 17-40 piled up within these runs on a 2-core machine (checked).
      for (let run = 0; run < 400; run++) {
        const result = await runner().run({ language: 'python', code: 'print(1)' });
        expect(result.status).toBe('ok');
        if (run % 10 !== 0) continue;
        // By parent alone: a process tearing down has already lost its command line.
        const zygotes = new Set(zygotesAndChildren().map(({ zygote }) => zygote.pid));
        const idle = processes().filter((candidate) => zygotes.has(candidate.ppid) && candidate.policy === SCHED_IDLE);
        most = Math.max(most, idle.length);
      }
    } finally {
      for (const loop of loops) loop.kill();
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(MAX_IDLE_TEARDOWNS);
  });
});
