/// <reference lib="dom" />
/**
 * The console in a real browser, against `npm start`: the seed's flow as its users
 * live it, signed in with the local OpenID provider. Skipped, with a notice, where
 * Chromium is not installed (test/setup/notices.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEFAULT_DEMO_USERS, type DemoUser } from '../../local/openid/demo-users';
import { activityRecords, DELETED_KEY_ID, LONG_KEY_NAME } from '../fixtures/activity-records';
import { call } from '../support/api-client';
import { launchChromium, SCREENSHOTS, screenshot, signIn } from '../support/browser';
import { type LocalServerProcess, startLocalServer } from '../support/local-server-process';
import { hasChromium } from '../support/prerequisites';
import { makeTempDir } from '../support/temp-dir';

const [ALICE, BOB] = DEFAULT_DEMO_USERS;
/** A phone (360 and 390 px, the narrowest common ones) and a desktop. */
const WIDTHS = [360, 390, 1280] as const;
/** One tenant per width, so that each starts from an empty list. */
const LAYOUT_USERS = new Map<number, DemoUser>(
  WIDTHS.map((width) => [width, { email: `w${width}@initech.example`, password: 'layout-demo', tenant: `layout-${width}` }]),
);
const describeInBrowser = hasChromium() ? describe : describe.skip;

let server: LocalServerProcess;
let dataDir: Awaited<ReturnType<typeof makeTempDir>>;
let browser: Browser;
let consoleUrl: string;

beforeAll(async () => {
  if (!hasChromium()) return;
  dataDir = await makeTempDir('e2e-console-browser');
  const usersFile = join(dataDir.path, 'console-users.json');
  writeFileSync(usersFile, JSON.stringify([...DEFAULT_DEMO_USERS, ...LAYOUT_USERS.values()]));
  server = await startLocalServer({
    DATA_DIR: join(dataDir.path, 'data'),
    CONSOLE_SCOPES: 'orders:read orders:write',
    CONSOLE_USERS_FILE: usersFile,
    // Not the default week: the console says a key expires soon within the deployment's window.
    EXPIRY_WARNING_SECONDS: String(4 * 86_400),
  });
  consoleUrl = `${server.baseUrl}/console`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  try {
    await browser?.close();
    await server?.stop();
  } finally {
    await dataDir?.remove();
  }
});

/** A fresh browser profile that may use the clipboard; everything the page logs is kept. */
async function openConsole(width = 1280): Promise<{ context: BrowserContext; page: Page; logs: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 720 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (message) => logs.push(message.text()));
  page.on('pageerror', (error) => logs.push(error.message));
  return { context, page, logs };
}

/** All the markup the page has, the console's shadow root included (page.content() leaves it out). */
const renderedMarkup = (page: Page) =>
  page.evaluate(
    () => `${document.documentElement.outerHTML}${document.querySelector('api-key-console')?.shadowRoot?.innerHTML ?? ''}`,
  );

/** Everything the browser keeps for the page's origin and the identity provider's. */
async function browserState(page: Page, context: BrowserContext): Promise<string> {
  const storage = await page.evaluate(() =>
    JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, url: location.href }),
  );
  return storage + JSON.stringify(await context.cookies()) + JSON.stringify(await context.storageState());
}

const row = (page: Page, name: string) =>
  page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

