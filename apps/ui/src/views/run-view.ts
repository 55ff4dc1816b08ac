/**
 * @module run-view
 * Everything one run did, code execution or agent task, its trace as a waterfall, and its steps,
 * which keep arriving while it runs.
 */
import type { Run } from '@umca/contracts';
import { umca } from '../api.js';
import { el } from '../dom.js';
import { followRun } from '../live.js';
import { executionDetails } from './execution-details.js';
import type { ModelCall } from './model-use.js';
import { taskDetails } from './task-details.js';
import { timelineEntry } from './timeline.js';
import { traceView } from './trace-view.js';

export function runView(
  id: string,
  options: {
    /** Told the run's kind once it is known, so the page can mark the tab the run belongs to. */
    onKind?(kind: Run['kind']): void;
  } = {},
): { element: HTMLElement; dispose: () => void } {
  const body = el('div', { class: 'panel' }, el('p', { class: 'empty' }, 'Loading…'));
  const timeline = el('ol', { class: 'timeline', 'data-testid': 'run-timeline' });
  const steps = el('div', { class: 'panel', hidden: true }, el('h2', {}, 'Steps'), timeline);
  const calls: ModelCall[] = [];
  const trace = traceView(id);
  // Shown once the run is: for a run the server does not know, "tracing was off" would mislead.
  trace.element.hidden = true;
  let ended = false;

  const render = (run: Run) => {
    options.onKind?.(run.kind);
    trace.element.hidden = false;
    // A task's model calls are counted from its events: all of them are in once its end is.
    body.replaceChildren(...(run.kind === 'task' ? taskDetails(run, ended ? calls : undefined) : executionDetails(run)));
  };
  const load = () =>
    umca.getRun(id).then(render, (error: Error) => {
      body.replaceChildren(el('div', { class: 'error-box' }, error.message));
      trace.element.hidden = true;
    });
  void load();
  const stop = followRun(id, (event) => {
    timeline.append(timelineEntry(event));
    steps.hidden = false;
    if (event.type === 'dev.umca.model.called.v1') calls.push(event.data);
    if (event.type === 'dev.umca.run.ended.v1') {
      ended = true;
      void load();
      trace.settle();
    }
  });

  return {
    element: el('section', {}, body, trace.element, steps),
    dispose: () => {
      stop();
      trace.dispose();
    },
  };
}
