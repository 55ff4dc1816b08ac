/**
 * @module run-launcher
 * Starting a run from the page and following it, for the code editor and the task box alike:
 * the run and cancel buttons, the status badges, the link to the run page, and the problem box
 * for a request the server refused. The view builds the request and renders the events. A
 * refused request leaves the previous run on show: only an accepted one replaces it.
 */
import type { UmcaEvent } from '@umca/contracts';
import { umca } from '../api.js';
import { el, statusBadge } from '../dom.js';
import { followRun } from '../live.js';

export interface RunLauncher {
  readonly runButton: HTMLButtonElement;
  readonly cancelButton: HTMLButtonElement;
  readonly problem: HTMLElement;
  readonly status: HTMLElement;
  readonly runLink: HTMLElement;
  /** The run being followed, once the server accepted it. */
  runId(): string | undefined;
  dispose(): void;
}

export function createRunLauncher(options: {
  label: string;
  testIds: { run: string; cancel: string; problem: string; status: string };
  /** Clears what the view showed of the previous run, once the server accepted the next one. */
  reset(): void;
  /** Builds the request from the form and sends it; rejects with the server's reason. */
  submit(): Promise<{ runId: string }>;
  onEvent(event: UmcaEvent): void;
}): RunLauncher {
  let stop: (() => void) | undefined;
  let runId: string | undefined;
  const runButton = el('button', { class: 'primary', 'data-testid': options.testIds.run }, options.label);
  const cancelButton = el('button', { disabled: true, 'data-testid': options.testIds.cancel }, 'Cancel');
  const problem = el('div');
  const status = el('span', { class: 'badges', 'data-testid': options.testIds.status });
  const runLink = el('span');

  const onEvent = (event: UmcaEvent) => {
    if (event.type === 'dev.umca.run.started.v1') status.replaceChildren(statusBadge('running'));
    if (event.type === 'dev.umca.run.ended.v1') {
      runButton.disabled = false;
      cancelButton.disabled = true;
    }
    options.onEvent(event);
  };

  runButton.addEventListener('click', async () => {
    problem.replaceChildren();
    runButton.disabled = true;
    try {
      runId = (await options.submit()).runId;
    } catch (error) {
      problem.replaceChildren(el('div', { class: 'error-box', 'data-testid': options.testIds.problem }, (error as Error).message));
      runButton.disabled = false;
      return;
    }
    stop?.();
    options.reset();
    status.replaceChildren(statusBadge('queued'));
    runLink.replaceChildren(el('a', { href: `#/runs/${runId}` }, 'open run →'));
    cancelButton.disabled = false;
    stop = followRun(runId, onEvent);
  });
  cancelButton.addEventListener('click', () => {
    if (runId) void umca.cancelRun(runId).catch(() => {});
  });

  return { runButton, cancelButton, problem, status, runLink, runId: () => runId, dispose: () => stop?.() };
}
