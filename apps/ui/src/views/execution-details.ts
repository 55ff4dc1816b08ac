/**
 * @module execution-details
 * What one code execution did: its request, how it ended, its output and files, and every
 * outbound request (denied ones stand out). A part with nothing to show says so in words rather
 * than drawing an empty box.
 */
import type { Run } from '@umca/contracts';
import { dateTime, el, formatBytes, formatMs, formatSeconds, statusBadge } from '../dom.js';
import { outputFiles } from './output-files.js';

type ExecutionRun = Extract<Run, { kind: 'execution' }>;

function egressTable(run: ExecutionRun): HTMLElement {
  const attempts = run.result?.egress ?? [];
  if (attempts.length === 0) {
    return el(
      'p',
      { class: 'empty' },
      run.request.allowedOutboundHosts?.length ? 'No outbound requests.' : 'No outbound requests (network off for this run).',
    );
  }
  // A phone is narrower than five columns: there each request is a block of labelled lines.
  return el(
    'div',
    { class: 'table-scroll' },
    el(
      'table',
      { class: 'stack', 'data-testid': 'egress' },
      el(
        'tr',
        {},
        el('th', {}, 'verdict'),
        el('th', {}, 'request'),
        el('th', {}, 'reason'),
        el('th', {}, 'address'),
        el('th', {}, 'status'),
      ),
      ...attempts.map((attempt) =>
        el(
          'tr',
          {},
          el('td', { class: attempt.verdict === 'denied' ? 'denied' : '' }, attempt.verdict),
          el('td', { class: 'mono' }, `${attempt.method} ${attempt.url}`),
          el('td', { 'data-label': 'reason' }, attempt.reason),
          el('td', { class: 'mono', 'data-label': 'address' }, attempt.address ?? '–'),
          el('td', { 'data-label': 'status' }, attempt.status ?? '–'),
        ),
      ),
    ),
  );
}

/**
 * The limits the request set, in words; the rest are the defaults (the run's first step, in the
 * steps below, gives its timeout as applied). Not resolved here: that would bring the contracts'
 * zod schemas into the page's bundle, four times its size.
 */
function describeLimits(run: ExecutionRun): string {
  const limits = run.request.limits ?? {};
  if (Object.keys(limits).length === 0) return 'the defaults';
  return [
    `timeout ${limits.timeoutMs === undefined ? 'default' : formatSeconds(limits.timeoutMs)}`,
    `memory ${limits.memoryMb === undefined ? 'default' : `${limits.memoryMb} MiB`}`,
    `output ${limits.outputBytes === undefined ? 'default' : `${formatBytes(limits.outputBytes)} per stream`}`,
  ].join(' · ');
}

/** The error's traceback, unless the program's stderr already shows it. */
function errorBox(run: ExecutionRun): Node[] {
  const error = run.result?.error;
  if (!error) return [];
  const text = error.traceback ?? `${error.type}: ${error.message}`;
  if (run.result?.stderr.includes(text.trim())) return [];
  return [el('h2', { class: 'section' }, 'Error'), el('pre', { class: 'output', 'data-testid': 'run-error' }, text)];
}

function outputBox(run: ExecutionRun): HTMLElement {
  const result = run.result;
  if (!result?.stdout && !result?.stderr) {
    const why = result ? 'The program printed nothing.' : 'No output yet.';
    return el('p', { class: 'empty', 'data-testid': 'run-output' }, why);
  }
  return el('pre', { class: 'output', 'data-testid': 'run-output' }, result.stdout, el('span', { class: 'stderr' }, result.stderr));
}

export function executionDetails(run: ExecutionRun): Node[] {
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
      ...(result?.selection ? [el('dt', {}, 'why this lane'), el('dd', { 'data-testid': 'lane-reason' }, result.selection.reason)] : []),
      el('dt', {}, 'created'),
      el('dd', {}, dateTime(run.createdAt)),
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
      el('dd', {}, describeLimits(run)),
      el('dt', {}, 'allowed hosts'),
      el('dd', {}, (run.request.allowedOutboundHosts ?? []).join(', ') || 'none (no network)'),
    ),
    el('h2', { class: 'section' }, 'Code'),
    el('pre', { class: 'output' }, code),
    el('h2', { class: 'section' }, 'Output'),
    outputBox(run),
    ...errorBox(run),
    result?.files.length || result?.droppedFiles ? outputFiles(result) : null,
    el('h2', { class: 'section' }, 'Outbound requests'),
    egressTable(run),
  ];
  return parts.filter((part): part is Node => part !== null);
}
