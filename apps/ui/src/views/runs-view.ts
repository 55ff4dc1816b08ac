/**
 * @module runs-view
 * The list of runs, newest first, kept current by the all-runs event stream; until there is one,
 * a line says where they will come from.
 */
import type { RunSummary, UmcaEvent } from '@umca/contracts';
import { umca } from '../api.js';
import { el, formatMs, statusBadge } from '../dom.js';

export function runsView(): { element: HTMLElement; onEvent: (event: UmcaEvent) => void; refresh: () => Promise<void> } {
  const list = el('ul', { class: 'runs', 'data-testid': 'runs' });
  const none = el('p', { class: 'empty' }, 'Loading the runs…');
  const share = el('p', { class: 'meta', 'data-testid': 'lane-share' });
  const showNone = () => {
    none.hidden = list.childElementCount > 0;
    showShare();
  };
  const byId = new Map<string, { summary: Partial<RunSummary> & { id: string }; item: HTMLLIElement }>();

  const render = (summary: Partial<RunSummary> & { id: string }) => {
    const item = byId.get(summary.id)?.item ?? el('li', { 'data-run-id': summary.id });
    item.replaceChildren(
      el(
        'a',
        { href: `#/runs/${summary.id}` },
        statusBadge(summary.status ?? 'queued'),
        el(
          'span',
          { class: 'id' },
          `${summary.kind === 'task' ? 'task · ' : ''}${summary.language ?? ''} · ${summary.id.replace(/^run_/, '').slice(0, 8)}`,
        ),
        el(
          'span',
          { class: 'meta' },
          [
            summary.verdict,
            summary.kind === 'task' ? undefined : (summary.runtime ?? summary.lane),
            summary.durationMs === undefined ? undefined : formatMs(summary.durationMs),
            summary.egressDenied ? `${summary.egressDenied} denied` : '',
          ]
            .filter(Boolean)
            .join(' · '),
        ),
      ),
    );
    byId.set(summary.id, { summary, item });
    return item;
  };

  /** The share of the listed code runs per lane and runtime: "wasm/pyodide 12 (60 %) · ...". */
  function showShare(): void {
    const counts = new Map<string, number>();
    for (const { summary } of byId.values()) {
      if (summary.kind === 'task' || !summary.lane) continue;
      const key = `${summary.lane}/${summary.runtime ?? '?'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
    share.textContent = total
      ? `lanes of the last ${total} code runs: ${[...counts]
          .sort((a, b) => b[1] - a[1])
          .map(([key, count]) => `${key} ${count} (${Math.round((100 * count) / total)} %)`)
          .join(' · ')}`
      : '';
  }

  const update = (id: string, patch: Partial<RunSummary>) => {
    const known = byId.get(id);
    const summary = { ...(known?.summary ?? {}), ...patch, id };
    const item = render(summary);
    if (!known) list.prepend(item);
    showNone();
  };

  return {
    element: el('div', { class: 'panel', 'data-testid': 'runs-panel' }, el('h2', {}, 'Runs'), share, list, none),
    async refresh() {
      try {
        const { runs } = await umca.listRuns({ limit: 50 });
        list.replaceChildren(...runs.map(render));
        none.textContent = 'No runs yet: code you run and tasks you give show up here.';
      } catch (error) {
        none.textContent = `The runs could not be loaded: ${(error as Error).message}`;
      }
      showNone();
    },
    onEvent(event) {
      const id = event.subject;
      switch (event.type) {
        case 'dev.umca.run.created.v1':
          update(id, { kind: 'execution', language: event.data.language, status: 'queued', createdAt: event.time, egressDenied: 0 });
          break;
        case 'dev.umca.task.created.v1':
          update(id, { kind: 'task', language: event.data.language, status: 'queued', createdAt: event.time, egressDenied: 0 });
          break;
        case 'dev.umca.checks.evaluated.v1':
          update(id, { verdict: event.data.verdict });
          break;
        case 'dev.umca.run.started.v1':
          update(id, { status: 'running', lane: event.data.lane, ...(event.data.runtime ? { runtime: event.data.runtime } : {}) });
          break;
        case 'dev.umca.egress.denied.v1':
          update(id, { egressDenied: (byId.get(id)?.summary.egressDenied ?? 0) + 1 });
          break;
        case 'dev.umca.run.ended.v1':
          update(id, { status: event.data.status, durationMs: event.data.durationMs });
          break;
      }
    },
  };
}
