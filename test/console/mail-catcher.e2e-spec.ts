/**
 * The built-in development mail catcher: never in production, the controller default in development,
 * a mailbox trimmed to MAIL_CATCHER_KEEP, and the whole VERIFY loop in Chromium with no infrastructure:
 * create a partner in the console, open the mailbox, follow the setup link, set a password, sign in.
 */
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Browser, Locator, Page } from 'playwright-core';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp } from '../support/app';
import { waitFor } from '../support/wait';
import { launchBrowser, newPage, screenshot, seriousViolations, signIn, startConsoleApp } from './support';

describe('mail catcher', () => {
  it('never starts in production: no mailbox, and no controller default without FW_EVENT_SMTP_SERVER_ADDR', async () => {
    const app = await startTestApp({
      env: { NODE_ENV: 'production', MAIL_CATCHER: 'auto', SECRETS_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` },
    });
    try {
      const root = await app.client.login(ROOT_EMAIL, ROOT_PASSWORD);
      expect((await app.client.get('/console-api/v1/settings', root)).body).toMatchObject({
        mail_catcher: false,
        controller_default: null,
      });
      const mailbox = await app.client.get('/dev/v1/mailbox', root);
      expect(mailbox.status).toBe(404);
      expect(mailbox.body.code).toBe('MAIL_CATCHER_OFF');
      const partner = await app.client.post(
        '/auth/v1/partners',
        { name: 'Prod', admin: { email: 'a@prod.test', password: ROOT_PASSWORD } },
        root,
      );
      const effective = await app.client.get(`/event/v1/email/config/effective?partner_id=${partner.body.id}`, root);
      expect(effective.body.code).toBe('NO_SMTP_CONFIG');
    } finally {
      await app.close();
    }
  });

  it('in development it is the controller default; the mailbox keeps the newest MAIL_CATCHER_KEEP messages; controller admins only', async () => {
    const app = await startTestApp({ env: { NODE_ENV: 'development', MAIL_CATCHER: 'auto', MAIL_CATCHER_KEEP: '3' } });
    try {
      const root = await app.client.login(ROOT_EMAIL, ROOT_PASSWORD);
      expect((await app.client.get('/console-api/v1/settings', root)).body).toMatchObject({
        mail_catcher: true,
        controller_default: 'mail_catcher',
      });
      const partner = await app.client.post(
        '/auth/v1/partners',
        { name: 'Dev', admin: { email: 'a@dev.test', password: ROOT_PASSWORD } },
        root,
      );
      const effective = await app.client.get(`/event/v1/email/config/effective?partner_id=${partner.body.id}`, root);
      expect(effective.body).toMatchObject({
        source: 'controller',
        email_config: { smtp_config: { host: '127.0.0.1', tls_mode: 'none' } },
      });

      const { smtp } = (await app.client.get('/dev/v1/mailbox', root)).body;
      expect(smtp.host).toBe('127.0.0.1');
      const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true });
      for (let i = 1; i <= 5; i += 1) {
        await transport.sendMail({
          from: 'a@dev.test',
          to: 'b@dev.test',
          subject: `message ${i}`,
          text: `body ${i}`,
          html: `<p>body ${i}</p><script>x()</script>`,
        });
      }
      transport.close();
      const list = (await app.client.get('/dev/v1/mailbox', root)).body;
      expect(list.total).toBe(3);
      expect(list.items.map((m: { subject: string }) => m.subject)).toEqual(['message 5', 'message 4', 'message 3']);

      const html = await app.client.get(`/dev/v1/mailbox/${list.items[0].id}/html`, root);
      expect(html.headers['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
      expect(html.headers['content-type']).toMatch(/^text\/html/);

      const partnerAdmin = await app.client.login('a@dev.test', ROOT_PASSWORD);
      expect((await app.client.get('/dev/v1/mailbox', partnerAdmin)).status).toBe(403);
    } finally {
      await app.close();
    }
  });
});

/** The outbox delivers moments after the answer: the Mailbox page's Refresh reads it again until `item` is listed. */
async function untilListed(page: Page, item: Locator, what: string): Promise<void> {
  await waitFor(
    async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await item.count()) > 0 ? true : undefined;
    },
    10_000,
    what,
  );
}

describe('ops console: VERIFY onboarding through the mailbox (Chromium)', () => {
  let browser: Browser;

  afterAll(async () => {
    await browser?.close();
  });

  it('create a partner, open its setup email in the mailbox, follow the link, set a password, sign in; reset it when forgotten', async () => {
    const app = await startConsoleApp({ MAIL_CATCHER: 'on', ACCOUNT_CREATION_STRATEGY: 'VERIFY' });
    browser = await launchBrowser();
    const { page, recorder } = await newPage(browser);
    try {
      await signIn(page, app.url, ROOT_EMAIL, ROOT_PASSWORD);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants and users' }).click();
      await page.getByRole('heading', { name: 'New partner' }).waitFor();
      // VERIFY: no password is asked for.
      expect(await page.getByLabel(/^Admin password/).count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'tenants');
      await page.getByLabel(/^Partner name/).fill('Globex');
      await page.getByLabel(/^Admin email/).fill('admin@globex.test');
      await page.getByRole('button', { name: 'Create partner' }).click();
      await page.getByText('A password-setup link is on its way to admin@globex.test.').waitFor();

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Mailbox' }).click();
      await page.getByRole('heading', { name: 'Mailbox' }).waitFor();
      const link = page.getByRole('link', { name: 'Set your password for Globex' });
      await untilListed(page, link, 'the setup email in the mailbox');
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'mailbox');
      await link.click();
      await page.getByRole('heading', { name: 'Set your password for Globex' }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('tab', { name: 'HTML' }).click();
      const frame = page.locator('iframe.mail-html');
      expect(await frame.getAttribute('sandbox')).toBe('');
      await screenshot(page, 'mailbox-message');
      await page.getByRole('tab', { name: 'Text' }).click();

      const setupLink = page.locator('.mail-text a');
      const href = await setupLink.getAttribute('href');
      expect(href).toMatch(new RegExp(`^${app.url}/auth/v1/password-setup#token=`));
      await setupLink.click();
      await page.getByLabel('New password').fill('violet canyon sunrise 88');
      await page.getByLabel('Repeat it').fill('violet canyon sunrise 88');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByText('Your password is set. You can sign in now.').waitFor();
      // The page leads on to the console's sign-in (followed below, in a browser signed in as nobody).
      expect(await page.getByRole('link', { name: 'Sign in to the ops console' }).getAttribute('href')).toBe('/console/');

      const fresh = await newPage(browser);
      await signIn(fresh.page, app.url, 'admin@globex.test', 'violet canyon sunrise 88');
      await fresh.page.getByText('Partner admin').waitFor();
      await fresh.context.close();

      // Forgotten: from the sign-in page to the reset page, whose email lands in the mailbox like the setup email.
      const forgot = await newPage(browser);
      await forgot.page.goto(`${app.url}/console/`);
      await forgot.page.getByRole('link', { name: 'Forgot your password?' }).click();
      await forgot.page.getByRole('heading', { name: 'Reset your password' }).waitFor();
      expect(await seriousViolations(forgot.page)).toEqual([]);
      await forgot.page.getByLabel('Your email address').fill('admin@globex.test');
      await forgot.page.getByRole('button', { name: 'Send me a reset link' }).click();
      await forgot.page.getByText('If an account exists for this address, a reset link is on its way.').waitFor();

      await page.goto(`${app.url}/console/mailbox`);
      const resetMail = page.getByRole('link', { name: 'Reset your password for Globex' });
      await untilListed(page, resetMail, 'the reset email in the mailbox');
      await resetMail.click();
      await page.getByRole('tab', { name: 'Text' }).click();
      const resetHref = await page.locator('.mail-text a').first().getAttribute('href');
      expect(resetHref).toMatch(new RegExp(`^${app.url}/auth/v1/password-reset#token=`));
      // Opened in the tab that asked for it: only the fragment changes, and the page reads it afresh.
      await forgot.page.goto(resetHref!);
      await forgot.page.getByLabel('New password').fill('amber harbor lantern 47');
      await forgot.page.getByLabel('Repeat it').fill('amber harbor lantern 47');
      await forgot.page.getByRole('button', { name: 'Set new password' }).click();
      await forgot.page.getByText('Your password is set and every session is signed out. You can sign in now.').waitFor();
      await forgot.page.getByRole('link', { name: 'Sign in to the ops console' }).click();
      await forgot.page.getByLabel('Email').fill('admin@globex.test');
      await forgot.page.getByLabel('Password').fill('amber harbor lantern 47');
      await forgot.page.getByRole('button', { name: 'Sign in' }).click();
      await forgot.page.getByText('Partner admin').waitFor();
      expect(forgot.recorder.cspViolations).toEqual([]);
      expect(forgot.recorder.errors).toEqual([]);
      await forgot.context.close();
      expect(recorder.errors).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
