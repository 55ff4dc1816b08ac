/**
 * @module build-pyodide-snapshot
 * Builds the Pyodide memory snapshot the zygote starts from: the interpreter with UMCA's guest
 * and tool modules, `pyodide.http` and the commonly used standard library already imported. Runs
 * on the host, with no untrusted code, once per Pyodide/UMCA version (the host caches the file).
 *
 * Usage: node build-pyodide-snapshot.js OUTPUT_PATH
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadPyodide } from 'pyodide';

const PRELOADED_MODULES = [
  'umca_guest',
  'json',
  're',
  'math',
  'cmath',
  'random',
  'statistics',
  'decimal',
  'fractions',
  'collections',
  'collections.abc',
  'itertools',
  'functools',
  'operator',
  'datetime',
  'time',
  'calendar',
  'typing',
  'dataclasses',
  'enum',
  'textwrap',
  'string',
  'csv',
  'io',
  'base64',
  'binascii',
  'hashlib',
  'hmac',
  'struct',
  'copy',
  'pprint',
  'heapq',
  'bisect',
  'array',
  'uuid',
  'pathlib',
  'os',
  'shutil',
  'tempfile',
  'glob',
  'fnmatch',
  'urllib.parse',
  'urllib.request',
  'urllib.error',
  'http.client',
  'email.message',
  'html',
  'html.parser',
  'xml.etree.ElementTree',
  'zipfile',
  'gzip',
  'zlib',
  'asyncio',
  'contextlib',
  'traceback',
  'linecache',
  'ast',
  'inspect',
  'abc',
  'numbers',
  'secrets',
  'unicodedata',
  'difflib',
  'sqlite3',
  'locale',
  'logging',
  'argparse',
  'warnings',
  'weakref',
];

const output = process.argv[2];
if (!output) {
  console.error('usage: build-pyodide-snapshot.js OUTPUT_PATH');
  process.exit(2);
}
const guest = readFileSync(new URL('./python/umca_guest.py', import.meta.url));
const tools = readFileSync(new URL('./python/umca_tools.py', import.meta.url));
// Emscripten names the program after argv[1], and Python keeps that name (sys.executable,
// sys.orig_argv) in the snapshot: give it a neutral one, so no host path reaches the sandbox.
process.argv.splice(1, process.argv.length - 1, 'python');
const pyodide = await loadPyodide({ _makeSnapshot: true });
pyodide.FS.mkdirTree('/umca');
pyodide.FS.writeFile('/umca/umca_guest.py', guest);
pyodide.FS.writeFile('/umca/umca_tools.py', tools);
pyodide.runPython(`
import importlib, sys
sys.path.insert(0, '/umca')
missing = []
for name in ${JSON.stringify(PRELOADED_MODULES)}:
    try:
        importlib.import_module(name)
    except ImportError:
        missing.append(name)
if missing:
    print('umca: not in this Pyodide build:', ', '.join(missing), file=sys.stderr)
del importlib, missing
# UMCA's tool module (each run installs its own tools) and pyodide.http, whose JavaScript
# references (fetch among them) the zygote restores by name: there, fetch is the host's bridge.
import umca_tools, pyodide.http
del umca_tools
`);
const snapshot = pyodide.makeMemorySnapshot();
const temporary = `${output}.${process.pid}.tmp`;
// Readable by all: when UMCA runs as root, the sandbox reads it as an unprivileged uid.
writeFileSync(temporary, snapshot, { mode: 0o644 });
chmodSync(temporary, 0o644);
renameSync(temporary, output);
