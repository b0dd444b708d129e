/**
 * A partner admin configures SMTP in the ops console, in Chromium, against the real service, real
 * Postgres and real SMTP servers: sign in, fill the form (CA from a file), a test with a wrong password
 * stops at AUTH with the server's 535, the fixed one passes, save moves the route from the controller
 * default to the partner; an org's switch and profile move it to the org; a stale save shows the
 * conflict; delete falls back; the audit page lists it all; an email sent for the partner shows in the
 * delivery log as sent, with the attempt's route to the partner's server. Each page is scanned with axe-core, and no
 * response the page received contains a secret that was typed.
 */
import type { Browser, Page } from 'playwright-core';
import { ROOT_EMAIL, ROOT_PASSWORD } from '../support/app';
import { waitFor } from '../support/wait';
import { startSmtpServer, testCertificates, TestSmtpServer } from '../support/smtp';
import { ConsoleApp, fitsWidth, launchBrowser, newPage, Recorder, screenshot, seriousViolations, signIn, startConsoleApp } from './support';

const ADMIN = 'admin@acme.console.test';
const ADMIN_PASSWORD = 'acme partner passphrase 7';
const WRONG_PASSWORD = 'wrong-smtp-password-1f3a';
const RIGHT_PASSWORD = 'right-smtp-password-9c2e';