async function submitNewKey(page: Page, name: string, scopes: string[] = []): Promise<void> {
  await page.getByRole('button', { name: 'Create API key' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  for (const scope of scopes) await page.getByRole('checkbox', { name: scope }).check();
  await page.getByRole('button', { name: 'Generate API key' }).click();
}

/** Creates a key and reads its secret; exact, since the create dialog's title also contains "API key". */
async function createKey(page: Page, name: string, scopes: string[] = []): Promise<string> {
  await submitNewKey(page, name, scopes);
  return (await page.getByLabel('API key', { exact: true }).textContent()) ?? '';
}

async function chooseAction(page: Page, name: string, action: string): Promise<void> {
  await page.getByRole('button', { name: `Actions for ${name}` }).click();
  await page.getByRole('menuitem', { name: action }).click();
}

const whoami = (key: string) => call(server.baseUrl, 'GET', '/whoami', { apiKey: key });

/** What axe finds on the page as it is: every violation, or only the serious and critical ones. */
const axeViolations = async (page: Page, { seriousOnly = false } = {}) =>
  (await new AxeBuilder({ page }).analyze()).violations
    .filter((violation) => !seriousOnly || violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
    );

/** Whether the page scrolls sideways, which it must never do. */
const scrollsSideways = (page: Page) =>
  page.evaluate(() => {
    const scrolling = document.scrollingElement;
    return scrolling !== null && scrolling.scrollWidth > scrolling.clientWidth;
  });

/** How each place the console shows `name` lays it out. */
const nameLayouts = (page: Page, name: string) =>
  page.evaluate((name) => {
    const root = document.querySelector('api-key-console')?.shadowRoot;
    return Array.from(root?.querySelectorAll<HTMLElement>('.name') ?? [])
      .filter((element) => element.textContent === name)
      .map((element) => ({
        where: element.closest('td, th')?.className ?? element.parentElement?.localName,
        oneLine: element.getBoundingClientRect().height < 1.5 * Number.parseFloat(getComputedStyle(element).lineHeight),
        cut: element.scrollWidth > element.clientWidth,
        ellipsis: getComputedStyle(element).textOverflow,
        title: element.title,
      }));
  }, name);

/** Every time the console shows, each of which must sit on one line. */
const timesOnMoreThanOneLine = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelector('api-key-console')?.shadowRoot?.querySelectorAll('time') ?? [])
      .filter((element) => element.getClientRects().length !== 1)
      .map((element) => element.textContent),
  );

// A real browser on 2 shared cores, beside the other suites: axe alone can take 20 s under that load.
jest.setTimeout(90_000);
/** A layout case runs the flow with five screenshots, four of them checked by axe: more than a case of the flow alone. */
const LAYOUT_TIMEOUT_MS = 150_000;

