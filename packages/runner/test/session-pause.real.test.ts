/**
 * A session paused and resumed: its state comes back exactly (a DataFrame, its files with their
 * modes and times, Python's and numpy's random generators, a function it defined), in a new
 * sandbox process, with its limits still counting what it held. A snapshot made from another
 * image of the interpreter, one that names a path outside the session, one whose memory is
 * damaged or larger than the session may hold, is refused and runs nothing. (Sealing the
 * snapshot on disk against reading and tampering is the session service's: runs'
 * session-snapshot-files.ts, tested in session-service.test.ts.)
 */

import type { RunnerSessionV1, SessionOptionsV1 } from '@umca/contracts';
import { acceptExecutionRequest, createEgressPolicy } from '@umca/policy';
import { afterEach, describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner({ concurrency: 2, warmChildren: 1, maxSessions: 4 });
const opened: RunnerSessionV1[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((session) => session.close()));
});

const spec = (options: Partial<SessionOptionsV1> = {}): SessionOptionsV1 => ({
  language: 'python',
  runtime: 'wasi-python',
  egress: createEgressPolicy([]),
  ...options,
});
const keep = (session: RunnerSessionV1) => {
  opened.push(session);
  return session;
};
const run = (session: RunnerSessionV1, code: string, extra: Record<string, unknown> = {}) =>
  session.execute(acceptExecutionRequest({ language: 'python', code, limits: { timeoutMs: 60_000 }, ...extra }).request);

/** The runner's snapshot with its header (JSON after `UMCASES1` and its length) changed by `edit`. */
function withHeader(snapshot: Uint8Array, edit: (header: Record<string, unknown>) => void): Buffer {
  const bytes = Buffer.from(snapshot);
  const length = bytes.readUInt32BE(8);
  const header = JSON.parse(bytes.subarray(12, 12 + length).toString('utf8')) as Record<string, unknown>;
  edit(header);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(12);
  bytes.copy(prefix, 0, 0, 8);
  prefix.writeUInt32BE(json.byteLength, 8);
  return Buffer.concat([prefix, json, bytes.subarray(12 + length)]);
}

describe('a paused session', () => {
  it('resumes in a new process with its DataFrame, files, random generators and functions exactly as they were', async () => {
    const session = keep(await runner().openSession(spec()));
    expect(session.pausable).toBe(true);
    const setUp = await run(
      session,
      [
        'import os, random, numpy as np, pandas as pd',
        'df = pd.read_csv("sales.csv")',
        'random.seed(11); rng = np.random.default_rng(5); random.random(); rng.random()',
        'def total(): return int(df["sales"].sum())',
        'open("/tmp/scratch.txt", "w").write("scratch")',
        'os.makedirs("out", exist_ok=True); open("out/a.txt", "w").write("a")',
        'os.utime("out/a.txt", (1_700_000_000, 1_700_000_000))',
        'print(os.getpid() if hasattr(os, "getpid") else 0, total())',
      ].join('\n'),
      { files: [{ path: 'sales.csv', content: 'city,sales\nOslo,3\nLima,5\nOslo,4\n' }] },
    );
    expect(setUp.result).toMatchObject({ status: 'ok' });
    // What the same generators give next, from an interpreter that never paused.
    const expected = await runner().run({
      language: 'python',
      code: 'import random, numpy as np\nrandom.seed(11); rng = np.random.default_rng(5); random.random(); rng.random()\nprint(random.random(), rng.random())',
    });

    const snapshot = await session.pause();
    expect(session.alive).toBe(false);
    expect(session.endedBecause).toBe('it was paused');
    expect(snapshot.byteLength).toBeGreaterThan(1_000);
    const resumed = keep(await runner().resumeSession(spec(), snapshot));
    const look = await run(
      resumed,
      [
        'import os',
        'print(random.random(), rng.random())',
        'print(total(), type(df).__name__, list(df.columns))',
        'print(open("/tmp/scratch.txt").read(), open("out/a.txt").read(), int(os.stat("out/a.txt").st_mtime))',
      ].join('\n'),
    );
    expect(look).toMatchObject({ alive: true, result: { status: 'ok', files: [] } });
    expect(look.result.stdout).toBe(`${expected.stdout}12 DataFrame ['city', 'sales']\nscratch a 1700000000\n`);
    // It goes on as a session: a file it writes now is this run's output.
    const next = await run(resumed, 'open("out/b.txt", "w").write("b")\nprint(len(df))');
    expect(next.result).toMatchObject({ status: 'ok', stdout: '3\n' });
    expect(next.result.files.map((file) => file.path)).toEqual(['out/b.txt']);
  });

  it('pauses again after a resume, and a resumed session can be resumed again from its newer snapshot only', async () => {
    const session = keep(await runner().openSession(spec()));
    await run(session, 'n = 1');
    const first = await session.pause();
    const again = keep(await runner().resumeSession(spec(), first));
    await run(again, 'n += 1');
    const second = await again.pause();
    const last = keep(await runner().resumeSession(spec(), second));
    expect((await run(last, 'print(n)')).result.stdout).toBe('2\n');
  });

  it("still counts what it holds against the session's memory after a resume", async () => {
    const session = keep(await runner().openSession(spec({ memoryMb: 64 })));
    expect((await run(session, 'kept = bytearray(40 * 1024 * 1024)')).result.status).toBe('ok');
    const snapshot = await session.pause();
    const resumed = keep(await runner().resumeSession(spec({ memoryMb: 64 }), snapshot));
    expect((await run(resumed, 'print(len(kept) >> 20)')).result.stdout).toBe('40\n');
    expect(await run(resumed, 'more = bytearray(40 * 1024 * 1024)')).toMatchObject({ alive: false, result: { status: 'memory_limit' } });
    // Resumed with less memory than it holds, it is refused.
    await expect(runner().resumeSession(spec({ memoryMb: 16 }), snapshot)).rejects.toMatchObject({
      code: 'snapshot_refused',
      message: expect.stringMatching(/holds \d+ MiB of memory, more than the session may hold/),
    });
  });

  it('cannot pause while a run runs, nor on pyodide, and goes on as it was', async () => {
    const session = keep(await runner().openSession(spec()));
    const running = run(session, 'import time\ntime.sleep(1)\nprint("done")');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(session.pause()).rejects.toMatchObject({ code: 'busy' });
    expect((await running).result.stdout).toBe('done\n');
    const pyodide = keep(await runner().openSession(spec({ runtime: 'pyodide' })));
    expect(pyodide.pausable).toBe(false);
    await expect(pyodide.pause()).rejects.toMatchObject({
      code: 'not_supported',
      message: expect.stringMatching(/pyodide cannot be paused/),
    });
    await run(pyodide, 'x = 3');
    expect((await run(pyodide, 'print(x)')).result.stdout).toBe('3\n');
  });
});

