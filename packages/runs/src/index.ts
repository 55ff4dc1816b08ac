/**
 * @module @umca/runs
 * The run service: the lifecycle of executions and agent tasks, written once for every edge
 * (HTTP, MCP, the CLI). It depends on the ports in @umca/contracts only; the edge accepts requests
 * (@umca/policy) and wires the implementations. Any new export added here becomes public API.
 */
export {
  createRunService,
  type RunService,
  type RunServiceOptions,
  type SubmitOptions,
  type SubmittedRun,
} from './create-run-service.js';
export { followRun } from './follow-run.js';
export { createOutputCoalescer, type OutputCoalescer } from './output-coalescer.js';
export { recoverInterruptedRuns } from './recover-interrupted-runs.js';
export { openRemoteRuns, type RemoteRuns, type RemoteWorkSettings } from './remote-runs.js';
export { RunError, type RunErrorCode } from './run-error.js';
export { createRunRecorder, type RunRecorder, type RunRecorderOptions } from './run-recorder.js';
export { createRunTools, DEFAULT_TOOL_CALLS_PER_RUN, type RunTools, type RunToolsOptions, type ToolAccess } from './run-tools.js';
export { type RunWorker, type RunWorkerOptions, type RunWorkerStats, startRunWorker } from './run-worker.js';
export { createSessionService, type SessionService, type SessionServiceOptions } from './session-service.js';
export { openSessionSnapshotFiles, type SessionSnapshotFilesOptions } from './session-snapshot-files.js';
export { type ModelSettings, resolveTaskModels, type TaskContext } from './task-run.js';
