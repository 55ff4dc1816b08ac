/**
 * @module check-gate
 * A gate's thresholds against an evaluation's metrics: each threshold passes or fails with the
 * comparison in words, and the gate fails when any does. A metric nothing measured fails its
 * threshold unless the threshold says to skip it: a gate never passes on missing evidence.
 */
import type { EvalMetrics, Gate, GateVerdict, ThresholdResult } from '@umca/contracts';

const show = (value: number) => String(Number(value.toFixed(4)));

export function checkGate(gate: Gate, metrics: EvalMetrics): GateVerdict {
  const thresholds: ThresholdResult[] = gate.thresholds.map(({ metric, min, max, ifMissing }) => {
    const value = metrics[metric] ?? null;
    const bounds = { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
    if (value === null) {
      const skipped = ifMissing === 'skip';
      return {
        metric,
        ...bounds,
        value,
        passed: skipped,
        ...(skipped ? { skipped } : {}),
        message: `${metric} was not measured${skipped ? ', and the gate skips it' : ': nothing in the evaluation measured it (set "ifMissing": "skip" to allow that)'}`,
      };
    }
    if (min !== undefined && value < min)
      return { metric, ...bounds, value, passed: false, message: `${metric} ${show(value)} is below the minimum ${show(min)}` };
    if (max !== undefined && value > max)
      return { metric, ...bounds, value, passed: false, message: `${metric} ${show(value)} is above the maximum ${show(max)}` };
    const within = [min === undefined ? '' : `≥ ${show(min)}`, max === undefined ? '' : `≤ ${show(max)}`].filter(Boolean).join(' and ');
    return { metric, ...bounds, value, passed: true, message: `${metric} ${show(value)} is ${within}` };
  });
  return {
    gate: { name: gate.name, revision: gate.revision },
    verdict: thresholds.every((threshold) => threshold.passed) ? 'pass' : 'fail',
    thresholds,
  };
}
