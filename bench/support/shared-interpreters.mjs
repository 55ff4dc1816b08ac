// Starts the shared-interpreter baseline (shared-interpreter-child.mjs) and asks it for timed
// blocks of runs. The timing happens inside that process, so IPC costs are not counted.
import { fork } from 'node:child_process';

const CHILD = new URL('./shared-interpreter-child.mjs', import.meta.url);

/** Forks the baseline process with Node's default flags and waits until both interpreters are loaded. */
export async function startSharedInterpreters() {
  // Neither this benchmark's flags nor NODE_OPTIONS: the baseline is Node as it comes, full JIT.
  const { NODE_OPTIONS, ...env } = process.env;
  const child = fork(CHILD, [], { execArgv: [], env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 0;
  let failure;

  const ready = new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message.ready) return resolve(message);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(`shared interpreter: ${message.error}`));
      else waiter?.resolve(message);
    });
    child.on('exit', (code, signal) => {
      failure = new Error(`the shared-interpreter process exited (${signal ?? code})`);
      reject(failure);
      for (const waiter of pending.values()) waiter.reject(failure);
      pending.clear();
    });
  });
  const { pythonReadyMs } = await ready;

  return {
    /** Milliseconds from the baseline process's start to its first Python result. */
    pythonReadyMs,
    /** Runs `code` `count` times in the shared interpreter; returns each run's milliseconds and, if asked, the printed lines. */
    time(language, code, count, { keepOutput = false } = {}) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, language, code, count, keepOutput });
      });
    },
    close() {
      child.removeAllListeners('exit');
      child.kill();
    },
  };
}
