/**
 * @module compute-metrics
 * The tasks' scores as the suite's metrics: shares and means, latency percentiles (nearest rank),
 * tokens per task, and G3's counts. A metric nothing measured is null, never zero: a gate must be
 * able to tell "none" from "bad".
 */
import type { EvalMetrics, EvalTaskResult } from '@umca/contracts';

function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
}

/** Nearest-rank percentile (the value at or above `p` of them). */
export function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const round = (value: number | null, digits = 4) => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

export function computeMetrics(tasks: readonly EvalTaskResult[]): EvalMetrics {
  const scored = (key: keyof EvalTaskResult['scores']) =>
    tasks.map((task) => task.scores[key]).filter((score): score is number => score !== null);
  const started = tasks.filter((task) => task.status !== 'not_started');
  const latencies = started.map((task) => task.latencyMs / 1_000);
  const sum = (key: keyof EvalTaskResult['g3']) => tasks.reduce((total, task) => total + task.g3[key], 0);
  const egress = sum('egressDenied');
  const limits = sum('limitStops');
  const failures = sum('sandboxFailures');
  return {
    task_success: round(mean(scored('task_success'))),
    code_executed: round(mean(scored('code_executed'))),
    judge_quality: round(mean(scored('judge_quality'))),
    rag_relevance: round(mean(scored('rag_relevance'))),
    latency_p50_s: round(percentile(latencies, 50), 3),
    latency_p95_s: round(percentile(latencies, 95), 3),
    tokens_per_task: round(mean(started.map((task) => task.tokens.prompt + task.tokens.completion)), 1),
    g3_egress_denied: egress,
    g3_limit_stops: limits,
    g3_sandbox_failures: failures,
    g3_violations: egress + limits + failures,
  };
}
