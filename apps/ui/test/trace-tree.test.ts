/**
 * The waterfall's arithmetic (no DOM): parents before children, siblings by start time, bars as
 * shares of the trace, and the odd traces a running or broken run gives (no root yet, a parent
 * loop, a trace of one instant).
 */
import type { TraceSpan } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { buildWaterfall, type SpanNode, spanNote } from '../src/views/trace-tree.js';

const T0 = 1_764_820_000_000_000_000n; // past 2^53: the arithmetic must not lose the nanoseconds

function span(id: string, parent: string | undefined, startMs: number, endMs: number, attributes: TraceSpan['attributes'] = {}): TraceSpan {
  return {
    traceId: 'a'.repeat(32),
    spanId: id.padStart(16, '0'),
    ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
    name: id,
    kind: 'internal',
    startTimeUnixNano: String(T0 + BigInt(startMs * 1e6)),
    endTimeUnixNano: String(T0 + BigInt(endMs * 1e6)),
    durationMs: endMs - startMs,
    status: { code: 'ok' },
    attributes,
  };
}

/** Each row as `depth name`, top to bottom. */
const rows = (nodes: SpanNode[]): string[] => nodes.flatMap((node) => [`${node.depth} ${node.span.name}`, ...rows(node.children)]);

describe('buildWaterfall', () => {
  it('puts parents before children and siblings by start, whatever order the spans came in', () => {
    const waterfall = buildWaterfall([
      span('test', 'root', 80, 100),
      span('chat', 'plan', 1, 9),
      span('root', undefined, 0, 100),
      span('code', 'root', 10, 40),
      span('plan', 'root', 0, 10),
    ]);
    expect(rows(waterfall.roots)).toEqual(['0 root', '1 plan', '2 chat', '1 code', '1 test']);
    expect(waterfall.totalMs).toBe(100);
    expect(waterfall.hasRoot).toBe(true);
    const code = waterfall.roots[0]?.children[1];
    expect(code).toMatchObject({ startMs: 10, offset: 0.1, width: 0.3 });
  });

  it('keeps the given order for siblings that start together', () => {
    const waterfall = buildWaterfall([span('root', undefined, 0, 5), span('first', 'root', 0, 5), span('second', 'root', 0, 1)]);
    expect(rows(waterfall.roots)).toEqual(['0 root', '1 first', '1 second']);
  });

  it("shows a running run's steps at the top while its root span is not kept yet", () => {
    const waterfall = buildWaterfall([span('plan', 'root', 0, 10), span('chat', 'plan', 1, 9)]);
    expect(rows(waterfall.roots)).toEqual(['0 plan', '1 chat']);
    expect(waterfall.hasRoot).toBe(false);
  });

  it('shows every span of a parent loop once, without recursing forever', () => {
    const waterfall = buildWaterfall([span('a', 'b', 0, 1), span('b', 'a', 1, 2)]);
    expect(rows(waterfall.roots)).toEqual(['0 a', '1 b']);
  });

  it('draws a trace of one instant, and none at all for no spans', () => {
    const waterfall = buildWaterfall([span('root', undefined, 3, 3)]);
    expect(waterfall.roots[0]).toMatchObject({ offset: 0, width: 0 });
    expect(buildWaterfall([])).toEqual({ roots: [], totalMs: 0, hasRoot: false });
  });
});

describe('spanNote', () => {
  it('gives tokens for a model call, the outcome for an execution, the round for a step', () => {
    const llm = { 'openinference.span.kind': 'LLM', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 40 };
    expect(spanNote(span('chat', undefined, 0, 1, llm))).toBe('120 → 40 tokens');
    const tool = { 'openinference.span.kind': 'TOOL', 'umca.execution.status': 'ok', 'umca.exit_code': 0, 'umca.egress.denied': 2 };
    expect(spanNote(span('run', undefined, 0, 1, tool))).toBe('ok, exit 0, 2 denied');
    expect(spanNote(span('code', undefined, 0, 1, { 'openinference.span.kind': 'CHAIN', 'umca.iteration': 2 }))).toBe('round 2');
    expect(spanNote(span('plan', undefined, 0, 1, { 'openinference.span.kind': 'CHAIN', 'umca.iteration': 0 }))).toBe('');
  });
});
