/**
 * The home page's Gates panel in a real headless Chromium against a real server. The verdicts are
 * `dev.umca.gate.evaluated.v1` events published on the server's own bus, as `umca gate check`
 * publishes them, so no suite has to run: a fresh server says how to make one; a pass and a fail
 * show newest first, PASS and FAIL in words, with the suite, model, task runs and time, and the
 * fail's failed threshold message once its thresholds are opened; text holding markup shows as
 * text; a verdict given while the page is open, or while another page is, shows on the home page.
 */
import { GATE_VERDICTS_SUBJECT, type ThresholdResult, type UmcaEventData } from '@umca/contracts';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openChromiumPage } from './support/launch-chromium.js';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

const server = useServer();
const { page, pageErrors } = await openChromiumPage();

const TOO_LOW: ThresholdResult = {
  metric: 'task_success',
  min: 0.8,
  value: 0.5,
  passed: false,
  message: 'task_success 0.5 is below the minimum 0.8',
};
const SAFE: ThresholdResult = { metric: 'g3_violations', max: 0, value: 0, passed: true, message: 'g3_violations 0 is ≤ 0' };
const UNJUDGED: ThresholdResult = {
  metric: 'judge_quality',
  min: 0.7,
  value: null,
  passed: true,
  skipped: true,
  message: 'judge_quality was not measured, and the gate skips it',
};

/** Publishes a verdict as `umca gate check` does; resolves with the time the server gave it. */
async function publishVerdict(data: Partial<UmcaEventData<'dev.umca.gate.evaluated.v1'>>): Promise<string> {
  const stored = await server().bus.publish('dev.umca.gate.evaluated.v1', GATE_VERDICTS_SUBJECT, {
    evaluationId: `eval_${Math.random().toString(36).slice(2)}`,
    gate: { name: 'release', revision: 1 },
    suite: { name: 'smoke', revision: 1 },
    model: 'scripted:coder',
    verdict: 'pass',
    thresholds: [SAFE],
    runs: 3,
    ...data,
  });
  return stored.event.time;
}

interface Shown {
  outcome: string;
  gate: string;
  facts: string;
  time: string | null;
}

/** The panel's verdicts as the page shows them, top to bottom. */
const verdictsOf = (page: Page): Promise<Shown[]> =>
  page.$$eval('[data-testid=gates] [data-testid=gate-verdict]', (items) =>
    items.map((item) => ({
      outcome: item.querySelector('[data-testid=gate-outcome]')?.textContent ?? '',
      gate: item.querySelector('h3')?.textContent ?? '',
      facts: item.querySelector('[data-testid=gate-facts]')?.textContent ?? '',
      time: item.querySelector('time')?.getAttribute('datetime') ?? null,
    })),
  );

/** Waits, a bounded number of looks, until the panel shows `count` verdicts; the caller asserts them. */
async function waitForVerdicts(count: number): Promise<Shown[]> {
  await until(async () => (await verdictsOf(page)).length >= count, 100, 100);
  return verdictsOf(page);
}

