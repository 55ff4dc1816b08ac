/**
 * The web page on a server that trusts only UMCA's own tokens, in real Chromium: a visitor sees
 * how to get in and nothing else; pasting a developer's token (umca token create) signs them in,
 * and their code runs; the API without the token still refuses them.
 */
import { join } from 'node:path';
import { createLocalTokenStore } from '@umca/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/launch-chromium.js';
import { useServer } from './support/use-server.js';

const server = useServer();
let token = '';

beforeAll(async () => {
  // A signing key in the data directory makes the server require tokens once it starts again.
  token = (
    await createLocalTokenStore({ dir: join(server().dataDir, 'auth') }).issue({ sub: 'ada', roles: ['developer'], ttlSeconds: 600 })
  ).token;
  await server().restart();
});

let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

describe('the page on a server that needs UMCA tokens', () => {
  it('asks for a token, signs in with a pasted one, and runs code as its principal', async () => {
    expect((await fetch(`${server().url}/v1/runs`)).status).toBe(401);
    const page = await browser.newPage();
    await page.goto(server().url);
    await page.waitForSelector('[data-testid=sign-in-panel]');
    expect(await page.locator('[data-testid=runs]').count()).toBe(0);
    await page.fill('[data-testid=token-field]', token);
    await page.click('[data-testid=use-token]');
    await page.waitForSelector('[data-testid=signed-in-as]');
    expect(await page.textContent('[data-testid=signed-in-as]')).toBe('ada');
    await page.fill('[data-testid=code]', 'print(6 * 7)');
    await page.click('[data-testid=run]');
    await page.waitForFunction(() => document.querySelector('[data-testid=output]')?.textContent?.includes('42'));
    await page.click('[data-testid=sign-out]');
    await page.waitForSelector('[data-testid=sign-in-panel]');
    await page.close();
  });
});
