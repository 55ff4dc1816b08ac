/**
 * @module @umca/runner
 * Runs untrusted Python, JavaScript and wasm32-wasi code: one fresh, OS-confined sandbox process
 * per run, forked from a warm zygote. `createRunner` gives a `RunnerV1` (the port in
 * @umca/contracts) over the `wasm` lane. Any new export added here becomes public API.
 */

export { unstartedResult } from '@umca/contracts';
export { createRunner, type Runner } from './create-runner.js';
export { createWasmLane, type WasmLaneOptions } from './create-wasm-lane.js';
export { RunnerError, type RunnerErrorCode } from './errors.js';
export { stderrLogger } from './host/logger.js';
export { defaultCacheDir } from './host/pyodide-snapshot.js';
export type { RunnerOptions } from './resolve-runner-options.js';
