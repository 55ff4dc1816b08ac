/**
 * @module gate-verdict-item
 * One gate verdict in the Gates panel: PASS or FAIL in words (the colour only repeats it), the
 * gate and its revision as the item's heading, then the suite, the model, when and how many task
 * runs, and every threshold's message behind a summary that already counts the failed ones.
 */
import type { GateVerdictList, ThresholdResult } from '@umca/contracts';
import { el, timeAgo } from '../dom.js';

export type GateVerdictEntry = GateVerdictList['verdicts'][number];

type Outcome = 'passed' | 'failed' | 'skipped';

const outcomeOf = (threshold: ThresholdResult): Outcome => (threshold.skipped ? 'skipped' : threshold.passed ? 'passed' : 'failed');

/** "3 thresholds: 2 passed, 1 failed": what the reader learns before opening the list. */
function thresholdSummary(thresholds: readonly ThresholdResult[]): string {
  const counts = new Map<Outcome, number>();
  for (const outcome of thresholds.map(outcomeOf)) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  const parts = (['passed', 'failed', 'skipped'] as const)
    .filter((outcome) => counts.has(outcome))
    .map((outcome) => `${counts.get(outcome)} ${outcome}`);
  const noun = thresholds.length === 1 ? 'threshold' : 'thresholds';
  return parts.length ? `${thresholds.length} ${noun}: ${parts.join(', ')}` : 'no thresholds';
}

function thresholdItem(threshold: ThresholdResult): HTMLElement {
  const outcome = outcomeOf(threshold);
  return el(
    'li',
    { 'data-testid': 'gate-threshold', 'data-outcome': outcome, 'data-metric': threshold.metric },
    // The word, not only the colour, says how it went; the message says by how much.
    el('span', { class: 'threshold-outcome' }, outcome === 'passed' ? '✓ pass' : outcome === 'failed' ? '✗ fail' : '– skipped'),
    // The spaces between the parts are for screen readers and copying; the grid lays them out.
    ' ',
    el('span', { class: 'threshold-message' }, threshold.message),
  );
}

/** `open`: the evaluations whose thresholds the reader has opened, kept open across redraws. */
export function gateVerdictItem(verdict: GateVerdictEntry, open: Set<string>): HTMLLIElement {
  const passed = verdict.verdict === 'pass';
  const details = el(
    'details',
    { class: 'gate-thresholds', open: open.has(verdict.evaluationId) },
    el('summary', {}, thresholdSummary(verdict.thresholds)),
    el('ul', { class: 'threshold-list' }, ...verdict.thresholds.map(thresholdItem)),
  );
  details.addEventListener('toggle', () => {
    if (details.open) open.add(verdict.evaluationId);
    else open.delete(verdict.evaluationId);
  });
  // No-break spaces: "12" and "task runs" on different lines would read as two facts.
  const runs = `${verdict.runs}\u00a0task\u00a0${verdict.runs === 1 ? 'run' : 'runs'}`;
  return el(
    'li',
    { 'data-testid': 'gate-verdict', 'data-verdict': verdict.verdict, 'data-evaluation-id': verdict.evaluationId },
    el(
      'h3',
      { class: 'gate-title' },
      el('span', { class: 'status', 'data-status': passed ? 'ok' : 'error', 'data-testid': 'gate-outcome' }, passed ? '✓ PASS' : '✗ FAIL'),
      ' ',
      el('span', { class: 'gate-name', 'data-testid': 'gate-name' }, verdict.gate.name),
      ' ',
      el('span', { class: 'gate-revision' }, `revision ${verdict.gate.revision}`),
    ),
    el(
      'p',
      { class: 'gate-facts', 'data-testid': 'gate-facts' },
      `suite ${verdict.suite.name} revision ${verdict.suite.revision} · model `,
      el('code', { class: 'gate-model' }, verdict.model),
      ` · ${runs} · `,
      timeAgo(verdict.time),
    ),
    details,
  );
}
