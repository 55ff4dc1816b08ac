/**
 * @module pyodide-snapshot
 * Finds or builds the Pyodide memory snapshot the zygote starts from. The file name carries a hash
 * of everything that shapes it (Pyodide's version, UMCA's guest and tool modules and builder, Node
 * and the CPU), so an upgrade builds a new one instead of loading a stale one. Building takes a few
 * seconds once; later starts restore it in a fraction of that.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheKey } from './cache-key.js';
import { packageDir, RUNNER_ROOT } from './sandbox-command.js';

const run = promisify(execFile);

/** Default cache folder: $UMCA_CACHE_DIR, else $XDG_CACHE_HOME/umca, else ~/.cache/umca. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UMCA_CACHE_DIR) return env.UMCA_CACHE_DIR;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'umca');
}

function snapshotKey(): string {
  const pyodide = packageDir('pyodide');
  return cacheKey([
    ...(pyodide ? [readFileSync(join(pyodide, 'package.json'))] : []),
    readFileSync(join(RUNNER_ROOT, 'dist', 'sandbox', 'build-pyodide-snapshot.js')),
    readFileSync(join(RUNNER_ROOT, 'dist', 'sandbox', 'python', 'umca_guest.py')),
    readFileSync(join(RUNNER_ROOT, 'dist', 'sandbox', 'python', 'umca_tools.py')),
    process.version,
    process.arch,
  ]);
}

/** Returns the snapshot's path, building it first when it is missing. */
export async function ensurePyodideSnapshot(cacheDir: string, nodePath = process.execPath): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `pyodide-${snapshotKey()}.snapshot`);
  if (existsSync(path)) return path;
  try {
    await run(nodePath, [join(RUNNER_ROOT, 'dist', 'sandbox', 'build-pyodide-snapshot.js'), path], {
      env: {},
      timeout: 120_000,
      maxBuffer: 4 * 1_048_576,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`building the Pyodide snapshot in ${cacheDir} failed${stderr ? `: ${stderr.slice(-2000)}` : ''}`);
  }
  return path;
}
