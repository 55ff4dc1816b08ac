/**
 * @module task-details
 * What one agent task did: the plan and acceptance checks the planner wrote, each coder/tester
 * round (its code, output and check results), the verdict, the models that answered and what
 * they cost in tokens.
 */
import type { Run, TaskIteration, Verdict } from '@umca/contracts';
import { dateTime, el, formatMs, statusBadge } from '../dom.js';
import { describeModelUse, type ModelCall } from './model-use.js';

type TaskRun = Extract<Run, { kind: 'task' }>;

const VERDICT_STYLE: Record<Verdict, string> = { pass: 'ok', fail: 'error', unverified: 'timeout' };

export function verdictBadge(verdict: Verdict): HTMLElement {
  return el('span', { class: 'status', 'data-status': VERDICT_STYLE[verdict], 'data-testid': 'verdict' }, verdict);
}

function iterationBlock(iteration: TaskIteration): HTMLElement {
  const execution = iteration.execution;
  return el(
    'details',
    { class: 'iteration', 'data-testid': 'iteration', open: iteration.verdict === 'pass' },
    el(
      'summary',
      {},
      `Round ${iteration.index} `,
      verdictBadge(iteration.verdict),
      ` ${execution.status}, exit code ${execution.exitCode ?? '–'}, ${formatMs(execution.durationMs)}`,
    ),
    el('pre', { class: 'output' }, iteration.code),
    execution.stdout || execution.stderr
      ? el('pre', { class: 'output' }, execution.stdout, el('span', { class: 'stderr' }, execution.stderr))
      : el('p', { class: 'empty' }, 'The program printed nothing.'),
    el(
      'ul',
      { class: 'checks' },
      ...iteration.checks.map((check) =>
        el(
          'li',
          { 'data-passed': String(check.passed) },
          `${check.passed ? '✓' : '✗'} ${check.name}${check.detail ? `: ${check.detail}` : ''}`,
        ),
      ),
    ),
    ...execution.egress.map((attempt) =>
      el(
        'p',
        { class: attempt.verdict === 'denied' ? 'denied mono' : 'mono' },
        `${attempt.verdict}: ${attempt.method} ${attempt.url}${attempt.verdict === 'denied' ? ` (${attempt.reason})` : ''}`,
      ),
    ),
    iteration.feedback ? el('p', { class: 'empty' }, `Told the coder: ${iteration.feedback}`) : null,
  );
}

/** The models that answered; before the end, or when none did, the one asked for. */
function describeModels(run: TaskRun): string {
  const answered = run.result?.models ?? [];
  if (answered.length > 0) return answered.join(', ');
  const asked = run.request.model ?? 'the server default';
  return run.result ? `${asked} (none answered)` : asked;
}

/**
 * The task's parts. `calls` are the run's `model.called` events, which count failed calls too;
 * undefined while they are still arriving.
 */
export function taskDetails(run: TaskRun, calls: readonly ModelCall[] | undefined): Node[] {
  const result = run.result;
  const parts: Array<Node | null> = [
    el('h2', {}, `Task ${run.id}`, statusBadge(run.status), result ? verdictBadge(result.verdict) : null),
    result?.reason ? el('div', { class: 'error-box' }, result.reason) : null,
    el('p', { class: 'task-text', 'data-testid': 'task-text' }, run.request.task),
    el(
      'dl',
      { class: 'facts' },
      el('dt', {}, 'language'),
      el('dd', {}, run.request.language),
      el('dt', {}, 'models'),
      el('dd', {}, describeModels(run)),
      el('dt', {}, 'rounds'),
      el('dd', {}, result ? `${result.iterations.length} of at most ${run.request.maxIterations}` : `at most ${run.request.maxIterations}`),
      el('dt', {}, 'model use'),
      el('dd', { 'data-testid': 'model-use' }, result ? describeModelUse(result.usage, calls) : '–'),
      el('dt', {}, 'created'),
      el('dd', {}, dateTime(run.createdAt)),
      el('dt', {}, 'duration'),
      el('dd', {}, formatMs(result?.durationMs)),
    ),
    result?.plan.length ? el('h2', { class: 'section' }, 'Plan') : null,
    result?.plan.length ? el('ol', { 'data-testid': 'plan' }, ...result.plan.map((step) => el('li', {}, step))) : null,
    result?.checks.length ? el('h2', { class: 'section' }, 'Acceptance checks') : null,
    result?.checks.length ? el('ul', {}, ...result.checks.map((check) => el('li', { class: 'mono' }, check))) : null,
    result?.code ? el('h2', { class: 'section' }, 'Final code') : null,
    result?.code ? el('pre', { class: 'output', 'data-testid': 'task-code' }, result.code) : null,
    result?.iterations.length ? el('h2', { class: 'section' }, 'Rounds') : null,
    ...(result?.iterations ?? []).map(iterationBlock),
  ];
  return parts.filter((part): part is Node => part !== null);
}