describe('a snapshot that cannot be resumed is refused, and runs nothing', () => {
  let snapshot: Uint8Array;
  const refused = async (bytes: Uint8Array, why: RegExp) => {
    await expect(runner().resumeSession(spec(), bytes)).rejects.toMatchObject({
      code: 'snapshot_refused',
      message: expect.stringMatching(why),
    });
  };

  it('one made from another image of the interpreter', async () => {
    const session = keep(await runner().openSession(spec()));
    await run(session, 'secret = 42\nopen("kept.txt", "w").write("k")');
    snapshot = await session.pause();
    await refused(
      withHeader(snapshot, (header) => {
        header.image = 'python-0000000000000000.cwasm';
      }),
      /made by wasi-python from python-0000000000000000\.cwasm.*paused before an upgrade of the interpreter cannot be resumed/,
    );
  });

  it('one that names a path outside the session, or is cut short, or is not a snapshot at all', async () => {
    for (const path of ['../escape.txt', '/etc/passwd', 'work/../../x', '']) {
      await refused(
        withHeader(snapshot, (header) => {
          (header.entries as Array<{ path: string }>)[0]!.path = path;
        }),
        /outside the session/,
      );
    }
    await refused(Buffer.from(snapshot).subarray(0, snapshot.byteLength - 10), /cut short|the snapshot was refused/);
    await refused(Buffer.from('not a snapshot at all'), /not a session snapshot of this version/);
  });

  it('one whose memory is damaged where it says where its pages go', async () => {
    // The memory's own header (after the files): a page run placed past the end of memory.
    const bytes = Buffer.from(snapshot);
    const length = bytes.readUInt32BE(8);
    const header = JSON.parse(bytes.subarray(12, 12 + length).toString('utf8')) as { entries: Array<{ size?: number }> };
    const memoryAt = 12 + length + header.entries.reduce((sum, entry) => sum + (entry.size ?? 0), 0);
    expect(bytes.subarray(memoryAt, memoryAt + 8).toString('latin1')).toBe('UMCAMEM1');
    bytes.writeBigUInt64LE(1n << 40n, memoryAt + 16);
    await refused(bytes, /the snapshot was refused: a run lies beyond memory/);
    const wrongMagic = Buffer.from(snapshot);
    wrongMagic.write('XXXXXXXX', memoryAt, 'latin1');
    await refused(wrongMagic, /not a memory snapshot of this version/);
  });
});
