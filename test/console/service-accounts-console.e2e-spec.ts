/**
 * Service accounts in the ops console, in Chromium, against the real service, real Postgres and a real
 * SMTP server as the controller route: a partner admin creates an account and sees its token once (copy
 * button, curl example from the page's origin); the token, used from outside the browser, sends a
 * system email that is delivered and reads it back; a duplicate name is refused beside the name (the form
 * offers only the permissions the role may grant); after leaving the page or reloading, the
 * token is nowhere on it and no response but the creation answer ever held it; revoking names the
 * account and the token answers 401 from then on. A controller admin works per picked partner; an org
 * admin has no such page and its address shows the API's refusal. Every view is scanned with axe-core,
 * and a narrow window must not scroll sideways.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT_EMAIL, ROOT_PASSWORD } from '../support/app';
import { startSmtpServer, TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';
import { buildWorld, PASSWORD, World } from '../support/world';
import { ConsoleApp, fitsWidth, launchBrowser, newPage, Recorder, screenshot, seriousViolations, signIn, startConsoleApp } from './support';

const TOKEN = /^mst_[A-Za-z0-9_-]{43}$/;

describe('ops console: service accounts (Chromium)', () => {
  let app: ConsoleApp;
  let smtp: TestSmtpServer;
  let w: World;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let recorder: Recorder;
  /** The token the partner admin created in the browser, as the page showed it. */
  let token: string;
  const violations: Record<string, unknown[]> = {};

  const scan = async (target: Page, name: string) => {
    violations[name] = await seriousViolations(target);
    await screenshot(target, name);
  };
  const nav = (target: Page) => target.getByRole('navigation', { name: 'Main' });
  const row = (target: Page, name: string) => target.locator(`tr[data-account="${name}"]`);
  /** Node's own HTTP client against the service's port, as a platform component would call it. */
  const call = async (method: string, path: string, bearer: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  /** A system email of partner A's, sent with a service account's token. */
  const sendSystemEmail = (bearer: string, message: { to: string[]; subject: string; text: string }) =>
    call('POST', '/event/v1/email/messages', bearer, { partner_id: w.partnerA.id, ...message });

  beforeAll(async () => {
    smtp = await startSmtpServer({ tls: 'none' });
    app = await startConsoleApp({
      FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
      FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
      FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
      EMAIL_POLL_INTERVAL_MS: '25',
    });
    w = await buildWorld(app.client, 'sac');
    // Accounts the controller admin will find: one of partner B, one platform-wide.
    for (const [creator, name] of [
      [w.partnerB.admin.token, 'b-alerting'],
      [w.root.token, 'provisioning'],
    ] as const) {
      expect((await app.client.post('/auth/v1/service-accounts', { name, permissions: ['email:send'] }, creator)).status).toBe(201);
    }
    browser = await launchBrowser();
    ({ context, page, recorder } = await newPage(browser));
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await smtp?.close();
  });

  it('a partner admin creates an account with email:send and email:read and sees its token once', async () => {
    await signIn(page, app.url, w.partnerA.admin.email, PASSWORD);
    await nav(page).getByRole('link', { name: 'Service accounts' }).click();
    await page.getByRole('heading', { name: 'Live accounts of PartnerA-sac' }).waitFor();
    await page.getByTestId('no-accounts').waitFor();
    // Only what a partner admin may grant; partner:create is the controller's.
    const offered = await page
      .locator('#permissions input[type="checkbox"]')
      .evaluateAll((boxes) => boxes.map((b) => (b as unknown as { labels: { textContent: string }[] }).labels[0]!.textContent));
    expect(offered).toEqual(['email:send', 'email:read', 'partner:read', 'organization:read', 'system_setting:read', 'audit:read']);
    await expect(page.getByTestId('usage-example').textContent()).resolves.toContain(
      `curl -s -X POST ${app.url}/event/v1/email/messages \\\n  -H "Authorization: Bearer $MAILSTRATA_TOKEN"`,
    );
    await scan(page, 'accounts-empty');

    await page.getByLabel(/^Name/).fill('billing');
    await page.getByLabel('email:send', { exact: true }).check();
    await page.getByLabel('email:read', { exact: true }).check();
    await page.getByRole('button', { name: 'Create account' }).click();

    const panel = page.getByTestId('new-token-panel');
    await panel.waitFor();
    token = (await page.getByTestId('new-token').textContent())!.trim();
    expect(token).toMatch(TOKEN);
    await expect(panel.textContent()).resolves.toMatch(/shown this once.*can show it\s+again/s);
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('token-title');
    // The example next to the new token carries it; the general one keeps the placeholder.
    await expect(panel.locator('pre').textContent()).resolves.toContain(`-H "Authorization: Bearer ${token}"`);
    await expect(panel.locator('pre').textContent()).resolves.toContain(`"partner_id":"${w.partnerA.id}"`);
    await expect(page.getByTestId('usage-example').textContent()).resolves.not.toContain(token);

    await panel.getByRole('button', { name: 'Copy token' }).click();
    await panel.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(token);

    const created = row(page, 'billing');
    await created.waitFor();
    await expect(created.textContent()).resolves.toMatch(/PartnerA-sac.*email:send.*email:read.*admin@partnera-sac\.sac\.test/s);
    expect(await created.getByTestId('last-used').textContent()).toBe('Never');
    // The form is empty again, ready for the next account.
    expect(await page.getByLabel(/^Name/).inputValue()).toBe('');
    expect(await page.getByLabel('email:send', { exact: true }).isChecked()).toBe(false);
    await scan(page, 'account-created');
  });

  it('the token, used outside the browser, sends a system email through the controller route and reads it back', async () => {
    const sent = await sendSystemEmail(token, {
      to: ['oncall@partnera.sac.test'],
      subject: 'Sent with a service account',
      text: 'From the service-accounts console suite.',
    });
    expect(sent.status).toBe(202);
    const [message] = await smtp.waitForMessages(1, 20_000);
    expect(message!.envelopeTo).toEqual(['oncall@partnera.sac.test']);
    expect(message!.subject).toBe('Sent with a service account');
    const read = await waitFor(
      async () => {
        const res = await call('GET', `/event/v1/email/messages/${sent.body.id}`, token);
        return res.body?.status === 'sent' ? res : undefined;
      },
      20_000,
      'the message to be sent',
    );
    expect(read.body).toMatchObject({ subject: 'Sent with a service account', producer: { type: 'service_account', name: 'billing' } });

    // The list shows the account in use (written off the request's path, so it may take a moment).
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await row(page, 'billing').waitFor();
        return (await row(page, 'billing').getByTestId('last-used').textContent()) !== 'Never' || undefined;
      },
      10_000,
      'last used to show',
    );
  });

  it('a duplicate name shows the API’s 409 beside the name', async () => {
    await page.getByLabel(/^Name/).fill('billing');
    await page.getByLabel('email:send', { exact: true }).check();
    await page.getByRole('button', { name: 'Create account' }).click();
    const error = page.locator('#f-sa-name-error');
    await error.waitFor();
    await expect(error.textContent()).resolves.toMatch(/already taken/);
    expect(await page.getByLabel(/^Name/).getAttribute('aria-invalid')).toBe('true');
    await expect(page.getByRole('alert').first().textContent()).resolves.toMatch(/already exists/);
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === 'f-sa-name');
    await scan(page, 'duplicate-name');
    expect(await page.locator('tr[data-account="billing"]').count()).toBe(1);
  });

  it('the token is gone after leaving the page or reloading, and no response but its creation ever held it', async () => {
    expect(await page.getByTestId('new-token-panel').count()).toBe(1);
    await nav(page).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await nav(page).getByRole('link', { name: 'Service accounts' }).click();
    await row(page, 'billing').waitFor();
    expect(await page.getByTestId('new-token-panel').count()).toBe(0);

    await page.reload();
    await row(page, 'billing').waitFor();
    await page.waitForLoadState('networkidle');
    const html = await page.content();
    expect(html).not.toContain(token);
    expect(page.url()).not.toContain(token);
    const stored: string = await page.evaluate(() => {
      const g = globalThis as any;
      return JSON.stringify([{ ...g.localStorage }, { ...g.sessionStorage }, g.document.cookie, g.history.state]);
    });
    expect(stored).not.toContain(token);

    const holding = recorder.bodies.filter((body) => body.includes(token));
    expect(holding).toHaveLength(1);
    expect(JSON.parse(holding[0]!)).toMatchObject({ name: 'billing', token });
    expect(recorder.bodies.filter((body) => body.includes('"billing"')).length).toBeGreaterThan(3);
  });

  it('revoking asks for confirmation naming the account; the list updates and the token answers 401', async () => {
    expect((await call('GET', '/auth/v1/me', token)).status).toBe(200);
    await page.getByRole('button', { name: /^Revoke billing\s?…$/ }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('heading').textContent()).resolves.toBe('Revoke billing?');
    await expect(dialog.textContent()).resolves.toMatch(/token of billing is refused at once/);
    await scan(page, 'revoke-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await row(page, 'billing').count()).toBe(1);

    await page.getByRole('button', { name: /^Revoke billing\s?…$/ }).click();
    await dialog.getByRole('button', { name: 'Revoke billing', exact: true }).click();
    await page.getByText('Revoked billing: its token is refused from now on.').waitFor();
    await page.getByTestId('no-accounts').waitFor();
    const refused = await call('GET', '/auth/v1/me', token);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('SESSION_INVALID');
    const send = await sendSystemEmail(token, { to: ['x@y.test'], subject: 's', text: 't' });
    expect(send.status).toBe(401);
  });

  it('a controller admin sees the accounts of the picked partner, or all of them', async () => {
    const root = await newPage(browser);
    try {
      await signIn(root.page, app.url, ROOT_EMAIL, ROOT_PASSWORD);
      await root.page.getByLabel('Partner', { exact: true }).selectOption('');
      await nav(root.page).getByRole('link', { name: 'Service accounts' }).click();
      await root.page.getByRole('heading', { name: 'Live accounts of every partner, and platform-wide' }).waitFor();
      await row(root.page, 'provisioning').waitFor();
      expect(await row(root.page, 'provisioning').locator('td').first().textContent()).toBe('Platform-wide');
      expect(await row(root.page, 'b-alerting').locator('td').first().textContent()).toBe('PartnerB-sac');
      await root.page.getByRole('heading', { name: 'New platform-wide account' }).waitFor();
      expect(await root.page.getByLabel('partner:create', { exact: true }).count()).toBe(1);
      await scan(root.page, 'controller-all');

      await root.page.getByLabel('Partner', { exact: true }).selectOption({ label: 'PartnerB-sac' });
      await root.page.getByRole('heading', { name: 'Live accounts of PartnerB-sac' }).waitFor();
      await row(root.page, 'b-alerting').waitFor();
      expect(await root.page.locator('tr[data-account]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account')))).toEqual([
        'b-alerting',
      ]);
      expect(await root.page.getByLabel('partner:create', { exact: true }).count()).toBe(0);

      await root.page.getByLabel(/^Name/).fill('b-billing');
      await root.page.getByLabel('email:send', { exact: true }).check();
      await root.page.getByLabel('audit:read', { exact: true }).check();
      await root.page.getByRole('button', { name: 'Create account' }).click();
      await root.page.getByTestId('new-token-panel').waitFor();
      await expect(root.page.getByTestId('new-token-panel').textContent()).resolves.toContain(
        'For PartnerB-sac, with email:send, audit:read',
      );
      await row(root.page, 'b-billing').waitFor();
      const listed = await app.client.get('/auth/v1/service-accounts', w.partnerB.admin.token);
      expect(listed.body.items.map((a: { name: string }) => a.name)).toEqual(['b-alerting', 'b-billing']);
      await scan(root.page, 'controller-partner');

      // Picking another partner drops the token from the screen.
      await root.page.getByLabel('Partner', { exact: true }).selectOption({ label: 'PartnerA-sac' });
      await root.page.getByRole('heading', { name: 'Live accounts of PartnerA-sac' }).waitFor();
      expect(await root.page.getByTestId('new-token-panel').count()).toBe(0);
      expect(root.recorder.cspViolations).toEqual([]);
      expect(root.recorder.errors).toEqual([]);
    } finally {
      await root.context.close();
    }
  });

  it('an org admin has no such page in the navigation, and its address shows the API’s refusal', async () => {
    const org = await newPage(browser);
    try {
      await signIn(org.page, app.url, w.orgA1.admin.email, PASSWORD);
      await nav(org.page).getByRole('link', { name: 'Overview' }).waitFor();
      expect(await nav(org.page).getByRole('link', { name: 'Service accounts' }).count()).toBe(0);
      await org.page.goto(`${app.url}/console/service-accounts`);
      const refusal = org.page.getByTestId('refusal');
      await refusal.waitFor();
      expect(await refusal.textContent()).toBe('This needs the service_account:manage permission, which the org_admin role does not have.');
      expect(await org.page.getByRole('button', { name: 'Create account' }).count()).toBe(0);
      await scan(org.page, 'org-admin-refused');
      expect(org.recorder.cspViolations).toEqual([]);
    } finally {
      await org.context.close();
    }
  });

  it('no view has serious or critical accessibility violations, CSP violations or script errors', () => {
    expect(Object.keys(violations)).toEqual(
      expect.arrayContaining([
        'accounts-empty',
        'account-created',
        'duplicate-name',
        'revoke-dialog',
        'controller-all',
        'controller-partner',
        'org-admin-refused',
      ]),
    );
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
    expect(recorder.cspViolations).toEqual([]);
    expect(recorder.errors).toEqual([]);
  });

  it('works in a narrow window, a new token included: no sideways scrolling', async () => {
    const narrow = await newPage(browser, { width: 390, height: 844 });
    try {
      await signIn(narrow.page, app.url, w.partnerA.admin.email, PASSWORD);
      await narrow.page.goto(`${app.url}/console/service-accounts`);
      await narrow.page.getByRole('heading', { name: 'Live accounts of PartnerA-sac' }).waitFor();
      await narrow.page.getByLabel(/^Name/).fill('a-narrow-window-account-with-a-rather-long-name');
      await narrow.page.getByLabel('email:send', { exact: true }).check();
      await narrow.page.getByRole('button', { name: 'Create account' }).click();
      await narrow.page.getByTestId('new-token-panel').waitFor();
      await row(narrow.page, 'a-narrow-window-account-with-a-rather-long-name').waitFor();
      expect(await fitsWidth(narrow.page)).toBe(true);
      await screenshot(narrow.page, 'service-accounts-narrow');
      expect(narrow.recorder.cspViolations).toEqual([]);
    } finally {
      await narrow.context.close();
    }
  });
});
