/**
 * The web UI's sessions in a real headless Chromium against a real `umca serve`: the list of the
 * caller's sessions, opening one from it, and a session as a notebook: the runs made over the API
 * as cells (code, output, a plot shown as a picture), a new cell run from the page in the state the
 * last one left (Ctrl+Enter), Pause (the session to disk, as its idle TTL would) and the next cell
 * resuming it, End; output holding markup shown as text; a JavaScript session opened from the
 * list, its names kept from cell to cell; a session that is not there said so.
 */
import { describe, expect, it } from 'vitest';
import { openChromiumPage } from './support/launch-chromium.js';
import { until } from './support/until.js';
import { useServer } from './support/use-server.js';

const server = useServer();
const { page, pageErrors } = await openChromiumPage();

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server().url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, unknown>;
}

const cells = () =>
  page.$$eval('[data-testid=cell]', (items) =>
    items.map((item) => ({
      code: item.querySelector('[data-testid=cell-code]')?.textContent ?? '',
      output: item.querySelector('[data-testid=cell-output]')?.textContent ?? '',
      status: item.querySelector('[data-testid=status]')?.textContent ?? '',
      pictures: item.querySelectorAll('[data-testid=output-picture]').length,
    })),
  );
const statusShown = () => page.textContent('[data-testid=session-facts] [data-testid=status]');

describe('sessions in the web UI', () => {
  it('shows a session as a notebook, runs a cell in its state, pauses it, and resumes it with the next cell', async () => {
    const opened = await call('POST', '/v1/sessions', { language: 'python' });
    const id = String(opened.id);
    await call('POST', `/v1/sessions/${id}/executions`, {
      language: 'python',
      code: 'import pandas as pd\ndf = pd.DataFrame({"city": ["Oslo", "Lima", "Oslo"], "sales": [3, 5, 4]})\nprint(len(df))',
    });
    await call('POST', `/v1/sessions/${id}/executions`, {
      language: 'python',
      code: 'import matplotlib.pyplot as plt\ndf.groupby("city")["sales"].sum().plot.bar()\nplt.savefig("totals.png")\nprint("<b>bold</b>")',
    });

    await page.goto(`${server().url}/#/sessions`);
    await page.waitForSelector(`[data-testid=session-item][data-session-id="${id}"]`);
    await page.click(`[data-testid=session-item][data-session-id="${id}"] a`);
    await until(async () => (await cells()).length === 2, 200, 50);
    expect(await cells()).toEqual([
      { code: expect.stringContaining('pd.DataFrame'), output: '3\n', status: 'ok', pictures: 0 },
      { code: expect.stringContaining('plt.savefig'), output: '<b>bold</b>\n', status: 'ok', pictures: 1 },
    ]);
    expect(await page.$$('[data-testid=cell-output] b')).toHaveLength(0);
    expect(await statusShown()).toBe('active');

    await page.fill('[data-testid=cell-input]', 'print(df["sales"].sum())');
    await page.press('[data-testid=cell-input]', 'Control+Enter');
    await until(async () => (await cells()).length === 3 && (await cells())[2]?.status === 'ok', 400, 50);
    expect((await cells())[2]).toMatchObject({ code: 'print(df["sales"].sum())', output: '12\n' });

    await page.click('[data-testid=pause-session]');
    await until(async () => (await statusShown()) === 'paused', 400, 50);
    expect(await page.textContent('[data-testid=session-facts]')).toMatch(/paused .* MiB on disk/);
    expect(await page.isVisible('[data-testid=pause-session]')).toBe(false);

    await page.fill('[data-testid=cell-input]', 'print(df["city"].tolist())');
    await page.click('[data-testid=run-cell]');
    await until(async () => (await cells()).length === 4 && (await cells())[3]?.status === 'ok', 400, 50);
    expect((await cells())[3]?.output).toBe("['Oslo', 'Lima', 'Oslo']\n");
    expect(await statusShown()).toBe('active');

    await page.click('[data-testid=end-session]');
    await until(async () => (await statusShown()) === 'ended', 400, 50);
    expect(await page.textContent('[data-testid=session-ended]')).toBe('ended: its owner ended it');
    expect(await page.isDisabled('[data-testid=cell-input]')).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('opens a session from the list, and says plainly when a session is not there', async () => {
    await page.goto(`${server().url}/#/sessions`);
    await page.selectOption('[data-testid=session-runtime]', 'quickjs');
    await page.click('[data-testid=open-session]');
    await until(async () => /^#\/sessions\/ses_/.test(await page.evaluate(() => location.hash)), 200, 50);
    await until(async () => (await statusShown()) === 'active', 200, 50);
    expect(await page.textContent('[data-testid=session-facts]')).toMatch(/javascript on quickjs/);
    expect(await page.getAttribute('[data-testid=cell-input]', 'placeholder')).toMatch(/^JavaScript, run in the state/);
    // A JavaScript session cannot pause: no Pause button.
    expect(await page.isVisible('[data-testid=pause-session]')).toBe(false);
    await page.fill('[data-testid=cell-input]', 'let x = 6 * 7;\nconsole.log(x);');
    await page.click('[data-testid=run-cell]');
    await until(async () => (await cells())[0]?.status === 'ok', 400, 50);
    await page.fill('[data-testid=cell-input]', 'console.log(x + 1);');
    await page.click('[data-testid=run-cell]');
    await until(async () => (await cells())[1]?.status === 'ok', 400, 50);
    expect((await cells()).map((cell) => cell.output)).toEqual(['42\n', '43\n']);

    await page.goto(`${server().url}/#/sessions/ses_not_there`);
    await page.waitForSelector('[data-testid=session-problem]:not([hidden])');
    expect(await page.textContent('[data-testid=session-problem]')).toBe('there is no session ses_not_there');
    expect(pageErrors).toEqual([]);
  });
});
