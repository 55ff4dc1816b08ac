/**
 * Who a run is, and what it can reach: no sandbox process holds the host's root, whoever started
 * UMCA; each run is in namespaces of its own, sees no other process, and cannot change the
 * kernel's settings, the zygote, or a later run. Part of the escape suite: CI runs it as root and
 * again as an unprivileged user (scripts/test-unprivileged.sh), and each test checks the mode it
 * runs in.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePyodideSnapshot } from '../src/host/pyodide-snapshot.js';
import { RUNNER_ROOT } from '../src/host/sandbox-command.js';
import { readSandboxTree, type SandboxTree } from './support/sandbox-processes.js';
import { useRunner } from './support/use-runner.js';

const asRoot = process.getuid?.() === 0;
// A snapshot built for this file, by this checkout: if the builder's paths leaked into it, they
// would be this checkout's, which the host-path test looks for.
const cacheDir = mkdtempSync(join(tmpdir(), 'umca-identity-cache-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
const runner = useRunner({ concurrency: 2, warmChildren: 3, cacheDir });

/**
 * The sandboxes once both zygotes have at least `count` children that have locked themselves down
 * (seccomp installed: everything before it is the zygote's own code, in the microseconds after a
 * fork), bounded by a number of tries. Only those children are returned.
 */
async function treeWithChildren(count: number): Promise<SandboxTree> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const all = readSandboxTree();
    const tree = { ...all, children: all.children.filter((child) => child.seccomp === 2) };
    const perZygote = tree.zygotes.map((zygote) => tree.children.filter((child) => child.parent === zygote.pid).length);
    if (tree.zygotes.length === 2 && perZygote.every((children) => children >= count)) return tree;
    await runner().run({ language: 'javascript', code: '1' });
  }
  throw new Error('the sandboxes did not fork their ready children');
}

const python = async (code: string) => {
  const result = await runner().run({ language: 'python', code, limits: { timeoutMs: 30_000 } });
  expect(result.status, `${result.reason}\n${result.stderr}`).toBe('ok');
  return result.stdout;
};

