/**
 * @module trace-row
 * One span of the waterfall: a row a person can open (a <details>) to read every attribute, and
 * under it the spans it started, as a nested list, so a screen reader hears the nesting too. The
 * bar is drawn in SVG and hidden from assistive technology: the start and length are in the text.
 * Attributes may hold a model's output or a program's, so all of it is set as text.
 */
import type { TraceSpan } from '@umca/contracts';
import { el, formatMs } from '../dom.js';
import { type SpanNode, spanKindLabel, spanNote } from './trace-tree.js';

const SVG = 'http://www.w3.org/2000/svg';
/** The narrowest bar, as a share of the track: a span of no length is still a visible tick. */
const MIN_BAR = 0.004;

/** Arrays as JSON (so `["stop"]` reads as a list), everything else as it is. */
function showValue(value: TraceSpan['attributes'][string]): string {
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}

/** Words for a screen reader that a sighted reader gets from the column headings. */
const hidden = (text: string) => el('span', { class: 'visually-hidden' }, text);

function bar(node: SpanNode): SVGSVGElement {
  const width = Math.max(node.width, MIN_BAR);
  const x = Math.min(node.offset, 1 - width);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'span-track');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const rect = document.createElementNS(SVG, 'rect');
  for (const [name, value] of Object.entries({ x: `${x * 100}%`, y: '0', width: `${width * 100}%`, height: '100%', rx: '2' })) {
    rect.setAttribute(name, value);
  }
  rect.setAttribute('class', 'span-bar');
  svg.append(rect);
  return svg;
}

function details(span: TraceSpan, startMs: number): HTMLElement {
  const rows: Array<[string, string]> = [
    ['name', span.name],
    ['status', span.status.message ? `${span.status.code}: ${span.status.message}` : span.status.code],
    ['span id', span.spanId],
    ['OpenTelemetry kind', span.kind],
    ...Object.keys(span.attributes)
      .sort()
      .map((key): [string, string] => [key, showValue(span.attributes[key]!)]),
    ...(span.events ?? []).map((event): [string, string] => {
      const at = formatMs(Math.max(0, startMs + Number(BigInt(event.timeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6));
      const attributes = Object.keys(event.attributes).length ? ` ${JSON.stringify(event.attributes)}` : '';
      return [`event ${event.name}`, `at +${at}${attributes}`];
    }),
  ];
  return el('dl', { class: 'span-attributes' }, ...rows.flatMap(([key, value]) => [el('dt', {}, key), el('dd', {}, value)]));
}

/**
 * The span and, nested under it, its children. `open` holds the ids of rows the reader opened,
 * so a refresh that redraws the list leaves them open; a toggle updates it.
 */
export function spanItem(node: SpanNode, open: Set<string>): HTMLLIElement {
  const { span } = node;
  const kind = spanKindLabel(span);
  const failed = span.status.code === 'error';
  const note = spanNote(span);
  const name = el(
    'span',
    { class: 'span-name', title: span.name },
    span.name,
    note ? el('span', { class: 'span-note' }, ` ${note}`) : null,
  );
  // The indent is per row and only known here; CSSOM custom properties pass any CSP.
  name.style.setProperty('--depth', String(node.depth));
  const summary = el(
    'summary',
    { class: 'span-row', title: failed ? (span.status.message ?? 'error') : undefined },
    name,
    el(
      'span',
      { class: 'span-badges' },
      kind ? el('span', { class: 'span-kind', 'data-kind': kind }, kind) : null,
      failed ? el('span', { class: 'status', 'data-status': 'error', title: span.status.message ?? 'error' }, 'error') : null,
    ),
    el('span', { class: 'span-start' }, hidden(', starts at '), `+${formatMs(node.startMs)}`),
    el('span', { class: 'span-duration' }, hidden(', lasts '), formatMs(span.durationMs)),
    bar(node),
  );
  // The attributes are built when the row is first opened: a trace of a few thousand spans,
  // with prompts in them, would otherwise build them all for nothing.
  const row = el('details', { class: 'span' }, summary);
  const showAttributes = () => {
    if (row.childElementCount === 1) row.append(details(span, node.startMs));
  };
  if (open.has(span.spanId)) {
    showAttributes();
    row.open = true;
  }
  row.addEventListener('toggle', () => {
    if (row.open) {
      showAttributes();
      open.add(span.spanId);
    } else {
      open.delete(span.spanId);
    }
  });
  return el(
    'li',
    {
      'data-testid': 'span',
      'data-name': span.name,
      'data-kind': kind,
      'data-depth': node.depth,
      'data-status': span.status.code,
    },
    row,
    node.children.length ? el('ol', { class: 'waterfall' }, ...node.children.map((child) => spanItem(child, open))) : null,
  );
}
