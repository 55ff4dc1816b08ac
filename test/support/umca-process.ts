/**
 * @module umca-process
 * `umca serve` and `umca worker` as separate processes, as an operator runs them: the real CLI of
 * this checkout, under the test watchdog (nothing outlives the tests), with their logs in a file.
 * A process can be stopped as an operator would (SIGTERM) or killed outright (SIGKILL), as a
 * crashed node would be.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePort, logTail, startWatchedProcess, type WatchedProcess } from './watched-process.js';

const BIN = resolve(import.meta.dirname, '../../apps/cli/bin/umca.js');
/** Start polls, 100 ms apart: 1200 allow two minutes on a busy machine (a start takes seconds). */
const START_POLLS = 1200;

export interface UmcaProcess {
  /** The server's base URL (servers only). */
  readonly url: string;
  readonly logFile: string;
  /** The log so far. */
  log(): string;
  /** SIGTERM, as an operator stops it: a worker finishes its runs first. */
  stop(): Promise<void>;
  /** SIGKILL to it and everything it started. */
  kill(): Promise<void>;
}

function spawnUmca(args: string[], env: NodeJS.ProcessEnv): { process: WatchedProcess; logFile: string; folder: string } {
  const folder = mkdtempSync(join(tmpdir(), 'umca-process-'));
  const logFile = join(folder, 'umca.log');
  const process_ = startWatchedProcess({
    command: process.execPath,
    args: [BIN, ...args, '--data-dir', join(folder, 'data'), '--log-format', 'json'],
    cwd: folder,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    logFile,
    stopSignal: 'TERM',
    stopGraceMs: 60_000,
  });
  return { process: process_, logFile, folder };
}

async function waitFor(what: string, ready: () => Promise<boolean> | boolean, proc: WatchedProcess, logFile: string): Promise<void> {
  for (let poll = 0; poll < START_POLLS; poll++) {
    const code = proc.exitCode();
    if (code !== undefined) throw new Error(`${what} exited (${code}) before it was ready:\n${logTail(logFile)}`);
    if (await ready()) return;
    await delay(100);
  }
  throw new Error(`${what} was not ready after ${START_POLLS} polls:\n${logTail(logFile)}`);
}

/** `umca serve` with these flags on a free port, once its /readyz answers. */
export async function startUmcaServer(flags: string[], env: NodeJS.ProcessEnv = {}): Promise<UmcaProcess> {
  const port = await findFreePort();
  const { process: proc, logFile, folder } = spawnUmca(['serve', '--port', String(port), ...flags], env);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'umca serve',
    async () => {
      try {
        return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).ok;
      } catch {
        return false;
      }
    },
    proc,
    logFile,
  );
  return handle(url, proc, logFile, folder);
}

/** `umca worker` with these flags, once it says it takes runs. */
export async function startUmcaWorker(flags: string[], env: NodeJS.ProcessEnv = {}): Promise<UmcaProcess> {
  const { process: proc, logFile, folder } = spawnUmca(['worker', ...flags], env);
  await waitFor('umca worker', () => readFileSync(logFile, 'utf8').includes('umca: worker taking runs'), proc, logFile);
  return handle('', proc, logFile, folder);
}

/** Its folder (data directory, log) goes with the test process, whichever way it stops. */
function handle(url: string, proc: WatchedProcess, logFile: string, folder: string): UmcaProcess {
  const removeFolder = () => rmSync(folder, { recursive: true, force: true });
  process.once('exit', removeFolder);
  return {
    url,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    stop: () => proc.stop(),
    kill: () => proc.kill(),
  };
}
