// Builds the native parts with the system C compiler: the sandbox addon (native/umca_sandbox.c,
// N-API, so ABI-stable across Node versions), the LD_PRELOAD library the zygote runs with
// (native/umca_forkfix.c), the program bubblewrap starts the zygote with
// (native/umca_sandbox_init.c), the zygote's huge-page step (native/umca_pages.c), the V8 out-of-memory hook of Python runs
// (native/umca_oom.cc) and V8's compiled-WebAssembly cache (native/umca_wasm_cache.cc).
// Skips a target whose output is newer than its source and the shared header (native/umca_napi.h).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const library = ['-shared', '-fPIC'];
const targets = [
  { source: join(root, 'native', 'umca_sandbox.c'), output: join(root, 'build', 'umca_sandbox.node'), flags: library },
  {
    source: join(root, 'native', 'umca_forkfix.c'),
    output: join(root, 'build', 'libumca_forkfix.so'),
    flags: [...library, '-ldl', '-lpthread'],
  },
  { source: join(root, 'native', 'umca_sandbox_init.c'), output: join(root, 'build', 'umca-sandbox-init'), flags: [] },
  { source: join(root, 'native', 'umca_pages.c'), output: join(root, 'build', 'umca_pages.node'), flags: library },
  // C++ only because V8's out-of-memory hook is C++ API; the compiler driver picks C++ by the suffix.
  { source: join(root, 'native', 'umca_oom.cc'), output: join(root, 'build', 'umca_oom.node'), flags: [...library, '-lstdc++'] },
  {
    source: join(root, 'native', 'umca_wasm_cache.cc'),
    output: join(root, 'build', 'umca_wasm_cache.node'),
    flags: [...library, '-lstdc++'],
  },
];

const candidates = [
  process.env.UMCA_NODE_HEADERS,
  resolve(dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter(Boolean);
const headers = candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
if (!headers) {
  console.error(
    `umca: Node's C headers (node_api.h) were not found in ${candidates.join(', ')}.\n` +
      `Install the headers that match your Node (NodeSource's nodejs package ships them; or unpack node-v${process.versions.node}-headers.tar.gz) ` +
      'and set UMCA_NODE_HEADERS to their folder.',
  );
  process.exit(1);
}

const compiler = process.env.CC ?? 'cc';
const sharedHeader = join(root, 'native', 'umca_napi.h');
for (const { source, output, flags } of targets) {
  const newestInput = Math.max(statSync(source).mtimeMs, statSync(sharedHeader).mtimeMs);
  if (existsSync(output) && statSync(output).mtimeMs > newestInput) continue;
  mkdirSync(dirname(output), { recursive: true });
  try {
    execFileSync(compiler, ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', `-I${headers}`, '-o', output, source, ...flags], {
      stdio: 'inherit',
    });
  } catch (error) {
    const missing = error.code === 'ENOENT';
    console.error(
      missing
        ? `umca: no C compiler (${compiler}) to build ${source}. Install one (Debian: apt-get install -y gcc).`
        : `umca: compiling ${source} with ${compiler} failed; the compiler's message is above.`,
    );
    process.exit(1);
  }
}
