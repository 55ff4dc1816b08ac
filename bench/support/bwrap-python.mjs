// The process-sandbox baseline other platforms use: a fresh `python3 -c` under
// `bwrap --unshare-all` per run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Runs `code` with the host's python3 in a new bubblewrap sandbox; resolves when it exits 0. */
export function bwrapPython(code) {
  return new Promise((resolve, reject) => {
    const args = ['--unshare-all', '--die-with-parent', '--ro-bind', '/usr', '/usr'];
    for (const folder of ['/bin', '/lib', '/lib64', '/sbin']) if (existsSync(folder)) args.push('--symlink', `usr${folder}`, folder);
    args.push('--proc', '/proc', '--dev', '/dev', '--', '/usr/bin/python3', '-c', code);
    const child = spawn('bwrap', args, { stdio: ['ignore', 'pipe', 'inherit'], env: {} });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bwrap python exited ${code}`))));
  });
}
