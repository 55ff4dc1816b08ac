/**
 * @module main
 * The UMCA page: a code editor with live output on `#/`, an agent task on `#/task`, a run's
 * details on `#/runs/{id}`, the caller's sessions on `#/sessions` and one as a notebook on
 * `#/sessions/{id}`, and the list of runs beside each, kept live by the all-runs stream;
 * on `#/`, the upstream MCP servers (when any is registered) and the gates' last verdicts above
 * the runs. On a server that needs tokens, the visitor signs in first (session.ts).
 */
import { umca, useToken } from './api.js';
import { el } from './dom.js';
import { followAllRuns } from './live.js';
import { startSession } from './session.js';
import { editorView } from './views/editor-view.js';
import { gateVerdictsView } from './views/gate-verdicts-view.js';
import { mcpServersView } from './views/mcp-servers-view.js';
import { runView } from './views/run-view.js';
import { runsView } from './views/runs-view.js';
import { sessionView } from './views/session-view.js';
import { sessionsView } from './views/sessions-view.js';
import { signInView } from './views/sign-in-view.js';
import { taskView } from './views/task-view.js';

const app = document.getElementById('app') as HTMLElement;
const connection = document.getElementById('connection') as HTMLElement;
const isolation = document.getElementById('isolation') as HTMLElement;

const account = document.getElementById('account') as HTMLElement;
const session = await startSession();
if (session.state === 'signed-in') {
  useToken(() => session.token());
  account.replaceChildren(
    el('span', { 'data-testid': 'signed-in-as' }, session.name),
    el('button', { type: 'button', class: 'link', 'data-testid': 'sign-out', onclick: () => session.signOut() }, 'Sign out'),
  );
}

const runs = runsView();
const gates = gateVerdictsView();
const mcpServers = mcpServersView();
// The column beside the page: on the home page only, the MCP servers (a line or two each, so the
// verdicts' longer list does not push them out of sight) and the gates; then the runs.
const side = el('aside', { class: 'side', 'aria-label': 'MCP servers, gates and runs' }, mcpServers.element, gates.element, runs.element);
let current: { element: HTMLElement; dispose: () => void } | undefined;

/** Marks the tab the page is under: Code, Task or Sessions, and for a run page the tab of the run's kind. */
function markTab(href: '#/' | '#/task' | '#/sessions' | undefined): void {
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    const here = link.getAttribute('href') === href;
    link.classList.toggle('current', here);
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function route(): void {
  current?.dispose();
  const match = location.hash.match(/^#\/runs\/(.+)$/);
  const sessionMatch = location.hash.match(/^#\/sessions\/(.+)$/);
  let home = false;
  if (sessionMatch?.[1]) {
    markTab('#/sessions');
    current = sessionView(decodeURIComponent(sessionMatch[1]));
  } else if (location.hash === '#/sessions') {
    markTab('#/sessions');
    current = sessionsView();
  } else if (match?.[1]) {
    markTab(undefined);
    current = runView(decodeURIComponent(match[1]), { onKind: (kind) => markTab(kind === 'task' ? '#/task' : '#/') });
  } else if (location.hash === '#/task') {
    markTab('#/task');
    current = taskView();
  } else {
    markTab('#/');
    current = editorView();
    home = true;
  }
  gates.element.hidden = !home;
  // Each time the home page opens, so a verdict given since (a `umca gate check` elsewhere) shows,
  // and each MCP server's status as of now.
  if (home) void gates.refresh();
  if (home) mcpServers.open();
  else mcpServers.close();
  app.replaceChildren(current.element, side);
}

/** The page for someone the server answers: the views, the list of runs, the live stream. */
function open(): void {
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
  followAllRuns(
    (event) => {
      runs.onEvent(event);
      gates.onEvent(event);
    },
    (state) => {
      connection.dataset.state = state;
      connection.textContent = state === 'live' ? 'live' : state;
    },
  );
}

if (session.state === 'signed-out') {
  // Nothing else can be shown or followed without a token.
  app.replaceChildren(signInView(session));
  connection.textContent = 'signed out';
  isolation.remove();
} else {
  open();
}