describe('ops console: SMTP configuration (Chromium)', () => {
  let app: ConsoleApp;
  let browser: Browser;
  let page: Page;
  let recorder: Recorder;
  let partnerSmtp: TestSmtpServer;
  let orgSmtp: TestSmtpServer;
  let partnerId: string;
  let orgA1: string;
  let adminToken: string;
  let rootToken: string;
  const violations: Record<string, unknown[]> = {};

  const scan = async (name: string) => {
    violations[name] = await seriousViolations(page);
    await screenshot(page, name);
  };
  const inForce = (testId: string) => page.locator(`[data-testid="${testId}"]`).getAttribute('data-level');

  beforeAll(async () => {
    partnerSmtp = await startSmtpServer({ tls: 'starttls', users: { 'mailer@acme.test': RIGHT_PASSWORD } });
    orgSmtp = await startSmtpServer({ tls: 'none' });
    app = await startConsoleApp({
      MAIL_CATCHER: 'on',
      SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
      SMTP_ALLOWED_PORTS: `${partnerSmtp.port},${orgSmtp.port}`,
    });
    rootToken = await app.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const partner = await app.client.post(
      '/auth/v1/partners',
      { name: 'Acme', admin: { email: ADMIN, password: ADMIN_PASSWORD } },
      rootToken,
    );
    expect(partner.status).toBe(201);
    partnerId = partner.body.id;
    adminToken = await app.client.login(ADMIN, ADMIN_PASSWORD);
    for (const name of ['OrgA1', 'OrgA2']) {
      const org = await app.client.post(
        '/auth/v1/organizations',
        { name, admin: { email: `admin@${name.toLowerCase()}.console.test`, password: ADMIN_PASSWORD } },
        adminToken,
      );
      expect(org.status).toBe(201);
      if (name === 'OrgA1') orgA1 = org.body.id;
    }
    browser = await launchBrowser();
    ({ page, recorder } = await newPage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await partnerSmtp?.close();
    await orgSmtp?.close();
  });

  it('signs in and shows the controller default in force for the partner and its orgs', async () => {
    await page.goto(`${app.url}/console/login`);
    await scan('sign-in');
    await signIn(page, app.url, ADMIN, ADMIN_PASSWORD);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator(`[data-testid="in-force-${orgA1}"]`).waitFor();
    expect(await inForce(`in-force-${partnerId}`)).toBe('controller');
    expect(await inForce(`in-force-${orgA1}`)).toBe('controller');
    await scan('overview-before');
  });

  it('tests the unsaved form: a wrong password stops at AUTH with the server’s 535', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'SMTP' }).click();
    await page.getByRole('heading', { name: 'New profile' }).waitFor();
    await page.getByLabel(/^Host/).fill('127.0.0.1');
    await page.getByLabel(/^Port/).fill(String(partnerSmtp.port));
    await page.getByLabel('TLS mode').selectOption('starttls');
    await page.getByLabel('CA certificate: load from a file').setInputFiles({
      name: 'ca.pem',
      mimeType: 'application/x-pem-file',
      buffer: Buffer.from(testCertificates().caCert),
    });
    await page.getByLabel('Sender email').fill('noreply@acme.test');
    await page.getByLabel('Sender name').fill('Acme notifications');
    await page.getByLabel(/^Username/).fill('mailer@acme.test');
    await page.getByLabel(/^Password/).fill(WRONG_PASSWORD);
    await page.getByRole('button', { name: 'Send test email' }).click();

    const result = page.getByTestId('test-result');
    await result.waitFor();
    expect(await result.getAttribute('data-ok')).toBe('false');
    expect(await page.locator('li[data-stage="AUTH"]').getAttribute('data-status')).toBe('failed');
    expect(await page.locator('li[data-stage="TLS"]').getAttribute('data-status')).toBe('ok');
    expect(await page.locator('li[data-stage="DATA"]').getAttribute('data-status')).toBe('not-reached');
    expect(await page.getByTestId('smtp-reply').textContent()).toContain('535');
    await expect(result.textContent()).resolves.toMatch(/credentials|username and password/i);
    expect(partnerSmtp.messages).toHaveLength(0);
    await scan('smtp-test-failed');
  });

  it('passes with the right password, saves, and the partner profile is in force', async () => {
    await page.getByLabel(/^Password/).fill(RIGHT_PASSWORD);
    await page.getByRole('button', { name: 'Send test email' }).click();
    await page.locator('[data-testid="test-result"][data-ok="true"]').waitFor();
    expect(await page.locator('li[data-stage="DATA"]').getAttribute('data-status')).toBe('ok');
    const [message] = await partnerSmtp.waitForMessages(1);
    expect(message!.envelopeTo).toEqual([ADMIN]);

    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Saved version 1.').waitFor();
    expect(await inForce('in-force')).toBe('partner');
    // The stored password is write-only: the form now shows it as set, with a Replace action.
    await page.getByRole('button', { name: 'Replace password' }).waitFor();
    await scan('smtp-saved');
  });

  it('asks for the password again when the host changes, before the API would refuse', async () => {
    await page.getByLabel(/^Host/).fill('localhost');
    const password = page.getByLabel(/^Password/);
    await password.waitFor();
    expect(await password.getAttribute('required')).not.toBeNull();
    await expect(page.locator('#f-password-hint').textContent()).resolves.toMatch(/You changed the host/);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expect(page.locator('#f-password-error').textContent()).resolves.toMatch(/Enter the password again/);
    expect(await password.evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await page.getByRole('button', { name: 'Replace password' }).waitFor();
  });

  it('an org’s switch and profile move the route to the org', async () => {
    await page.getByLabel('Profile of').selectOption({ label: 'Organization: OrgA1' });
    await page.getByRole('heading', { name: 'SMTP profile: OrgA1' }).waitFor();
    await page.getByRole('heading', { name: 'New profile' }).waitFor();
    const toggle = page.getByRole('switch', { name: 'SMTP override for OrgA1' });
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    await toggle.click();
    await page.locator('#org-override[aria-checked="true"]').waitFor();

    await page.getByLabel(/^Host/).fill('127.0.0.1');
    await page.getByLabel('TLS mode').selectOption('none');
    await page.getByLabel(/^Port/).fill(String(orgSmtp.port));
    await page.getByLabel('Method').selectOption('none');
    await page.getByLabel('Sender email').fill('noreply@orga1.test');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Saved version 1.').waitFor();
    expect(await inForce('in-force')).toBe('org');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.locator(`[data-testid="in-force-${orgA1}"][data-level="org"]`).waitFor();
    expect(await inForce(`in-force-${partnerId}`)).toBe('partner');
    expect(await page.locator('tr[data-name="OrgA2"] [data-level]').getAttribute('data-level')).toBe('partner');
    await scan('overview-after');
  });

  it('a save over someone else’s change shows the conflict and reloads', async () => {
    await page.goto(`${app.url}/console/smtp`);
    await page.getByRole('heading', { name: 'Profile (version 1)' }).waitFor();
    const elsewhere = await app.client.patch(
      '/event/v1/email/config',
      { email_config: { smtp_config: { sender_name: 'Changed elsewhere' } } },
      adminToken,
    );
    expect(elsewhere.status).toBe(200);
    await page.getByLabel('Sender name').fill('Acme, edited in the console');
    await page.getByRole('button', { name: 'Save profile' }).click();
    const conflict = page.locator('#conflict');
    await conflict.waitFor();
    await expect(conflict.textContent()).resolves.toMatch(/Someone else changed this profile.*version 2.*admin@acme\.console\.test/s);
    await scan('smtp-conflict');
    await conflict.getByRole('button', { name: /Reload/ }).click();
    await page.getByRole('heading', { name: 'Profile (version 2)' }).waitFor();
    expect(await page.getByLabel('Sender name').inputValue()).toBe('Changed elsewhere');
  });

  it('deleting the org profile names the level that takes over, and falls back to it', async () => {
    await page.goto(`${app.url}/console/smtp?org_id=${orgA1}`);
    await page.getByRole('heading', { name: 'Profile (version 1)' }).waitFor();
    expect(await inForce('in-force')).toBe('org');
    await page.getByRole('button', { name: 'Delete profile…' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('The partner profile (127.0.0.1) takes over.');
    await scan('smtp-delete-dialog');
    await dialog.getByRole('button', { name: 'Delete profile' }).click();
    await page.getByText('Deleted. In force for OrgA1 now: Partner.').waitFor();
    expect(await inForce('in-force')).toBe('partner');
  });

  it('the audit page lists those changes with their details', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.locator('tr[data-type="email.config.deleted"]').waitFor();
    const types = await page.locator('tr[data-type]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    expect(types).toEqual(
      expect.arrayContaining([
        'email.config.created',
        'email.config.updated',
        'email.config.deleted',
        'organization.smtp_override.changed',
        'email.verification.failed',
        'email.verification.succeeded',
      ]),
    );
    await page.getByLabel('Type').selectOption('email.config.deleted');
    await page.getByRole('button', { name: 'Show events' }).click();
    await page.getByText('Events 1–1 of 1, newest first.').waitFor();
    await page.getByRole('button', { name: /Show details of email.config.deleted/ }).click();
    await expect(page.locator('pre.json').textContent()).resolves.toContain('"host": "127.0.0.1"');
    await scan('audit');
  });

  it('the delivery log shows an email sent for the partner, and its attempt through the partner’s server', async () => {
    const before = partnerSmtp.messages.length;
    const sent = await app.client.post(
      '/event/v1/email/messages',
      { partner_id: partnerId, to: ['ops@acme.console.test'], subject: 'Delivery log check', text: 'Hello from the console suite.' },
      rootToken,
    );
    expect(sent.status).toBe(202);
    const id: string = sent.body.id;
    await waitFor(
      async () => (await app.client.get(`/event/v1/email/messages/${id}`, adminToken)).body?.status === 'sent',
      20_000,
      'the message to be sent',
    );
    expect(partnerSmtp.messages.length).toBe(before + 1);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Delivery log' }).click();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    await page.locator(`tr[data-message="${id}"][data-status="sent"]`).waitFor();
    await page.getByLabel('Status').selectOption('sent');
    await page.getByLabel('Recipient').fill('@ACME.console.test'); // a whole domain, any case
    await page.getByRole('button', { name: 'Show messages' }).click();
    await page.getByText('1 message, newest first.').waitFor();
    await scan('delivery-log');

    await page.getByRole('link', { name: /message to ops@acme\.console\.test/ }).click();
    await page.getByRole('heading', { name: 'Delivery log check' }).waitFor();
    expect(await page.getByTestId('message-status').textContent()).toBe('sent');
    const attempt = page.locator('tr[data-outcome="sent"]');
    await attempt.waitFor();
    await expect(attempt.getByTestId('attempt-route').textContent()).resolves.toMatch(/partner\s*127\.0\.0\.1/);
    await expect(attempt.textContent()).resolves.toContain('ops@acme.console.test');
    await scan('delivery-message');

    await page.getByRole('link', { name: 'Back to the delivery log' }).click();
    await page.locator(`tr[data-message="${id}"]`).waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('sent');
  });

  it('no page has serious or critical accessibility violations', () => {
    expect(Object.keys(violations)).toEqual(
      expect.arrayContaining([
        'sign-in',
        'overview-before',
        'smtp-test-failed',
        'smtp-saved',
        'overview-after',
        'smtp-conflict',
        'audit',
        'delivery-log',
        'delivery-message',
      ]),
    );
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
  });

  it('no secret typed into the form reached the page: not in its HTML, not in any response', async () => {
    const html = await page.content();
    const everything = [html, ...recorder.bodies].join('\n');
    expect(recorder.bodies.length).toBeGreaterThan(20);
    expect(everything).toContain('password_set');
    for (const secret of [WRONG_PASSWORD, RIGHT_PASSWORD]) expect(everything).not.toContain(secret);
    expect(recorder.cspViolations).toEqual([]);
    expect(recorder.errors).toEqual([]);
  });

  it('works in a narrow window: no sideways scrolling, navigation still reachable', async () => {
    const narrow = await newPage(browser, { width: 390, height: 844 });
    try {
      await signIn(narrow.page, app.url, ADMIN, ADMIN_PASSWORD);
      for (const path of ['/console/overview', '/console/smtp', '/console/audit', '/console/delivery']) {
        await narrow.page.goto(`${app.url}${path}`);
        await narrow.page.locator('#page-title').waitFor();
        await narrow.page.waitForLoadState('networkidle');
        expect({ path, fits: await fitsWidth(narrow.page) }).toEqual({ path, fits: true });
      }
      await screenshot(narrow.page, 'audit-narrow');
      await narrow.page.getByRole('link', { name: 'Overview' }).click();
      await narrow.page.getByRole('heading', { name: 'Overview' }).waitFor();
    } finally {
      await narrow.context.close();
    }
  });
});
