/**
 * @module session-cell
 * One run of a session as a notebook cell: the code it ran (`In [n]`), then what it printed, its
 * error, the pictures and files it left, and how it ended. Everything a run wrote is set as text
 * (or as a picture whose kind its bytes say), never parsed as markup.
 */
import type { ExecutionResult } from '@umca/contracts';
import { el, formatMs, statusBadge } from '../dom.js';
import { outputFiles } from './output-files.js';

export interface CellContent {
  readonly runId: string;
  readonly code: string;
  /** Absent while it runs, or when its record could not be read. */
  readonly result?: ExecutionResult;
  /** Why there is no result to show. */
  readonly note?: string;
}

export function sessionCell(index: number, cell: CellContent): HTMLElement {
  const { result } = cell;
  const output = result
    ? el(
        'pre',
        { class: 'output', 'data-testid': 'cell-output' },
        result.stdout,
        result.stderr ? el('span', { class: 'stderr' }, result.stderr) : null,
      )
    : el('p', { class: 'empty', 'data-testid': 'cell-output' }, cell.note ?? 'Running…');
  return el(
    'li',
    { class: 'cell', 'data-testid': 'cell', 'data-run-id': cell.runId },
    el(
      'div',
      { class: 'cell-head' },
      el('span', { class: 'mono cell-index' }, `In [${index}]`),
      result ? statusBadge(result.status) : null,
      result ? el('span', { class: 'meta' }, formatMs(result.durationMs)) : null,
      el('a', { href: `#/runs/${cell.runId}`, class: 'meta' }, 'run details'),
    ),
    el('pre', { class: 'code cell-code', 'data-testid': 'cell-code' }, cell.code),
    output,
    result?.reason && result.status !== 'ok' ? el('p', { class: 'error-box', 'data-testid': 'cell-reason' }, result.reason) : null,
    result && result.files.length > 0 ? outputFiles(result) : null,
  );
}
