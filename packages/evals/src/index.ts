/**
 * @module @umca/evals
 * G1/G2: evaluation suites run through the agent flow and scored (the suite's checks, clean
 * execution, an LLM judge, latency, tokens, G3's runtime evidence), gates whose thresholds block,
 * evidence files, and experiments in Arize Phoenix. Any new export added here becomes public API.
 */
export { checkGate } from './check-gate.js';
export { computeMetrics, percentile } from './compute-metrics.js';
export { EvaluationError, type EvaluationErrorCode } from './evaluation-error.js';
export {
  JUDGE_LABELS,
  JUDGE_SYSTEM_PROMPT,
  JUDGE_VERSION,
  type JudgeInput,
  type JudgeLabel,
  type JudgeResult,
  judgeAnswer,
  judgeUserPrompt,
  parseJudgeReply,
} from './judge-quality.js';
export { datasetName, type LoggedExperiment, logPhoenixExperiment, type PhoenixTarget } from './log-phoenix-experiment.js';
export { type Definition, readGate, readSuite } from './read-definition.js';
export { type EvalTarget, type RunSuiteOptions, runSuite } from './run-suite.js';
export { type EvidenceFiles, reportMarkdown, writeEvidence } from './write-evidence.js';
