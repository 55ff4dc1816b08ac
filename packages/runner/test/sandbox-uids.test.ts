/**
 * The uids sandboxes run as when UMCA runs as root: parsed, checked against the accounts on the
 * machine, split between the zygotes, and handed out one per live run.
 */
import { describe, expect, it } from 'vitest';
import { checkSandboxUids, DEFAULT_SANDBOX_UIDS, parseSandboxUids, splitSandboxUids } from '../src/host/sandbox-uids.js';
import { createRunIdPool } from '../src/sandbox/run-id-pool.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';

describe('sandbox uids', () => {
  it('parses FIRST-LAST and says how to write it when it cannot', () => {
    expect(parseSandboxUids('3000000000-3000001023')).toEqual({ first: 3_000_000_000, count: 1024 });
    for (const bad of ['3000000000', '10-5', 'a-b', '1e3-2e3', '']) {
      expect(() => parseSandboxUids(bad)).toThrow(
        /UMCA_SANDBOX_UIDS must be a range FIRST-LAST of host uids, such as 2000000000-2000001023/,
      );
    }
  });

  it('refuses root, system ids, too small a range, and ids an account owns', () => {
    expect(checkSandboxUids(DEFAULT_SANDBOX_UIDS, PASSWD)).toEqual(DEFAULT_SANDBOX_UIDS);
    expect(() => checkSandboxUids({ first: 0, count: 1024 }, PASSWD)).toThrow(/must lie between 1000 and/);
    expect(() => checkSandboxUids({ first: 4_294_967_000, count: 1024 }, PASSWD)).toThrow(/must lie between 1000 and/);
    expect(() => checkSandboxUids({ first: 100_000, count: 100 }, PASSWD)).toThrow(/at least 835 are needed/);
    expect(() => checkSandboxUids({ first: 65_000, count: 1024 }, PASSWD)).toThrow(/include 65534, the uid of the account "nobody"/);
  });

  it('gives each zygote its own half', () => {
    expect(splitSandboxUids({ first: 5000, count: 1024 })).toEqual([
      { first: 5000, count: 512 },
      { first: 5512, count: 512 },
    ]);
  });

  it('hands out each id to one live run at a time, and reuses it only after its run ended', () => {
    const pool = createRunIdPool(1001, 3);
    const ids = [pool.take(), pool.take(), pool.take()];
    expect(new Set(ids)).toEqual(new Set([1001, 1002, 1003]));
    expect(pool.take()).toBeUndefined();
    for (const [index, id] of ids.entries()) pool.assign(id as number, 100 + index);
    pool.release(101);
    expect(pool.take()).toBe(ids[1]);
    pool.giveBack(ids[1] as number);
    pool.release(999); // not a run of this pool: nothing changes
    expect(pool.take()).toBe(ids[1]);
    expect(pool.take()).toBeUndefined();
  });
});
