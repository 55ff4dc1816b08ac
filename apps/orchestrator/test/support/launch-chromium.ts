/**
 * Debian's Chromium, headless, for the web page's tests (through playwright-core, which brings no
 * browser of its own). `UMCA_CHROMIUM` names another binary.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll } from 'vitest';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.UMCA_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A browser and one desktop-sized page for a test file, its uncaught page errors collected, the
 * browser closed after the file: `const { page, pageErrors } = await openChromiumPage();` at the
 * top of the file.
 */
export async function openChromiumPage(): Promise<{ browser: Browser; page: Page; pageErrors: string[] }> {
  const browser = await launchChromium();
  afterAll(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { browser, page, pageErrors };
}
