/**
 * The SMTP page's history, route switch and notification recipients, in Chromium against the real
 * service, real Postgres and real SMTP servers: a version saved in the form and one saved through the
 * API, a rollback from the History section (the API then answers the rolled-back version), a rollback
 * over someone else's change refused with the API's 412 message, a draft activated; the secondary
 * route saved from the same form (and refused for an org without a primary); notification recipients
 * with a field error beside the field for a bad address. Each state is scanned with axe-core.
 */
import type { Browser, Page } from 'playwright-core';
import { ROOT_EMAIL, ROOT_PASSWORD } from '../support/app';
import { startSmtpServer, TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';
import { ConsoleApp, launchBrowser, newPage, Recorder, screenshot, seriousViolations, signIn, startConsoleApp } from './support';

const ADMIN = 'admin@history.console.test';
const ADMIN_PASSWORD = 'history partner passphrase 3';
const CONFIG = '/event/v1/email/config';

describe('ops console: SMTP history, secondary route, notification recipients (Chromium)', () => {
  let app: ConsoleApp;
  let browser: Browser;
  let page: Page;
  let recorder: Recorder;
  let first: TestSmtpServer;
  let second: TestSmtpServer;
  let fallback: TestSmtpServer;
  let orgId: string;
  let adminToken: string;
  const violations: Record<string, unknown[]> = {};

  const scan = async (name: string) => {
    violations[name] = await seriousViolations(page);
    await screenshot(page, name);
  };
  const row = (version: number) => page.locator(`section[aria-labelledby="history-title"] tr[data-version="${version}"]`);
  const fillPlainServer = async (port: number) => {
    await page.getByLabel(/^Host/).fill('127.0.0.1');
    await page.getByLabel('TLS mode').selectOption('none');
    await page.getByLabel(/^Port/).fill(String(port));
    await page.getByLabel('Method').selectOption('none');
    await page.getByLabel('Sender email').fill('noreply@history.test');
  };

  beforeAll(async () => {
    first = await startSmtpServer({ tls: 'none' });
    second = await startSmtpServer({ tls: 'none' });
    fallback = await startSmtpServer({ tls: 'none' });
    app = await startConsoleApp({
      MAIL_CATCHER: 'on',
      SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
      SMTP_ALLOWED_PORTS: `${first.port},${second.port},${fallback.port}`,
    });
    const rootToken = await app.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const partner = await app.client.post(
      '/auth/v1/partners',
      { name: 'History', admin: { email: ADMIN, password: ADMIN_PASSWORD } },
      rootToken,
    );
    expect(partner.status).toBe(201);
    adminToken = await app.client.login(ADMIN, ADMIN_PASSWORD);
    const org = await app.client.post(
      '/auth/v1/organizations',
      { name: 'HistOrg', admin: { email: 'admin@histog.console.test', password: ADMIN_PASSWORD } },
      adminToken,
    );
    expect(org.status).toBe(201);
    orgId = org.body.id;
    const toggled = await app.client.patch(`/auth/v1/organizations/${orgId}`, { smtp_override_enabled: true }, adminToken);
    expect(toggled.status).toBe(200);
    browser = await launchBrowser();
    ({ page, recorder } = await newPage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await first?.close();
    await second?.close();
    await fallback?.close();
  });

  it('saves version 1 in the form; version 2 saved through the API shows in the history', async () => {
    await signIn(page, app.url, ADMIN, ADMIN_PASSWORD);
    await page.goto(`${app.url}/console/smtp`);
    await page.getByRole('heading', { name: 'New profile' }).waitFor();
    await page.getByText('No saved versions yet.').waitFor();
    await fillPlainServer(first.port);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Saved version 1.').waitFor();
    await row(1).and(page.locator('[data-state="active"]')).waitFor();

    const v2 = await app.client.patch(`${CONFIG}`, { email_config: { smtp_config: { port: second.port } } }, adminToken);
    expect(v2.status).toBe(200);
    expect(v2.body.email_config.metadata.version).toBe(2);

    await page.reload();
    await page.getByRole('heading', { name: 'Profile (version 2)' }).waitFor();
    await row(2).and(page.locator('[data-state="active"]')).waitFor();
    expect(await row(1).getAttribute('data-state')).toBe('superseded');
    await expect(row(2).textContent()).resolves.toContain(`127.0.0.1:${second.port}`);
    await expect(row(2).textContent()).resolves.toContain('port');
    await expect(row(2).textContent()).resolves.toContain(ADMIN);
    await scan('history');
  });

  it('rolls back to version 1 from the History section: the API then answers version 1', async () => {
    await row(1)
      .getByRole('button', { name: /Roll back to this version/ })
      .click();
    await page.getByText('Rolled back: version 1 is in force again.').waitFor();
    await page.getByRole('heading', { name: 'Profile (version 1)' }).waitFor();
    expect(await page.getByLabel(/^Port/).inputValue()).toBe(String(first.port));
    await row(1).and(page.locator('[data-state="active"]')).waitFor();
    expect(await row(2).getAttribute('data-state')).toBe('superseded');

    const now = await app.client.get(`${CONFIG}`, adminToken);
    expect(now.status).toBe(200);
    expect(now.body.email_config.metadata.version).toBe(1);
    expect(now.body.email_config.smtp_config.port).toBe(first.port);
    const effective = await app.client.get(`${CONFIG}/effective`, adminToken);
    expect(effective.body.email_config.smtp_config.port).toBe(first.port);
  });

  it('a rollback over someone else’s change shows the API’s 412 message and reloads', async () => {
    const elsewhere = await app.client.patch(
      `${CONFIG}`,
      { email_config: { smtp_config: { sender_name: 'Changed elsewhere' } } },
      adminToken,
    );
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.email_config.metadata.version).toBe(3);

    await row(2)
      .getByRole('button', { name: /Roll back to this version/ })
      .click();
    const alert = page.locator('section[aria-labelledby="history-title"] [role="alert"]');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/changed|precondition/i);
    await page.getByRole('heading', { name: 'Profile (version 3)' }).waitFor();
    await row(3).and(page.locator('[data-state="active"]')).waitFor();
    expect((await app.client.get(`${CONFIG}`, adminToken)).body.email_config.metadata.version).toBe(3);
    await scan('history-conflict');
  });

  it('activates a draft saved through the API', async () => {
    const draft = await app.client.post(`${CONFIG}/versions`, { based_on: 3, email_config: { smtp_config: { retries: 5 } } }, adminToken, {
      'content-type': 'application/json',
    });
    expect(draft.status).toBe(201);
    await page.reload();
    await row(4).and(page.locator('[data-state="draft"]')).waitFor();
    await row(4)
      .getByRole('button', { name: /Activate/ })
      .click();
    await page.getByText('Version 4 is in force now.').waitFor();
    await page.getByRole('heading', { name: 'Profile (version 4)' }).waitFor();
    expect(await page.getByLabel('Retries').inputValue()).toBe('5');
    expect((await app.client.get(`${CONFIG}`, adminToken)).body.email_config.metadata.version).toBe(4);
  });

  it('switches to the secondary route and saves one there, with its own history', async () => {
    await page.getByLabel('Secondary (failover)').check();
    await page.getByRole('heading', { name: 'Secondary route: New profile' }).waitFor();
    await page.getByText('No saved versions yet.').waitFor();
    await fillPlainServer(fallback.port);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Saved version 1.').waitFor();
    await page.getByRole('heading', { name: 'Secondary route: Profile (version 1)' }).waitFor();
    await row(1).and(page.locator('[data-state="active"]')).waitFor();
    expect(await row(4).count()).toBe(0);

    const secondary = await app.client.get(`${CONFIG}?route=secondary`, adminToken);
    expect(secondary.status).toBe(200);
    expect(secondary.body.email_config.smtp_config.port).toBe(fallback.port);
    const primary = await app.client.get(`${CONFIG}`, adminToken);
    expect(primary.body.email_config.metadata.version).toBe(4);
    await scan('secondary-saved');

    await page.getByRole('button', { name: 'Send test email' }).click();
    await page.locator('[data-testid="test-result"][data-ok="true"]').waitFor();
    await fallback.waitForMessages(1);

    await page.getByLabel('Primary', { exact: true }).check();
    await page.getByRole('heading', { name: 'Profile (version 4)' }).waitFor();
  });

  it('a secondary for an org without a primary shows the API’s PRIMARY_ROUTE_REQUIRED message', async () => {
    await page.goto(`${app.url}/console/smtp?org_id=${orgId}`);
    await page.getByRole('heading', { name: 'SMTP profile: HistOrg' }).waitFor();
    await page.getByLabel('Secondary (failover)').check();
    await page.getByRole('heading', { name: 'Secondary route: New profile' }).waitFor();
    await fillPlainServer(fallback.port);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page
      .getByRole('alert')
      .getByText(/no primary SMTP profile/)
      .waitFor();
    expect((await app.client.get(`${CONFIG}?org_id=${orgId}&route=secondary`, adminToken)).status).toBe(404);
    await scan('secondary-refused');
  });

  it('saves notification recipients; a bad address gets a field error beside its field', async () => {
    await page.goto(`${app.url}/console/smtp`);
    const card = page.locator('section[aria-labelledby="recipients-title"]');
    await card.getByLabel('Alerting addresses').waitFor();
    await card.getByLabel('Alerting addresses').fill('oncall@history.test, not-an-address');
    await card.getByLabel('Reporting addresses').fill('ops@history.test');
    await card.getByRole('button', { name: 'Save recipients' }).click();
    await expect(page.locator('#f-alerting_address-error').textContent()).resolves.toMatch(/email/i);
    expect(await card.getByLabel('Alerting addresses').getAttribute('aria-invalid')).toBe('true');
    await card.getByRole('alert').waitFor();
    expect((await app.client.get(`${CONFIG}/notifications`, adminToken)).status).toBe(404);
    await scan('recipients-error');

    await card.getByLabel('Alerting addresses').fill('oncall@history.test, cto@history.test');
    await card.getByRole('button', { name: 'Save recipients' }).click();
    await card.getByText('Notification recipients saved.').waitFor();
    expect(await page.locator('#f-alerting_address-error').count()).toBe(0);
    const saved = await app.client.get(`${CONFIG}/notifications`, adminToken);
    expect(saved.status).toBe(200);
    expect(saved.body.alerting_address).toEqual(['oncall@history.test', 'cto@history.test']);
    expect(saved.body.reporting_address).toEqual(['ops@history.test']);

    // A second save uses the new ETag: a change made elsewhere meanwhile is refused, not overwritten.
    const elsewhere = await app.client.request('PUT', `${CONFIG}/notifications`, {
      cookie: adminToken,
      headers: { 'content-type': 'application/json' },
      body: { admin_address: 'boss@history.test' },
    });
    expect(elsewhere.status).toBe(200);
    await card.getByLabel('Admin addresses').fill('me@history.test');
    await card.getByRole('button', { name: 'Save recipients' }).click();
    await card
      .getByRole('alert')
      .getByText(/your changes were not saved/)
      .waitFor();
    await waitFor(
      async () => (await card.getByLabel('Admin addresses').inputValue()) === 'boss@history.test',
      5_000,
      'the reloaded recipients',
    );
    expect((await app.client.get(`${CONFIG}/notifications`, adminToken)).body.admin_address).toEqual(['boss@history.test']);
  });

  it('no state has serious or critical accessibility violations, and the page logged no errors', () => {
    expect(Object.keys(violations)).toEqual(
      expect.arrayContaining(['history', 'history-conflict', 'secondary-saved', 'secondary-refused', 'recipients-error']),
    );
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
    expect(recorder.errors).toEqual([]);
    expect(recorder.cspViolations).toEqual([]);
  });
});
