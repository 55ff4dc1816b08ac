/**
 * @module @umca/agents
 * The agent flow (planner → coder → runner → tester), over the ports in @umca/contracts: a model
 * gateway and a runner. Any new export added here becomes public API.
 */
export { converseWithTools, MAX_TOOL_ROUNDS, type ToolFinding } from './agent-tools.js';
export { buildHarness, type Harness } from './check-harness.js';
export {
  createTaskFlow,
  type FlowHooks,
  type FlowResult,
  type FlowTools,
  type ModelCall,
  type Step,
  type TaskFlow,
  TaskFlowError,
  type TaskFlowOptions,
} from './create-task-flow.js';
export { extractCode, extractJsonObject } from './parse-model-output.js';
export { toolNotes } from './tool-notes.js';