describe('the Gates panel on the home page', () => {
  it('says how to make a verdict on a server that has none', async () => {
    await page.goto(server().url);
    await until(async () => (await page.textContent('[data-testid=gate-verdicts-note]'))?.startsWith('No gate') === true, 100, 100);
    expect(await page.textContent('[data-testid=gate-verdicts-note]')).toBe(
      'No gate verdicts yet: umca gate check --suite evals/smoke --gate evals/gates/release.json --model … records one.',
    );
    expect(await page.$$('[data-testid=gate-verdict]')).toHaveLength(0);
    expect(await page.textContent('[data-testid=gates] h2')).toBe('Gates');
  });

  it('shows a pass and a fail, newest first, in words, with the failed threshold once opened', async () => {
    const passedAt = await publishVerdict({ verdict: 'pass', gate: { name: 'release', revision: 2 }, thresholds: [SAFE, UNJUDGED] });
    const failedAt = await publishVerdict({
      verdict: 'fail',
      gate: { name: 'release', revision: 3 },
      suite: { name: 'smoke', revision: 4 },
      model: 'scripted:<img src=x data-injected=1>',
      thresholds: [TOO_LOW, SAFE],
      runs: 1,
    });
    await page.reload();
    const shown = await waitForVerdicts(2);
    expect(shown).toEqual([
      {
        outcome: '✗ FAIL',
        gate: '✗ FAIL release revision 3',
        facts: expect.stringMatching(/^suite smoke revision 4 · model scripted:<img src=x data-injected=1> · 1\u00a0task\u00a0run · .+/),
        time: failedAt,
      },
      {
        outcome: '✓ PASS',
        gate: '✓ PASS release revision 2',
        facts: expect.stringMatching(/^suite smoke revision 1 · model scripted:coder · 3\u00a0task\u00a0runs · .+/),
        time: passedAt,
      },
    ]);
    expect(await page.$$('[data-injected]'), 'a model name holding markup is shown as text').toHaveLength(0);
    // The list and each verdict's heading are there for a screen reader, not only for the eye.
    expect(await page.getAttribute('[data-testid=gate-verdicts]', 'aria-label')).toBe('Gate verdicts, newest first');
    expect(await page.$$eval('[data-testid=gate-verdicts] > li > h3', (headings) => headings.length)).toBe(2);

    const fail = '[data-testid=gate-verdict][data-verdict=fail]';
    expect(await page.textContent(`${fail} summary`)).toBe('2 thresholds: 1 passed, 1 failed');
    const failed = `${fail} [data-testid=gate-threshold][data-outcome=failed]`;
    expect(await page.isVisible(failed)).toBe(false);
    await page.click(`${fail} summary`);
    expect(await page.isVisible(failed)).toBe(true);
    expect(await page.textContent(failed)).toBe('✗ fail task_success 0.5 is below the minimum 0.8');

    const pass = '[data-testid=gate-verdict][data-verdict=pass]';
    expect(await page.textContent(`${pass} summary`)).toBe('2 thresholds: 1 passed, 1 skipped');
    await page.click(`${pass} summary`);
    expect(await page.$$eval(`${pass} [data-testid=gate-threshold]`, (items) => items.map((item) => item.textContent))).toEqual([
      '✓ pass g3_violations 0 is ≤ 0',
      '– skipped judge_quality was not measured, and the gate skips it',
    ]);
  });

  it('shows a verdict given while the page is open, and one given while another page was, at most ten', async () => {
    await publishVerdict({ gate: { name: 'live', revision: 1 } });
    // From the all-runs stream, with nothing reloaded; the threshold opened before stays open.
    await until(async () => (await verdictsOf(page))[0]?.gate.includes('live') === true, 100, 100);
    expect((await verdictsOf(page)).map((verdict) => verdict.gate)).toEqual([
      '✓ PASS live revision 1',
      '✗ FAIL release revision 3',
      '✓ PASS release revision 2',
    ]);
    expect(await page.isVisible('[data-testid=gate-verdict][data-verdict=fail] [data-outcome=failed]')).toBe(true);

    await page.click('[data-testid=nav-task]');
    await page.waitForSelector('[data-testid=task]');
    expect(await page.isVisible('[data-testid=gates]'), 'the panel is the home page’s').toBe(false);
    for (let count = 1; count <= 8; count++) await publishVerdict({ gate: { name: `later-${count}`, revision: 1 } });
    await page.click('[data-testid=nav-code]');
    await until(async () => (await verdictsOf(page))[0]?.gate.includes('later-8') === true, 100, 100);
    const shown = await verdictsOf(page);
    expect(shown.map((verdict) => verdict.gate.replace(/^. (PASS|FAIL) /, ''))).toEqual([
      'later-8 revision 1',
      'later-7 revision 1',
      'later-6 revision 1',
      'later-5 revision 1',
      'later-4 revision 1',
      'later-3 revision 1',
      'later-2 revision 1',
      'later-1 revision 1',
      'live revision 1',
      'release revision 3',
    ]);
    expect(pageErrors).toEqual([]);
  });
});
