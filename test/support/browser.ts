/**
 * The console's browser suite: Debian's Chromium driven by playwright-core, and
 * screenshots of each step in test-output/console/ (not committed).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from './prerequisites';

export const SCREENSHOTS = resolve(__dirname, '../../test-output/console');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: options.fullPage ?? false });
}

/** Signs in on the console's own page, through the local OpenID provider's form, and waits for the key list. */
export async function signIn(page: Page, consoleUrl: string, user: { email: string; password: string }): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Create API key' }).waitFor();
  await page.getByText('Loading keys…').waitFor({ state: 'detached' });
}
