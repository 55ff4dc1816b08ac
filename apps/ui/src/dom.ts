/**
 * @module dom
 * A tiny element builder: text is always set as text, never parsed as HTML, so nothing a run
 * prints can inject markup into the page.
 */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function el<Tag extends keyof HTMLElementTagNameMap>(
  tag: Tag,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[Tag] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'value' && 'value' in element) (element as HTMLInputElement).value = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function statusBadge(status: string): HTMLElement {
  return el('span', { class: 'status', 'data-status': status, 'data-testid': 'status' }, status.replace('_', ' '));
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A limit in seconds as set, without trailing zeros: `120 s`, `0.5 s`. */
export function formatSeconds(ms: number): string {
  return `${ms / 1000} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1_048_576 && bytes % 1_048_576 === 0) return `${bytes / 1_048_576} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** A moment as the reader's locale writes it; the ISO form goes in a title. */
export function dateTime(iso: string): HTMLElement {
  const date = new Date(iso);
  return el('time', { datetime: iso, title: iso }, date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' }));
}

const AGO_UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/** A moment as "5 minutes ago" in the reader's language, short enough for a phone; the local date and time go in its title. */
export function timeAgo(iso: string, now = Date.now()): HTMLElement {
  const date = new Date(iso);
  // Never "in 2 seconds": a server's clock a little ahead of the reader's is not the future.
  const seconds = Math.min(0, Math.round((date.getTime() - now) / 1000));
  const [unit, size] = AGO_UNITS.find(([, unitSeconds]) => Math.abs(seconds) >= unitSeconds) ?? ['second', 1];
  const words = new Intl.RelativeTimeFormat([], { numeric: 'auto' }).format(Math.round(seconds / size), unit);
  return el('time', { datetime: iso, title: date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' }) }, words);
}

export function clockTime(iso: string): string {
  const date = new Date(iso);
  return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
