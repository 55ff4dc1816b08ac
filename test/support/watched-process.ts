/**
 * @module watched-process
 * A server process the tests start and that never outlives them: it runs under a small shell
 * watchdog that stops it (with the server's own stop signal) when the test process is gone without
 * stopping it, since a worker killed by a signal runs no exit hook. Free loopback ports and the end
 * of a log for error messages, shared by the real servers' support modules.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** Arguments: the test process's pid, the stop signal, then the command and its arguments. */
const WATCHDOG = `
parent=$1 stop=$2
shift 2
"$@" &
server=$!
trap 'kill -"$stop" "$server" 2>/dev/null; wait "$server"; exit 143' TERM
while kill -0 "$parent" 2>/dev/null; do
  kill -0 "$server" 2>/dev/null || { wait "$server"; exit $?; }
  sleep 1
done
kill -"$stop" "$server" 2>/dev/null
wait "$server"
`;

export interface WatchedProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Output goes here (appended). */
  readonly logFile: string;
  /** The signal that stops the server cleanly (PostgreSQL: SIGINT, its fast shutdown). */
  readonly stopSignal: 'TERM' | 'INT';
  /** How long a clean stop may take before the group is killed. */
  readonly stopGraceMs: number;
}

export interface WatchedProcess {
  /** The exit code or signal once it has exited, else undefined. */
  exitCode(): number | string | null | undefined;
  /** Stops it cleanly (then kills its group after the grace) and waits until it has exited. */
  stop(): Promise<void>;
  /** Kills its whole process group at once (SIGKILL), as a crash or an OOM kill would. */
  kill(): Promise<void>;
}

export function startWatchedProcess(options: WatchedProcessOptions): WatchedProcess {
  const log = openSync(options.logFile, 'a');
  const child = spawn(
    'sh',
    ['-c', WATCHDOG, 'umca-test-watchdog', String(process.pid), options.stopSignal, options.command, ...options.args],
    {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', log, log],
      env: options.env,
    },
  );
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.command}: ${logTail(options.logFile)}`);
  let code: number | string | null | undefined;
  const exited = new Promise<void>((resolveExit) =>
    child.once('exit', (exitCode, signal) => {
      code = exitCode ?? signal;
      resolveExit();
    }),
  );
  child.unref();
  const killOnExit = () => signalGroup(pid, 'SIGKILL');
  process.once('exit', killOnExit);
  return {
    exitCode: () => code,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (code !== undefined) return;
      signalGroup(pid, 'SIGTERM', false);
      const stopped = await Promise.race([exited.then(() => true), delay(options.stopGraceMs, false)]);
      if (!stopped) {
        signalGroup(pid, 'SIGKILL');
        await exited;
      }
    },
    async kill() {
      process.removeListener('exit', killOnExit);
      signalGroup(pid, 'SIGKILL');
      await exited;
    },
  };
}

/** Signals the watchdog (group: false) or its whole process group. */
function signalGroup(pid: number, signal: NodeJS.Signals, group = true): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // Already gone.
  }
}

export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, '127.0.0.1', listening);
  });
  const address = server.address();
  await new Promise((closed) => server.close(closed));
  if (address === null || typeof address === 'string') throw new Error('could not find a free loopback port');
  return address.port;
}

export function logTail(logFile: string, lines = 40): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}
