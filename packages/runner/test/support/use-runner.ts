/**
 * One real runner (real bubblewrap sandbox, real zygote) shared by the tests of a file.
 */
import { afterAll, beforeAll } from 'vitest';
import { createRunner, type Runner, type RunnerOptions } from '../../src/index.js';

export const quietLogger = { info() {}, warn() {}, error() {} };

export function useRunner(options: RunnerOptions = {}): () => Runner {
  let runner: Runner | undefined;
  beforeAll(async () => {
    runner = await createRunner({ logger: quietLogger, ...options });
  });
  afterAll(async () => {
    await runner?.close();
  });
  return () => {
    if (!runner) throw new Error('the runner has not started');
    return runner;
  };
}
