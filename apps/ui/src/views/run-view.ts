/**
 * @module run-view
 * Everything one run did: its request, how it ended, its output and files, every outbound
 * request (denied ones stand out) and its steps, which keep arriving while it runs.
 */
import type { Run } from '@umca/contracts';
import { getRun } from '../api.js';
import { el, formatMs, statusBadge } from '../dom.js';
import { follow } from '../live.js';
import { timelineEntry } from './timeline.js';

function egressTable(run: Run): HTMLElement {
  const attempts = run.result?.egress ?? [];
  if (attempts.length === 0) {
    return el(
      'p',
      { class: 'empty' },
      run.request.allowedOutboundHosts?.length ? 'No outbound requests.' : 'No outbound requests (network off for this run).',
    );
  }
  return el(
    'table',
    { 'data-testid': 'egress' },
    el('tr', {}, el('th', {}, 'verdict'), el('th', {}, 'request'), el('th', {}, 'reason'), el('th', {}, 'address'), el('th', {}, 'status')),
    ...attempts.map((attempt) =>
      el(
        'tr',
        {},
        el('td', { class: attempt.verdict === 'denied' ? 'denied' : '' }, attempt.verdict),
        el('td', { class: 'mono' }, `${attempt.method} ${attempt.url}`),
        el('td', {}, attempt.reason),
        el('td', { class: 'mono' }, attempt.address ?? '–'),
        el('td', {}, attempt.status ?? '–'),
      ),
    ),
  );
}

export function runView(id: string): { element: HTMLElement; dispose: () => void } {
  const body = el('div', { class: 'panel' }, el('p', { class: 'empty' }, 'Loading…'));
  const timeline = el('ol', { class: 'timeline', 'data-testid': 'run-timeline' });
  let stop: (() => void) | undefined;

  const render = (run: Run) => {
    const result = run.result;
    const code =
      run.request.language === 'wasi' ? `(a wasm32-wasi module, ${run.request.module.length} base64 characters)` : run.request.code;
    const parts: Array<Node | null> = [
      el('h2', {}, `Run ${run.id}`, statusBadge(run.status)),
      result?.reason ? el('div', { class: 'error-box' }, result.reason) : null,
      el(
        'dl',
        { class: 'facts' },
        el('dt', {}, 'language'),
        el('dd', {}, run.language),
        el('dt', {}, 'lane'),
        el('dd', {}, result ? `${result.lane} / ${result.runtime ?? '?'} / isolation ${result.isolation}` : '–'),
        el('dt', {}, 'created'),
        el('dd', {}, run.createdAt),
        el('dt', {}, 'duration'),
        el(
          'dd',
          {},
          result
            ? `${formatMs(result.durationMs)} (queued ${formatMs(result.timings.queuedMs)}, in sandbox ${formatMs(result.timings.programMs)})`
            : '–',
        ),
        el('dt', {}, 'exit code'),
        el('dd', {}, result?.exitCode ?? '–'),
        el('dt', {}, 'limits'),
        el('dd', {}, JSON.stringify(run.request.limits ?? {})),
        el('dt', {}, 'allowed hosts'),
        el('dd', {}, (run.request.allowedOutboundHosts ?? []).join(', ') || 'none (no network)'),
      ),
      el('h2', { style: 'margin-top: 14px' }, 'Code'),
      el('pre', { class: 'output' }, code),
      el('h2', { style: 'margin-top: 14px' }, 'Output'),
      el(
        'pre',
        { class: 'output', 'data-testid': 'run-output' },
        result?.stdout ?? '',
        el('span', { class: 'stderr' }, result?.stderr ?? ''),
      ),
      result?.error ? el('pre', { class: 'output' }, result.error.traceback ?? `${result.error.type}: ${result.error.message}`) : null,
      result?.files.length
        ? el(
            'div',
            {},
            el('h2', { style: 'margin-top: 14px' }, 'Files'),
            el('ul', {}, ...result.files.map((file) => el('li', { class: 'mono' }, `${file.path} (${file.sizeBytes} bytes)`))),
          )
        : null,
      el('h2', { style: 'margin-top: 14px' }, 'Outbound requests'),
      egressTable(run),
    ];
    body.replaceChildren(...parts.filter((part): part is Node => part !== null));
  };

  const load = () => getRun(id).then(render, (error: Error) => body.replaceChildren(el('div', { class: 'error-box' }, error.message)));
  void load();
  stop = follow(`/v1/runs/${encodeURIComponent(id)}/events`, (event) => {
    timeline.append(timelineEntry(event));
    if (event.type === 'dev.umca.run.ended.v1') void load();
  });

  return {
    element: el('section', {}, body, el('div', { class: 'panel' }, el('h2', {}, 'Steps'), timeline)),
    dispose: () => stop?.(),
  };
}
