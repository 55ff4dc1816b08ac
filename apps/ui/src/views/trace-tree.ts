/**
 * @module trace-tree
 * A run's spans as the waterfall draws them: a tree, parents before children and siblings by
 * start time, each span placed as fractions of the whole trace. No DOM here, only arithmetic, so
 * the view (trace-view.ts, trace-row.ts) only draws.
 */
import type { TraceSpan } from '@umca/contracts';

export interface SpanNode {
  readonly span: TraceSpan;
  readonly depth: number;
  /** How far into the trace the span starts, in ms. */
  readonly startMs: number;
  /** Where its bar starts and how wide it is, as fractions (0..1) of the trace's whole length. */
  readonly offset: number;
  readonly width: number;
  readonly children: SpanNode[];
}

export interface Waterfall {
  readonly roots: SpanNode[];
  /** From the first span's start to the last one's end. */
  readonly totalMs: number;
  /** The trace's root span is in: it ends last, so the spans under it are in too. */
  readonly hasRoot: boolean;
}

/**
 * Times are nanoseconds since the epoch (about 1.7e18), past what a double holds exactly, so the
 * differences are taken in BigInt and only they become numbers.
 */
const nanos = (text: string): bigint => BigInt(text);
const msBetween = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

/** The OpenInference kind (AGENT, CHAIN, LLM, TOOL ...), which says more than OpenTelemetry's. */
export function spanKindLabel(span: TraceSpan): string | undefined {
  const kind = span.attributes['openinference.span.kind'];
  return typeof kind === 'string' && kind !== '' ? kind.toUpperCase() : undefined;
}

/** A few words from the attributes a person scans for: tokens, exit status, round, verdict. */
export function spanNote(span: TraceSpan): string {
  const a = span.attributes;
  const kind = spanKindLabel(span);
  if (kind === 'LLM' && typeof a['gen_ai.usage.input_tokens'] === 'number') {
    return `${a['gen_ai.usage.input_tokens']} → ${a['gen_ai.usage.output_tokens'] ?? '?'} tokens`;
  }
  if (kind === 'TOOL' && typeof a['umca.execution.status'] === 'string') {
    const denied = typeof a['umca.egress.denied'] === 'number' && a['umca.egress.denied'] > 0 ? `, ${a['umca.egress.denied']} denied` : '';
    const exit = a['umca.exit_code'] === undefined ? '' : `, exit ${a['umca.exit_code']}`;
    return `${a['umca.execution.status']}${exit}${denied}`;
  }
  if (typeof a['umca.task.verdict'] === 'string') return a['umca.task.verdict'];
  if (typeof a['umca.iteration'] === 'number' && a['umca.iteration'] > 0) return `round ${a['umca.iteration']}`;
  return '';
}

export function buildWaterfall(spans: readonly TraceSpan[]): Waterfall {
  if (spans.length === 0) return { roots: [], totalMs: 0, hasRoot: false };
  let first = nanos(spans[0]!.startTimeUnixNano);
  let last = nanos(spans[0]!.endTimeUnixNano);
  for (const span of spans) {
    const start = nanos(span.startTimeUnixNano);
    const end = nanos(span.endTimeUnixNano);
    if (start < first) first = start;
    if (end > last) last = end;
  }
  // A trace of one instant still draws: its bars fill the track rather than dividing by zero.
  const totalMs = msBetween(first, last);
  const scale = totalMs > 0 ? totalMs : 1;

  const ids = new Set(spans.map((span) => span.spanId));
  const childrenOf = new Map<string, TraceSpan[]>();
  for (const span of spans) {
    if (span.parentSpanId === undefined || !ids.has(span.parentSpanId)) continue;
    const siblings = childrenOf.get(span.parentSpanId) ?? [];
    siblings.push(span);
    childrenOf.set(span.parentSpanId, siblings);
  }
  // Sorting is stable: siblings that start in the same nanosecond keep the server's order.
  const byStart = (list: TraceSpan[]) => [...list].sort((x, y) => Number(nanos(x.startTimeUnixNano) - nanos(y.startTimeUnixNano)));

  const placed = new Set<string>();
  const place = (span: TraceSpan, depth: number): SpanNode => {
    placed.add(span.spanId);
    const startMs = msBetween(first, nanos(span.startTimeUnixNano));
    const children = byStart(childrenOf.get(span.spanId) ?? [])
      .filter((child) => !placed.has(child.spanId)) // a bogus parent loop must not recurse forever
      .map((child) => place(child, depth + 1));
    return { span, depth, startMs, offset: startMs / scale, width: Math.min(1, span.durationMs / scale), children };
  };

  // Roots, and spans whose parent is not kept yet (a running run's steps before its root span
  // lands): both start at the left edge of the tree.
  const roots = byStart(spans.filter((span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId))).map((span) =>
    place(span, 0),
  );
  // Whatever no root reaches (only a parent loop does that) is still shown, not dropped.
  for (const span of byStart([...spans])) if (!placed.has(span.spanId)) roots.push(place(span, 0));
  return { roots, totalMs, hasRoot: spans.some((span) => span.parentSpanId === undefined) };
}
