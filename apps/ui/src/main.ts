/**
 * @module main
 * The UMCA page: a code editor with live output on `#/`, an agent task on `#/task`, a run's
 * details on `#/runs/{id}`, and the list of runs beside each, kept live by the all-runs stream.
 */
import { umca } from './api.js';
import { followAllRuns } from './live.js';
import { editorView } from './views/editor-view.js';
import { runView } from './views/run-view.js';
import { runsView } from './views/runs-view.js';
import { taskView } from './views/task-view.js';

const app = document.getElementById('app') as HTMLElement;
const connection = document.getElementById('connection') as HTMLElement;
const isolation = document.getElementById('isolation') as HTMLElement;

const runs = runsView();
let current: { element: HTMLElement; dispose: () => void } | undefined;

function route(): void {
  current?.dispose();
  const match = location.hash.match(/^#\/runs\/(.+)$/);
  current = match?.[1] ? runView(decodeURIComponent(match[1])) : location.hash === '#/task' ? taskView() : editorView();
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    const here = match ? undefined : location.hash === '#/task' ? '#/task' : '#/';
    link.classList.toggle('current', link.getAttribute('href') === here);
  }
  app.replaceChildren(current.element, runs.element);
}

window.addEventListener('hashchange', route);
route();
void runs.refresh();
void umca.readiness().then(
  (ready) => {
    isolation.textContent = ready.isolation === 'os' ? 'isolation: os' : 'REDUCED isolation';
    isolation.dataset.state = ready.isolation === 'os' ? 'live' : 'reduced';
  },
  () => {
    isolation.textContent = 'server unreachable';
  },
);
// The all-runs stream: it reconnects by itself and resumes after the last event.
followAllRuns(runs.onEvent, (state) => {
  connection.dataset.state = state;
  connection.textContent = state === 'live' ? 'live' : state;
});
