/**
 * @module gate-verdicts-view
 * The home page's "Gates" panel: the newest verdicts of `umca gate check` (`GET
 * /v1/gates/verdicts`), newest first. It loads each time the home page opens and when the
 * all-runs stream brings a new verdict; until there is one, a line says how to make one.
 */
import type { UmcaEvent } from '@umca/contracts';
import { umca } from '../api.js';
import { el } from '../dom.js';
import { gateVerdictItem } from './gate-verdict-item.js';

/** The most verdicts shown: enough to see a trend, few enough to leave room for the runs. */
const SHOWN = 10;

const COMMAND = 'umca gate check --suite evals/smoke --gate evals/gates/release.json --model …';

/** The command, wrapping only before an option: each option stays on one line with its value. */
const command = () =>
  el(
    'code',
    { class: 'gate-command' },
    ...COMMAND.split(/ (?=--)/).flatMap((part, index) => (index ? [' ', el('span', {}, part)] : [el('span', {}, part)])),
  );

export interface GateVerdictsView {
  readonly element: HTMLElement;
  /** Loads the verdicts again; a load still under way is dropped for the new one. */
  refresh(): Promise<void>;
  /** An event from the all-runs stream: a new verdict loads the list again. */
  onEvent(event: UmcaEvent): void;
}

export function gateVerdictsView(): GateVerdictsView {
  const list = el('ol', {
    class: 'gate-verdicts',
    hidden: true,
    'data-testid': 'gate-verdicts',
    'aria-label': 'Gate verdicts, newest first',
  });
  const note = el('p', { class: 'empty', 'data-testid': 'gate-verdicts-note' }, 'Loading the gate verdicts…');
  const element = el('div', { class: 'panel', 'data-testid': 'gates' }, el('h2', {}, 'Gates'), list, note);
  const open = new Set<string>();
  let loading: AbortController | undefined;

  /** The verdicts, or the line in their place: an empty list would still be announced as one. */
  const show = (items: HTMLLIElement[], ...noteContent: Array<Node | string>) => {
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
    note.replaceChildren(...noteContent);
    note.hidden = items.length > 0;
  };

  async function refresh(): Promise<void> {
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    try {
      const { verdicts } = await umca.listGateVerdicts({ limit: SHOWN, signal: controller.signal });
      show(
        verdicts.map((verdict) => gateVerdictItem(verdict, open)),
        'No gate verdicts yet: ',
        command(),
        ' records one.',
      );
    } catch (error) {
      // A newer load replaced this one: what it shows is the newer one's to decide.
      if (controller.signal.aborted) return;
      show([], `The gate verdicts could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return {
    element,
    refresh,
    onEvent(event) {
      if (event.type === 'dev.umca.gate.evaluated.v1' && !element.hidden) void refresh();
    },
  };
}
