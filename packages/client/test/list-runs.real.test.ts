/**
 * Listing runs page by page, and the iterator over every page, against a real `umca serve`.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { useServer } from './support/use-server.js';

const server = useServer();
const client = () => createClient({ baseUrl: server().url });

describe('listRuns and iterateRuns', () => {
  it('page through every run, newest first, each once', async () => {
    const made: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) made.push((await client().runCode(`print(${n})`)).runId);
    const failed = await client().runCode('raise SystemExit(1)');

    const first = await client().listRuns({ limit: 2 });
    expect(first.runs.map((run) => run.id)).toEqual([failed.runId, made[4]]);
    expect(first.next).toBe(made[4]);
    const second = await client().listRuns({ limit: 2, before: first.next });
    expect(second.runs.map((run) => run.id)).toEqual([made[3], made[2]]);

    const everyRun: string[] = [];
    for await (const run of client().iterateRuns({ pageSize: 2 })) everyRun.push(run.id);
    expect(everyRun).toEqual([failed.runId, ...made.reverse()]);

    const ok: string[] = [];
    for await (const run of client().iterateRuns({ pageSize: 4, status: 'ok' })) ok.push(run.id);
    expect(ok).toEqual(made);
    expect((await client().listRuns({ status: 'error' })).runs).toMatchObject([{ id: failed.runId, kind: 'execution', status: 'error' }]);
  });

  it('readiness says whether the server can run code', async () => {
    expect(await client().readiness()).toMatchObject({ status: 'ready', activeRuns: 0, lastEventOffset: expect.any(Number) });
  });
});