describeInBrowser('the console', () => {
  it('runs the seed flow: sign in, create, copy, done, use, disable, delete', async () => {
    const { context, page, logs } = await openConsole();
    const started = Date.now();
    await page.goto(consoleUrl);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const signInShownMs = Date.now() - started;
    await screenshot(page, '01-signed-out');

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(ALICE.email);
    await page.getByLabel('Password').fill(ALICE.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No API keys yet').waitFor();
    await screenshot(page, '02-empty');
    // Signing in printed none of oidc-provider's notices.
    expect(server.output()).not.toContain('oidc-provider NOTICE');

    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('CI pipeline');
    await page.getByRole('checkbox', { name: 'orders:read' }).check();
    await screenshot(page, '03-create');
    await page.getByRole('button', { name: 'Generate API key' }).click();

    const dialog = page.getByRole('dialog');
    const key = (await dialog.getByLabel('API key', { exact: true }).textContent()) ?? '';
    expect(key).toMatch(/^ak_[0-9A-Za-z]{38}$/);
    await expect(dialog.getByRole('heading').textContent()).resolves.toBe('Key created: CI pipeline');
    await expect(dialog.textContent()).resolves.toContain("You won't be able to see it again");
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await screenshot(page, '04-key-shown');

    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    // Gone from the page, and never kept by the browser, the address or a log.
    await page.evaluate(() => navigator.clipboard.writeText(''));
    expect(await renderedMarkup(page)).not.toContain(key);
    expect(await browserState(page, context)).not.toContain(key);
    expect(logs.join('\n')).not.toContain(key);

    const listed = row(page, 'CI pipeline');
    await expect(listed.textContent()).resolves.toEqual(expect.stringContaining(`…${key.slice(-4)}`));
    await expect(listed.textContent()).resolves.toEqual(expect.stringContaining('orders:read'));
    await expect(listed.textContent()).resolves.toEqual(expect.stringContaining('active'));
    await expect(listed.textContent()).resolves.toEqual(expect.stringContaining('Never'));
    await screenshot(page, '05-listed');

    const me = await whoami(key);
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ tenantId: ALICE.tenant, name: 'CI pipeline', scopes: ['orders:read'] });

    await page.getByRole('button', { name: 'Actions for CI pipeline' }).click();
    await screenshot(page, '06-row-menu');
    await page.getByRole('menuitem', { name: 'Disable' }).click();
    await listed.getByText('disabled').waitFor();
    expect((await whoami(key)).status).toBe(401);

    await chooseAction(page, 'CI pipeline', 'Delete');
    const confirm = page.getByRole('dialog', { name: 'Delete API key' });
    await expect(confirm.textContent()).resolves.toContain('CI pipeline');
    await screenshot(page, '07-delete-dialog');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No API keys yet').waitFor();
    expect(await row(page, 'CI pipeline').count()).toBe(0);
    expect((await call(server.baseUrl, 'GET', '/whoami', { apiKey: key })).status).toBe(401);
    expect(server.output()).not.toContain(key);

    // The Activity view: what happened to the key, newest first, and who did it.
    const activity = page.getByRole('table', { name: "Latest changes to your organisation's API keys" });
    await activity.getByRole('cell', { name: 'Deleted', exact: true }).waitFor();
    const changes = (await activity.getByRole('row').allTextContents()).slice(1, 4);
    expect(changes.map((text) => ['Deleted', 'Changed', 'Created'].find((action) => text.includes(action)))).toEqual([
      'Deleted',
      'Changed',
      'Created',
    ]);
    for (const text of changes) expect(text).toContain(ALICE.email);
    expect(changes[1]).toContain('enabled: true → false');
    expect(await renderedMarkup(page)).not.toContain(key);
    await screenshot(page, '08-activity');

    // Nothing any page of the flow asked for was missing: the sign-in page's favicon included.
    expect(logs.filter((line) => line.includes('Failed to load resource'))).toEqual([]);
    writeFileSync(join(SCREENSHOTS, 'timings.json'), JSON.stringify({ signInShownMs }, null, 2));
    await context.close();
  });

  it('rotates from the row menu, showing the new key once; the old key stops working', async () => {
    const { context, page } = await openConsole();
    await signIn(page, consoleUrl, ALICE);
    const oldKey = await createKey(page, 'Deploy bot');
    await page.getByRole('button', { name: 'Done' }).click();
    await chooseAction(page, 'Deploy bot', 'Rotate');
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('The old key has stopped working.');
    await expect(dialog.getByRole('heading').textContent()).resolves.toBe('Key rotated: Deploy bot');
    const newKey = (await dialog.getByLabel('API key', { exact: true }).textContent()) ?? '';
    await screenshot(page, '08-rotated');
    await dialog.getByRole('button', { name: 'Done' }).click();
    expect(newKey).not.toBe(oldKey);
    expect((await whoami(oldKey)).status).toBe(401);
    expect((await whoami(newKey)).status).toBe(200);
    expect(await renderedMarkup(page)).not.toContain(newKey);
    await context.close();
  });

  it('revokes from the row menu once confirmed: the key stops working and is listed as revoked; a key expiring soon says when', async () => {
    const { context, page } = await openConsole();
    await signIn(page, consoleUrl, ALICE);
    const leaked = await createKey(page, 'Pasted in chat');
    await page.getByRole('button', { name: 'Done' }).click();
    await chooseAction(page, 'Pasted in chat', 'Revoke');
    const confirm = page.getByRole('dialog', { name: 'Revoke API key' });
    await expect(confirm.textContent()).resolves.toContain('can never work again');
    await screenshot(page, '09-revoke-dialog');
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await row(page, 'Pasted in chat').getByText('revoked', { exact: true }).waitFor();
    expect((await whoami(leaked)).status).toBe(401);
    // Ended for good: neither enabled again nor rotated from the menu, only deleted.
    await page.getByRole('button', { name: 'Actions for Pasted in chat' }).click();
    const items = await page.getByRole('menu').getByRole('menuitem').allTextContents();
    expect(items.map((item) => item.trim())).toEqual(['Delete']);
    await page.keyboard.press('Escape');

    /** A key that expires at the end of the day `days` from now, as the dialog sets it. */
    const createExpiring = async (name: string, days: number) => {
      const then = new Date(Date.now() + days * 86_400_000);
      const day = `${then.getFullYear()}-${String(then.getMonth() + 1).padStart(2, '0')}-${String(then.getDate()).padStart(2, '0')}`;
      await page.getByRole('button', { name: 'Create API key' }).click();
      await page.getByRole('textbox', { name: 'Name' }).fill(name);
      await page.getByLabel('Expires on (optional)').fill(day);
      await page.getByRole('button', { name: 'Generate API key' }).click();
      await page.getByRole('button', { name: 'Done' }).click();
      await row(page, name).waitFor();
    };
    await createExpiring('Trial', 2);
    await expect(
      row(page, 'Trial')
        .getByText(/^expires in [23] days$/)
        .count(),
    ).resolves.toBe(1);
    // Five days ahead is beyond this deployment's window of four: nothing said yet.
    await createExpiring('Next week', 5);
    await expect(
      row(page, 'Next week')
        .getByText(/^expires in/)
        .count(),
    ).resolves.toBe(0);
    await context.close();
  });

  it("shows a user only their own tenant's keys, and refuses the other tenant's even to edited requests", async () => {
    const alice = await openConsole();
    await signIn(alice.page, consoleUrl, ALICE);
    const aliceKey = await createKey(alice.page, 'Acme billing');
    await alice.page.getByRole('button', { name: 'Done' }).click();
    const aliceKeyId = (await call(server.baseUrl, 'GET', '/whoami', { apiKey: aliceKey })).json.keyId as string;

    const bob = await openConsole();
    const bobRequest = bob.page.waitForRequest((request) => request.url().endsWith('/console/api/keys?limit=100'));
    await signIn(bob.page, consoleUrl, BOB);
    await bob.page.getByText('No API keys yet').waitFor();
    expect(await renderedMarkup(bob.page)).not.toContain('Acme billing');
    await screenshot(bob.page, '09-other-tenant');

    // Bob's own token, replayed by hand against Alice's key and with a tenant of his choosing.
    const authorization = (await bobRequest).headers().authorization;
    const asBob = (method: string, path: string, body?: unknown) =>
      call(server.baseUrl, method, `/console/api${path}`, { body, headers: { authorization } });
    for (const [method, path, body] of [
      ['GET', `/keys/${aliceKeyId}`],
      ['PATCH', `/keys/${aliceKeyId}`, { enabled: false }],
      ['POST', `/keys/${aliceKeyId}/rotate`, {}],
      ['DELETE', `/keys/${aliceKeyId}`],
    ] as const) {
      expect((await asBob(method, path, body)).status).toBe(404);
    }
    expect((await asBob('POST', '/keys', { name: 'Sneaky', tenantId: ALICE.tenant })).status).toBe(400);
    expect((await asBob('GET', `/keys?tenantId=${ALICE.tenant}`)).status).toBe(400);
    const listed = await asBob('GET', '/keys');
    expect(listed.json.items).toEqual([]);
    expect((await whoami(aliceKey)).status).toBe(200);
    await alice.context.close();
    await bob.context.close();
  });

  it('renders a hostile key name as text, never as HTML', async () => {
    const { context, page } = await openConsole();
    const alerts: string[] = [];
    page.on('dialog', async (dialog) => {
      alerts.push(dialog.message());
      await dialog.dismiss();
    });
    await signIn(page, consoleUrl, ALICE);
    const name = '<img src=x onerror=alert(1)>';
    await createKey(page, name);
    await expect(page.getByRole('dialog').getByRole('heading').textContent()).resolves.toContain(name);
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(row(page, name).getByRole('rowheader').textContent()).resolves.toBe(name);
    expect(await page.evaluate(() => document.querySelector('api-key-console')?.shadowRoot?.querySelectorAll('img').length)).toBe(
      0,
    );
    await chooseAction(page, name, 'Delete');
    await expect(page.getByRole('dialog').textContent()).resolves.toContain(name);
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(alerts).toEqual([]);
    await context.close();
  });

  it('says plainly what went wrong: an escalation (403), a conflict (409), throttling (429), an outage (503)', async () => {
    const { context, page } = await openConsole();
    await signIn(page, consoleUrl, ALICE);
    // A request edited to ask for a scope console users may not grant: the API refuses it, and the page says why.
    await page.route('**/console/api/keys', async (route) => {
      const request = route.request();
      if (request.method() !== 'POST') return route.continue();
      return route.continue({ postData: JSON.stringify({ ...request.postDataJSON(), scopes: ['keys:manage'] }) });
    });
    await submitNewKey(page, 'Escalated');
    await page.getByRole('alert').getByText('console users may not grant scope "keys:manage"').waitFor();
    await screenshot(page, '10-escalation');
    await page.unroute('**/console/api/keys');

    const answers: [number, string, string][] = [
      [409, 'The key has been rotated already; rotate its replacement instead.', 'rotate its replacement instead'],
      [429, 'Too many requests; slow down and retry.', 'Too many requests. Wait a moment'],
      [503, 'The service is temporarily unavailable; retry shortly.', 'The service is unavailable right now'],
    ];
    for (const [status, detail, shown] of answers) {
      await page.route('**/console/api/keys', (route) =>
        route.request().method() === 'POST'
          ? route.fulfill({ status, contentType: 'application/problem+json', body: JSON.stringify({ status, detail }) })
          : route.continue(),
      );
      await page.getByRole('button', { name: 'Generate API key' }).click();
      await page.getByRole('alert').getByText(shown).waitFor();
      await page.unroute('**/console/api/keys');
    }
    await context.close();
  });

  it('has no serious or critical accessibility violations, and works from the keyboard', async () => {
    const { context, page } = await openConsole();
    await page.goto(consoleUrl);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const serious = () => axeViolations(page, { seriousOnly: true });
    expect(await serious()).toEqual([]);

    await signIn(page, consoleUrl, ALICE);
    const focused = () =>
      page.evaluate(() => {
        const element = document.querySelector('api-key-console')?.shadowRoot?.activeElement;
        return element?.getAttribute('aria-label') ?? (element?.id || element?.textContent?.trim());
      });
    // Create a key without the mouse: the dialog takes focus, Enter submits, Tab reaches Done.
    await page.getByRole('button', { name: 'Create API key' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('textbox', { name: 'Name' }).waitFor();
    expect(await focused()).toBe('key-name');
    expect(await serious()).toEqual([]);
    await page.keyboard.type('Keyboard key');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    expect(await serious()).toEqual([]);
    expect(await focused()).toBe('Copy');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Done');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    // The row menu: Enter opens it on its first item, arrows move, Escape closes it back onto its button.
    await page.getByRole('button', { name: 'Actions for Keyboard key' }).focus();
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('Disable');
    expect(await serious()).toEqual([]);
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('Rotate');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe('Delete');
    await page.keyboard.press('Escape');
    expect(await focused()).toBe('Actions for Keyboard key');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Delete API key' }).waitFor();
    expect(await serious()).toEqual([]);
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await row(page, 'Keyboard key').count()).toBe(0);
    await context.close();
  });
});