describe(`sandbox identity (UMCA started as ${asRoot ? 'root' : 'an unprivileged user'})`, () => {
  it('gives no sandbox process the host root, and gives each run a host uid of its own as root', async () => {
    const tree = await treeWithChildren(2);
    for (const process_ of [...tree.zygotes, ...tree.children]) {
      expect(process_.uids.every((uid) => uid !== 0)).toBe(true);
      expect(process_.gids.every((gid) => gid !== 0)).toBe(true);
    }
    for (const child of tree.children) {
      expect(child.capabilities).toBe(0n);
      expect(child.noNewPrivs).toBe(true);
    }
    const childUids = tree.children.map((child) => child.uids[0]);
    const zygoteUids = tree.zygotes.map((zygote) => zygote.uids[0]);
    if (asRoot) {
      expect(new Set(childUids).size).toBe(childUids.length);
      for (const uid of childUids) expect(zygoteUids).not.toContain(uid);
      for (const uid of [...childUids, ...zygoteUids]) expect(uid).toBeGreaterThanOrEqual(2_000_000_000);
    } else {
      for (const uid of [...childUids, ...zygoteUids]) expect(uid).toBe(process.getuid?.());
    }
  });

  it('puts each run in its own PID, UTS, IPC, mount and user namespaces', async () => {
    const tree = await treeWithChildren(2);
    for (const kind of ['pid', 'uts', 'ipc', 'mnt', 'user'] as const) {
      const zygoteNamespaces = tree.zygotes.map((zygote) => zygote.namespaces[kind]);
      const childNamespaces = tree.children.map((child) => child.namespaces[kind]);
      expect(new Set(childNamespaces).size, kind).toBe(childNamespaces.length);
      for (const namespace of childNamespaces) expect(zygoteNamespaces, kind).not.toContain(namespace);
    }
  });

  it('shows a run an empty /proc and no other process to name, signal or trace', async () => {
    const stdout = await python(`
import js
node = js.process.getBuiltinModule
fs = node("fs")
print("proc:", list(fs.readdirSync("/proc")))
print("ppid:", js.process.ppid)
# getpriority answers ESRCH only for a pid that does not exist in the caller's PID namespace;
# seccomp does not filter it, so this sees what the namespace alone hides.
named = []
for pid in range(2, 400):
    try:
        node("os").getPriority(pid)
        named.append(pid)
    except Exception as error:
        if "ESRCH" not in str(error):
            named.append((pid, str(error)[:60]))
print("named:", named)
signalled = []
for pid in [0, -1, 2, 3]:
    try:
        js.process.kill(pid, 0)
        signalled.append(pid)
    except Exception as error:
        pass
print("signalled:", signalled)
for path in ["/proc/1/cmdline", "/proc/self/mem", "/proc/2/environ", "/proc/self/mountinfo"]:
    try:
        fs.readFileSync(path)
        print("READ", path)
    except Exception as error:
        print("refused", path, getattr(error, "code", repr(error)[:60]))
`);
    expect(stdout).toContain('proc: []\n');
    expect(stdout).toContain('ppid: 0\n');
    expect(stdout).toContain('named: []\n');
    expect(stdout).toContain('signalled: []\n');
    expect(stdout).not.toContain('READ');
    expect(stdout.match(/refused \S+ ENOENT/g)).toHaveLength(4);
  });

  it('cannot write the kernel settings that reach the host, and holds no root to do it with', async () => {
    const stdout = await python(`
import js
fs = js.process.getBuiltinModule("fs")
for path in ["/proc/sys/kernel/core_pattern", "/proc/sys/fs/pipe-max-size", "/proc/sys/kernel/hostname", "/proc/sysrq-trigger", "/sys/kernel/uevent_helper"]:
    try:
        fs.accessSync(path, fs.constants.W_OK)
        print("WRITABLE", path)
    except Exception as error:
        print("refused", path, getattr(error, "code", repr(error)[:60]))
print("uid:", js.process.getuid(), "gid:", js.process.getgid())
`);
    expect(stdout).not.toContain('WRITABLE');
    expect(stdout.match(/^refused \S+ ENOENT$/gm)).toHaveLength(5);
    // The uid inside is the run's own namespace's; the test above checks the host's view.
    expect(stdout).toContain('uid: 1000 gid: 1000\n');
  });

  it('keeps a run from lowering the priority or raising the OOM score of the zygote or of later runs', async () => {
    const attempt = await python(`
import js
node = js.process.getBuiltinModule
fs = node("fs")
for path, value in [("/proc/self/oom_score_adj", "1000"), ("/proc/1/oom_score_adj", "1000"), ("/proc/self/autogroup", "19")]:
    try:
        fs.writeFileSync(path, value)
        print("WROTE", path)
    except Exception as error:
        print("refused", path, getattr(error, "code", repr(error)[:60]))
try:
    node("os").setPriority(0, 19)
    print("RENICED")
except Exception as error:
    print("refused setPriority", str(error))
`);
    expect(attempt).not.toMatch(/WROTE|RENICED/);
    expect(attempt).toMatch(/refused setPriority .*EPERM/);
    const later = await python('import js\nos = js.process.getBuiltinModule("os")\nprint(os.getPriority(0), os.hostname())');
    expect(later).toBe('0 sandbox\n');
    const tree = await treeWithChildren(1);
    for (const process_ of [...tree.zygotes, ...tree.children]) {
      expect(process_.oomScoreAdjust).toBe(0);
      expect(process_.nice).toBe(0);
    }
  });

  it('shows no host path to a run: not the checkout, not the cache, not the home folder, in neither realm', async () => {
    // Whole paths: a path's first folder alone (/tmp, /home) can be the sandbox's own as well.
    const checkout = resolve(RUNNER_ROOT, '../..');
    const hostPaths = [checkout, cacheDir, homedir()].filter((path) => path.length > 1);
    // The program must not carry the paths it looks for, or it would find itself: send them reversed.
    const stdout = await python(`
import gc, sys, js

def scan(needles):
    # The zygote froze its objects (python-runtime.ts, prepare): bring them back into view.
    gc.unfreeze()
    process = js.process
    texts = [repr(sys.executable), repr(sys.orig_argv), repr(sys.argv), repr(sys.path), repr(sys.prefix)]
    texts += [str(process.execPath), str(process.argv), str(process.execArgv), str(process.cwd())]
    texts += [str(js.JSON.stringify(process.env)), str(js.JSON.stringify(process.report.getReport()))]
    hits = {needle for text in texts for needle in needles if needle in text}
    for item in gc.get_objects():
        if item is needles or item is texts:
            continue
        values = item.values() if isinstance(item, dict) else item if isinstance(item, (list, tuple)) else ()
        for value in values:
            if isinstance(value, str):
                hits.update(needle for needle in needles if needle in value)
    return sorted(hits)

print("found:", scan([needle[::-1] for needle in ${JSON.stringify(hostPaths.map((path) => [...path].reverse().join('')))}]))
`);
    expect(stdout).toBe('found: []\n');
    const snapshot = await ensurePyodideSnapshot(cacheDir);
    expect(readFileSync(snapshot).includes(RUNNER_ROOT)).toBe(false);
  });
});
