/**
 * @module trace-view
 * The run page's "Trace" panel: the run's spans (`GET /v1/runs/{id}/trace`) as a waterfall, one
 * row per span under the span that started it, its bar placed on the trace's timeline. It loads
 * when the page opens and looks again when the run ends: spans are written about a second after
 * they end, so it keeps looking, a bounded number of times, until the count stops changing. A run
 * made with tracing off has no trace, and the panel says just that.
 */
import { UmcaApiError } from '@umca/client';
import type { RunTrace } from '@umca/contracts';
import { umca } from '../api.js';
import { el, formatMs } from '../dom.js';
import { spanItem } from './trace-row.js';
import { buildWaterfall } from './trace-tree.js';

/** After the run ends: how long to wait between looks, and the most looks (about 4 s in all). */
const SETTLE_PAUSE_MS = 700;
const SETTLE_LOOKS = 6;

export interface TraceView {
  readonly element: HTMLElement;
  /** The run has ended: look again until its last spans are in. */
  settle(): void;
  dispose(): void;
}

interface Drawn {
  readonly count: number;
  readonly hasRoot: boolean;
}

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** Column headings for sighted readers; each row carries the same words for a screen reader. */
function heading(totalMs: number): HTMLElement {
  return el(
    'div',
    { class: 'waterfall-head', 'aria-hidden': 'true' },
    el('span', { class: 'span-name' }, 'span'),
    el('span', { class: 'span-badges' }, 'kind'),
    el('span', { class: 'span-start' }, 'starts'),
    el('span', { class: 'span-duration' }, 'lasts'),
    el('span', { class: 'waterfall-scale' }, el('span', {}, '0'), el('span', {}, formatMs(totalMs))),
  );
}

export function traceView(runId: string): TraceView {
  const content = el('div', {}, el('p', { class: 'empty' }, 'Loading…'));
  const element = el('div', { class: 'panel', 'data-testid': 'trace' }, el('h2', {}, 'Trace'), content);
  const controller = new AbortController();
  const open = new Set<string>();
  let shown: Drawn | undefined;

  const draw = (trace: RunTrace): Drawn => {
    const waterfall = buildWaterfall(trace.spans);
    const drawn = { count: trace.spans.length, hasRoot: waterfall.hasRoot };
    // Kept spans never change, so the same count is the same trace: redrawing it would only
    // take the focus from the row the reader is on.
    if (shown?.count === drawn.count) return drawn;
    shown = drawn;
    const plural = drawn.count === 1 ? 'span' : 'spans';
    content.replaceChildren(
      el(
        'p',
        { class: 'trace-facts' },
        'trace id ',
        el(
          'code',
          { class: 'trace-id', 'data-testid': 'trace-id', title: 'The OpenTelemetry trace id: finds this run in any OTLP backend' },
          trace.traceId,
        ),
        ` · ${drawn.count} ${plural} · ${formatMs(waterfall.totalMs)}`,
      ),
      drawn.count === 0
        ? el('p', { class: 'empty' }, 'No spans kept yet: each is written a moment after it ends.')
        : el(
            'div',
            {},
            heading(waterfall.totalMs),
            el(
              'ol',
              { class: 'waterfall', 'data-testid': 'waterfall', 'aria-label': 'Spans, each under the one that started it' },
              ...waterfall.roots.map((root) => spanItem(root, open)),
            ),
          ),
    );
    return drawn;
  };

  /** Fetches and draws the trace; undefined when there is nothing more to look for. */
  const load = async (): Promise<Drawn | undefined> => {
    try {
      return draw(await umca.getRunTrace(runId, { signal: controller.signal }));
    } catch (error) {
      if (controller.signal.aborted) return undefined;
      const notTraced = error instanceof UmcaApiError && error.status === 404;
      content.replaceChildren(
        notTraced
          ? el('p', { class: 'empty', 'data-testid': 'trace-off' }, 'No trace: tracing was off when this run ran.')
          : el('div', { class: 'error-box' }, error instanceof Error ? error.message : String(error)),
      );
      return undefined;
    }
  };

  const first = load();
  let settling = false;
  return {
    element,
    settle() {
      if (settling) return;
      settling = true;
      void (async () => {
        // Done when the root span (the last to end) is in and a look found nothing new.
        let before = await first;
        for (let look = 0; look < SETTLE_LOOKS && before && !controller.signal.aborted; look++) {
          const now = await load();
          if (!now || (now.hasRoot && now.count === before.count)) return;
          before = now;
          await pause(SETTLE_PAUSE_MS, controller.signal);
        }
      })();
    },
    dispose: () => controller.abort(),
  };
}
