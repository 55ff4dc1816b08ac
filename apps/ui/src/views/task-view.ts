/**
 * @module task-view
 * Give UMCA a task in plain words and watch the agent flow work on it: the plan, each model
 * call, the code's output, the checks, and at the end the verdict with every round. The progress
 * and the outcome appear once there is one: a refused task shows its reason under the form.
 */
import type { UmcaEvent } from '@umca/contracts';
import { umca } from '../api.js';
import { el, statusBadge } from '../dom.js';
import type { ModelCall } from './model-use.js';
import { createRunLauncher } from './run-launcher.js';
import { taskDetails, verdictBadge } from './task-details.js';
import { timelineEntry } from './timeline.js';

let draft = {
  task: 'Write a function is_prime(n) that says whether n is a prime number, and print the primes below 30.',
  model: '',
  language: 'python' as 'python' | 'javascript',
  maxIterations: 3,
};

export function taskView(): { element: HTMLElement; dispose: () => void } {
  const task = el('textarea', { class: 'task', 'aria-label': 'Task', 'data-testid': 'task' });
  task.value = draft.task;
  const model = el('input', {
    type: 'text',
    class: 'model',
    placeholder: 'the server default (UMCA_MODEL)',
    'aria-label': 'Model (provider:model)',
    'data-testid': 'model',
    value: draft.model,
  });
  const language = el(
    'select',
    { 'aria-label': 'Language', 'data-testid': 'task-language' },
    el('option', { value: 'python' }, 'Python'),
    el('option', { value: 'javascript' }, 'JavaScript'),
  );
  language.value = draft.language;
  const rounds = el('input', { type: 'number', min: 1, max: 10, value: draft.maxIterations, 'aria-label': 'Rounds at most' });
  const output = el('pre', { class: 'output', 'data-testid': 'task-output', 'aria-live': 'polite' });
  const timeline = el('ol', { class: 'timeline', 'data-testid': 'task-timeline' });
  const waiting = el('p', { class: 'empty' }, 'Waiting for the first step…');
  const outcome = el('div', { class: 'panel', 'data-testid': 'task-result', hidden: true });
  const calls: ModelCall[] = [];

  const save = () => {
    draft = {
      task: task.value,
      model: model.value.trim(),
      language: language.value as 'python' | 'javascript',
      maxIterations: Number(rounds.value),
    };
  };
  for (const input of [task, model, rounds]) input.addEventListener('input', save);
  language.addEventListener('change', save);

  const launcher = createRunLauncher({
    label: 'Run task ▶',
    testIds: { run: 'run-task', cancel: 'cancel-task', problem: 'task-problem', status: 'task-status' },
    reset() {
      for (const part of [output, timeline, outcome]) part.replaceChildren();
      calls.length = 0;
      outcome.hidden = true;
      waiting.hidden = false;
      progress.hidden = false;
    },
    submit: () => {
      save();
      return umca.submitTask({
        task: draft.task,
        language: draft.language,
        maxIterations: draft.maxIterations,
        ...(draft.model ? { model: draft.model } : {}),
      });
    },
    onEvent(event: UmcaEvent) {
      timeline.append(timelineEntry(event));
      waiting.hidden = true;
      if (event.type === 'dev.umca.model.called.v1') calls.push(event.data);
      timeline.scrollTop = timeline.scrollHeight;
      if (event.type === 'dev.umca.output.appended.v1') output.append(el('span', { class: event.data.stream }, event.data.text));
      if (event.type === 'dev.umca.step.started.v1' && event.data.step === 'execute') output.replaceChildren();
      if (event.type === 'dev.umca.checks.evaluated.v1') {
        launcher.status.replaceChildren(statusBadge('running'), verdictBadge(event.data.verdict));
      }
      const runId = launcher.runId();
      if (event.type === 'dev.umca.run.ended.v1' && runId) {
        void umca.getRun(runId).then(
          (run) => {
            if (run.kind !== 'task') return;
            launcher.status.replaceChildren(statusBadge(run.status), ...(run.result ? [verdictBadge(run.result.verdict)] : []));
            outcome.replaceChildren(...taskDetails(run, calls));
            outcome.hidden = false;
          },
          (error: Error) => {
            outcome.replaceChildren(
              el('div', { class: 'error-box' }, `The task ended, but its result could not be loaded: ${error.message}`),
            );
            outcome.hidden = false;
          },
        );
      }
    },
  });
  const { runButton, cancelButton, problem, status, runLink } = launcher;
  task.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) runButton.click();
  });

  const progress = el('div', { class: 'panel', hidden: true }, el('h2', {}, 'Progress ', status, runLink), waiting, output, timeline);
  const element = el(
    'section',
    {},
    el(
      'div',
      { class: 'panel' },
      el('h2', {}, 'Task'),
      task,
      el(
        'div',
        { class: 'row' },
        el('label', { class: 'grow' }, 'Model', model),
        el('label', {}, 'Language', language),
        el('label', {}, 'Rounds at most', rounds),
        el('span', { class: 'buttons' }, runButton, cancelButton),
      ),
      problem,
    ),
    progress,
    outcome,
  );
  return { element, dispose: launcher.dispose };
}
