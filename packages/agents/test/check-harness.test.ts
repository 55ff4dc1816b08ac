/**
 * The check harness's marker never reaches the live output, however the output is cut into
 * chunks, and the program's own output passes unchanged.
 */
import { describe, expect, it } from 'vitest';
import { buildHarness } from '../src/check-harness.js';

const NONCE = '0123456789abcdef';
const MARKER = `@@UMCA_CHECKS_${NONCE}@@`;

function live(chunks: string[]): string {
  const harness = buildHarness('print(1)', ['assert True'], 'python', NONCE);
  let seen = '';
  const output = harness.liveOutput((stream, text) => {
    if (stream === 'stdout') seen += text;
  });
  for (const chunk of chunks) output.write('stdout', chunk);
  output.flush();
  return seen;
}

/** Every way of cutting `text` in two, plus one character at a time. */
function cuts(text: string): string[][] {
  const ways = [[text], [...text]];
  for (let at = 1; at < text.length; at++) ways.push([text.slice(0, at), text.slice(at)]);
  return ways;
}

describe('the live output filter', () => {
  it.each([
    ['5\n', `5\n\n${MARKER}[{"name":"a","passed":true}]\n`],
    // A last line without a newline gets the one the harness prints before its marker.
    ['no newline at the end\n', `no newline at the end\n${MARKER}[]\n`],
    [
      '@@ looks like a marker\n@@UMCA_CHECKS_other@@\n\n\nblank lines\n',
      `@@ looks like a marker\n@@UMCA_CHECKS_other@@\n\n\nblank lines\n\n${MARKER}[]\n`,
    ],
    ['progress 1/3 … 3/3\n', `progress 1/3 … 3/3\n${MARKER}[]`],
  ])('shows %j whichever way the output is cut', (shown, printed) => {
    for (const chunks of cuts(printed)) expect(live(chunks)).toBe(shown);
  });

  it('passes a program that never reaches the checks unchanged, held text included', () => {
    for (const chunks of cuts('partial @@UMCA\n@@UMCA_CH')) expect(live(chunks)).toBe('partial @@UMCA\n@@UMCA_CH');
  });

  it('leaves stderr alone', () => {
    const harness = buildHarness('x', ['assert True'], 'python', NONCE);
    const seen: string[] = [];
    harness.liveOutput((stream, text) => seen.push(`${stream}:${text}`)).write('stderr', `${MARKER}x\n`);
    expect(seen).toEqual([`stderr:${MARKER}x\n`]);
  });
});