describeInBrowser('the console on phones and on a desktop', () => {
  it.each(WIDTHS)(
    'at %i px: no sideways scroll, names on one line cut by an ellipsis and whole to assistive technology, times read as people say them, and nothing for axe',
    async (width) => {
      const user = LAYOUT_USERS.get(width)!;
      const { context, page } = await openConsole(width);
      // The Activity view's records, in both shapes the API has served: with the keys' names, and older ones with ids only.
      await page.route(
        (url) => url.pathname.endsWith('/console/api/audit'),
        (route) => route.fulfill({ json: { items: activityRecords(Date.now()), nextCursor: null } }),
      );
      const step = async (name: string) => {
        await screenshot(page, `${width}px-${name}`, { fullPage: true });
        expect(await scrollsSideways(page)).toBe(false);
        expect(await axeViolations(page)).toEqual([]);
      };

      await page.goto(consoleUrl);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await step('01-signed-out');
      await signIn(page, consoleUrl, user);
      const reader = await createKey(page, 'Order reader', ['orders:read', 'orders:write']);
      await page.getByRole('button', { name: 'Done' }).click();
      expect((await whoami(reader)).status).toBe(200);

      await createKey(page, LONG_KEY_NAME, ['orders:read']);
      const shown = page.getByRole('dialog', { name: `Key created: ${LONG_KEY_NAME}` });
      await expect(shown.getByRole('heading').textContent()).resolves.toBe(`Key created: ${LONG_KEY_NAME}`);
      await step('02-key-shown');
      expect(await nameLayouts(page, LONG_KEY_NAME)).toContainEqual({
        where: 'h2',
        oneLine: true,
        cut: true,
        ellipsis: 'ellipsis',
        title: LONG_KEY_NAME,
      });
      await shown.getByRole('button', { name: 'Done' }).click();

      const listed = row(page, LONG_KEY_NAME);
      await listed.waitFor();
      await row(page, 'Order reader')
        .getByText(/ago|now/)
        .waitFor();
      await page.getByRole('cell', { name: 'Back office (API key)' }).waitFor();
      await step('03-keys-and-activity');
      // One line each, cut with an ellipsis, the whole name in the title on hover: in the list, its menu's name, the Activity view.
      const layouts = await nameLayouts(page, LONG_KEY_NAME);
      expect(layouts.map(({ where }) => where)).toEqual(['key-name', 'key']);
      for (const layout of layouts)
        expect(layout).toMatchObject({ oneLine: true, cut: true, ellipsis: 'ellipsis', title: LONG_KEY_NAME });
      await expect(listed.getByRole('button', { name: `Actions for ${LONG_KEY_NAME}`, exact: true }).count()).resolves.toBe(1);
      expect(await timesOnMoreThanOneLine(page)).toEqual([]);

      const activity = page.getByRole('table', { name: "Latest changes to your organisation's API keys" });
      const changes = await activity.getByRole('row').allTextContents();
      const compact = changes.slice(1).map((text) => text.replace(/\s+/g, ' ').trim());
      expect(compact[0]).toContain('Order reader');
      expect(compact[0]).toContain('Back office (API key)');
      expect(compact[0]).toContain(
        `expiresAt: none → ${new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(Date.parse('2099-12-31T23:59:59.000Z'))}`,
      );
      expect(compact[0]).not.toContain('2099-12-31T');
      expect(compact[2]).toContain('plan: free → pro');
      expect(compact[3]).toContain(DELETED_KEY_ID);
      expect(compact[3]).toContain('API key key_');
      // Exact instants on hover.
      await expect(activity.locator('time[datetime="2099-12-31T23:59:59.000Z"]').getAttribute('title')).resolves.toBe(
        '2099-12-31T23:59:59.000Z',
      );

      await listed.getByRole('button', { name: `Actions for ${LONG_KEY_NAME}` }).click();
      await screenshot(page, `${width}px-04-row-menu`, { fullPage: true });
      expect(await scrollsSideways(page)).toBe(false);
      await page.getByRole('menuitem', { name: 'Delete' }).click();
      await page.getByRole('dialog', { name: 'Delete API key' }).waitFor();
      await step('05-delete-dialog');
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await listed.waitFor({ state: 'detached' });
      await context.close();
    },
    LAYOUT_TIMEOUT_MS,
  );
});
