/**
 * Sessions through the TypeScript client against a real `umca serve`: open one, load a CSV in one
 * run, group it in the next and plot it in the third with the DataFrame kept, pause it to disk and
 * resume it with the fourth, then end it; and the refusals the server answers, as UmcaApiErrors in
 * its words (an ended session, one that cannot pause, another caller's session does not exist).
 */
import { describe, expect, it } from 'vitest';
import { createClient, UmcaApiError } from '../src/index.js';
import { useServer } from './support/use-server.js';

const server = useServer();
const client = () => createClient({ baseUrl: server().url });

describe('sessions through the client', () => {
  it('keeps a DataFrame across runs, pauses to disk, resumes with the fourth run, and ends', async () => {
    const session = await client().openSession({ language: 'python' });
    expect(session.info).toMatchObject({ id: session.id, status: 'active', runtime: 'wasi-python', pausable: true });
    const csv = 'city,sales\nOslo,3\nLima,5\nOslo,4\nLima,1\n';
    const loaded = await session.run({
      language: 'python',
      code: 'import pandas as pd\ndf = pd.read_csv("sales.csv")\nprint(len(df))',
      files: [{ path: 'sales.csv', content: csv }],
    });
    expect(loaded).toMatchObject({ status: 'ok', stdout: '4\n', session: { id: session.id, status: 'active' } });
    const grouped = await session.run('totals = df.groupby("city")["sales"].sum()\nprint(totals.to_dict())');
    expect(grouped.stdout).toBe("{'Lima': 6, 'Oslo': 7}\n");
    const plotted = await session.run('import matplotlib.pyplot as plt\ntotals.plot.bar()\nplt.savefig("totals.png")');
    expect(plotted.files.map((file) => file.path)).toEqual(['totals.png']);
    const paused = await session.pause();
    expect(paused).toMatchObject({ status: 'paused', pausedAt: expect.any(String) });
    expect(session.info.snapshotBytes).toBeGreaterThan(0);
    const fourth = await session.run('print(df["sales"].max(), type(totals).__name__)');
    expect(fourth).toMatchObject({ stdout: '5 Series\n', session: { status: 'active' } });
    expect(session.info).toMatchObject({ status: 'active', runs: [loaded.runId, grouped.runId, plotted.runId, fourth.runId] });
    expect(session.info.snapshotBytes).toBeUndefined();
    expect((await client().getSession(session.id)).info.runs).toEqual(session.info.runs);
    expect((await client().listSessions()).sessions.map((listed) => listed.id)).toContain(session.id);
    expect(await session.end()).toMatchObject({ status: 'ended', endedBecause: 'its owner ended it' });
    const gone = await session.run('print(1)').catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(UmcaApiError);
    expect(gone).toMatchObject({ status: 404 });
  });

  it("answers a run past a limit with the session's end, and a pyodide session's pause with why it cannot", async () => {
    const session = await client().openSession({ language: 'python', runtime: 'pyodide' });
    await session.run('x = 1');
    const refused = await session.pause().catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 409, problem: { code: 'not_pausable' } });
    const limited = await session.run({ language: 'python', code: 'while True: pass', limits: { timeoutMs: 300 } });
    expect(limited.status).toBe('timeout');
    expect(session.info).toMatchObject({ status: 'ended', endedBecause: expect.stringMatching(/timeout/) });
    const after = await session.run('print(x)').catch((error: unknown) => error);
    expect(after).toMatchObject({ status: 409, problem: { code: 'already_ended' } });
  });

  it('refuses what a session cannot be, by field, before opening anything', async () => {
    const refused = await client()
      .openSession({ language: 'python', limits: { memoryMb: 1 } })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400 });
    expect((refused as UmcaApiError).problem.issues?.map((issue) => issue.path.join('.'))).toEqual(['limits.memoryMb']);
  });
});
