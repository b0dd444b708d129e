/**
 * A partner admin edits the system email templates in the ops console, in Chromium, against the real
 * service, real Postgres and a real SMTP server (the controller default): every kind starts built-in;
 * an edited password_setup is saved and the list shows the partner supplying it; the preview renders
 * the unsaved form with sample or typed data; a template that does not parse is refused with its line
 * beside the field; a save over someone else's change shows the conflict and reloads; branding is saved
 * and shows in a preview; a new organization's admin receives the setup email with the partner's
 * subject; that org admin, whose org's SMTP switch is off, sees the API's refusal; delete falls back to
 * the built-in. Each page is scanned with axe-core, with no CSP violation, and fits a 390 px window.
 */
import type { Browser, Page } from 'playwright-core';
import { ROOT_EMAIL, ROOT_PASSWORD } from '../support/app';
import { ReceivedMessage, startSmtpServer, TestSmtpServer } from '../support/smtp';
import { ConsoleApp, fitsWidth, launchBrowser, newPage, Recorder, screenshot, seriousViolations, signIn, startConsoleApp } from './support';

const ADMIN = 'admin@acme.templates.test';
const ORG_ADMIN = 'admin@initech.templates.test';
const PASSWORD = 'acme templates passphrase 7';
const KINDS = ['password_setup', 'password_reset', 'email_verification', 'alert', 'report', 'generic'];
const API = '/event/v1/email/templates';

function setupTokenOf(message: ReceivedMessage): string {
  const m = /\/auth\/v1\/password-setup#token=([A-Za-z0-9_-]{43})/.exec(message.text);
  if (!m) throw new Error(`no setup link in:\n${message.text}`);
  return m[1]!;
}

describe('ops console: email templates (Chromium)', () => {
  let app: ConsoleApp;
  let smtp: TestSmtpServer;
  let browser: Browser;
  let page: Page;
  let recorder: Recorder;
  let adminToken: string;
  let orgAdminSetup: ReceivedMessage;
  const violations: Record<string, unknown[]> = {};

  const scan = async (name: string) => {
    violations[name] = await seriousViolations(page);
    await screenshot(page, name);
  };
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
  const source = (testId: string) => page.getByTestId(testId).getAttribute('data-source');
  /** Resolves with the next email the SMTP server receives after `action`. */
  const nextMail = async (action: () => Promise<unknown>) => {
    const before = smtp.messages.length;
    await action();
    return (await smtp.waitForMessages(before + 1, 20_000))[before]!;
  };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    app = await startConsoleApp({
      ACCOUNT_CREATION_STRATEGY: 'VERIFY',
      FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
      FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
      FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      FW_EVENT_SMTP_SENDER_EMAIL: 'accounts@controller.test',
      EMAIL_POLL_INTERVAL_MS: '25',
    });
    const root = await app.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const setup = await nextMail(async () => {
      const partner = await app.client.post('/auth/v1/partners', { name: 'Acme', admin: { email: ADMIN } }, root);
      expect(partner.status).toBe(201);
    });
    expect((await app.client.post('/auth/v1/password-setup', { token: setupTokenOf(setup), password: PASSWORD })).status).toBe(204);
    adminToken = await app.client.login(ADMIN, PASSWORD);
    browser = await launchBrowser();
    ({ page, recorder } = await newPage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await smtp?.close();
  });

  it('lists every kind as built-in, with no override of the partner’s own', async () => {
    await signIn(page, app.url, ADMIN, PASSWORD);
    await nav('Templates').click();
    await page.getByRole('heading', { name: 'Email templates: partner' }).waitFor();
    await page.getByTestId('source-password_setup').waitFor();
    for (const kind of KINDS) {
      expect({ kind, source: await source(`source-${kind}`) }).toEqual({ kind, source: 'built-in' });
      expect({ kind, own: await page.getByTestId(`own-${kind}`).getAttribute('data-own') }).toEqual({ kind, own: 'no' });
    }
    expect(await source('source-branding')).toBe('none');
    await scan('templates-list');
  });

  it('edits password_setup: saved, the editor and the list show the partner supplying it', async () => {
    await page.getByRole('link', { name: 'Password setup' }).click();
    await page.getByRole('heading', { name: 'New password setup template' }).waitFor();
    // The form starts from the built-in template, with the kind's variables from the API.
    expect(await page.getByLabel(/^Subject/).inputValue()).toBe('Set your password for {{ org_name }}');
    for (const name of ['link', 'expires_in_hours', 'org_name', 'email']) await page.locator(`[data-variable="${name}"]`).waitFor();
    expect(await source('in-effect')).toBe('built-in');
    await scan('template-new');

    await page.getByLabel(/^Subject/).fill('Welcome to {{ org_name }} at Acme');
    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByText('Saved version 1. In effect for the partner now: Partner.').waitFor();
    expect(await source('in-effect')).toBe('partner');
    await page.getByRole('heading', { name: 'Password setup (version 1)' }).waitFor();

    await page.getByRole('link', { name: 'All templates' }).click();
    await page.getByTestId('source-password_setup').waitFor();
    expect(await source('source-password_setup')).toBe('partner');
    expect(await page.getByTestId('own-password_setup').getAttribute('data-own')).toBe('yes');
    expect(await source('source-password_reset')).toBe('built-in');
  });

  it('previews with the sample data, then with data typed as JSON', async () => {
    // A deep link lands on the editor.
    await page.goto(`${app.url}/console/templates/password_setup`);
    await page.getByRole('heading', { name: 'Password setup (version 1)' }).waitFor();
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(page.getByTestId('preview-subject').textContent()).resolves.toBe('Welcome to Example Org at Acme');
    await expect(page.getByTestId('preview-html').textContent()).resolves.toContain('Choose your password');
    await scan('template-preview');

    await page.getByLabel('My own data').check();
    const data = page.getByLabel('Data (JSON)');
    const typed = JSON.parse(await data.inputValue());
    // It starts from the kind's sample data, which rendered the subject above.
    expect(Object.keys(typed).sort()).toEqual(['email', 'expires_in_hours', 'link', 'org_name']);
    expect(typed.org_name).toBe('Example Org');
    await data.fill(JSON.stringify({ ...typed, org_name: 'Initech', colour: 'blue' }));
    await page.getByRole('button', { name: 'Preview' }).click();
    // A variable the kind does not take is named beside the data.
    await expect(page.locator('#f-previewData-error').textContent()).resolves.toContain('colour');
    await data.fill(JSON.stringify({ ...typed, org_name: 'Initech' }));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('preview-subject').getByText('Welcome to Initech at Acme').waitFor();
  });

  it('a template that does not parse is refused, with its line beside the HTML field', async () => {
    const html = page.getByRole('textbox', { name: /^HTML/ });
    await html.fill('<p>Hello</p>\n{% if org_name %}<b>{{ org_name }}</b>');
    await page.getByRole('button', { name: 'Save template' }).click();
    const error = page.locator('#f-html-error');
    await expect(error.textContent()).resolves.toMatch(/^line 2, column \d+: .*not closed/);
    expect(await html.getAttribute('aria-invalid')).toBe('true');
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('TEMPLATE_INVALID');
    await scan('template-refused');
    // Nothing was saved.
    expect((await app.client.get(`${API}/password_setup`, adminToken)).body.own.version).toBe(1);
    await page.getByRole('button', { name: 'Discard changes' }).click();
    expect(await error.count()).toBe(0);
  });

  it('a save over someone else’s change shows the conflict (412) and reloads their version', async () => {
    const current = await app.client.get(`${API}/password_setup`, adminToken);
    const elsewhere = await app.client.request('PUT', `${API}/password_setup`, {
      cookie: adminToken,
      headers: { 'if-match': current.headers.etag as string },
      body: { subject: 'Changed elsewhere for {{ org_name }}', text: current.body.text, html: current.body.html },
    });
    expect(elsewhere.status).toBe(200);

    await page.getByLabel(/^Subject/).fill('Edited in the console for {{ org_name }}');
    await page.getByRole('button', { name: 'Save template' }).click();
    const conflict = page.locator('#conflict');
    await conflict.waitFor();
    await expect(conflict.textContent()).resolves.toMatch(/Someone else changed this template.*version 2.*admin@acme\.templates\.test/s);
    await scan('template-conflict');
    await conflict.getByRole('button', { name: /Reload/ }).click();
    await page.getByRole('heading', { name: 'Password setup (version 2)' }).waitFor();
    expect(await page.getByLabel(/^Subject/).inputValue()).toBe('Changed elsewhere for {{ org_name }}');

    // Saved over the reloaded version, the console's edit wins.
    await page.getByLabel(/^Subject/).fill('Welcome to {{ org_name }}, from Acme');
    await page.getByRole('button', { name: 'Save template' }).click();
    await page.getByText('Saved version 3.').waitFor();
  });

  it('branding: a bad logo URL is refused beside its field; saved, it shows in a preview', async () => {
    await nav('Templates').click();
    await page.getByRole('link', { name: 'Edit branding' }).click();
    await page.getByRole('heading', { name: 'New branding' }).waitFor();
    await page.getByLabel('Product name').fill('Acme Cloud');
    await page.getByLabel('Logo URL').fill('http://cdn.acme.test/logo.png');
    await page.getByLabel('Support address').fill('help@acme.test');
    await page.getByLabel('Footer').fill('Acme Inc., 1 Road Runner Way');
    await page.getByRole('button', { name: 'Save branding' }).click();
    await expect(page.locator('#f-logoUrl-error').textContent()).resolves.toContain('https');
    await scan('branding-refused');

    await page.getByLabel('Logo URL').fill('https://cdn.acme.test/logo.png');
    await page.getByRole('button', { name: 'Save branding' }).click();
    await page.getByText('Saved version 1. In effect for the partner now: Partner.').waitFor();
    expect(await source('in-effect')).toBe('partner');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(page.getByTestId('preview-text').textContent()).resolves.toMatch(/Acme Cloud\s+Support: help@acme\.test/);
    await expect(page.getByTestId('preview-html').textContent()).resolves.toContain('src="https://cdn.acme.test/logo.png"');
    await scan('branding-saved');

    // The saved branding is in every kind's preview of the template in effect.
    await page.goto(`${app.url}/console/templates/password_setup`);
    await page.getByRole('heading', { name: 'Password setup (version 3)' }).waitFor();
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(page.getByTestId('preview-text').textContent()).resolves.toContain('Acme Cloud');
  });

  it('end to end: a new organization’s admin gets the setup email with the partner’s subject and branding', async () => {
    orgAdminSetup = await nextMail(async () => {
      const org = await app.client.post('/auth/v1/organizations', { name: 'Initech', admin: { email: ORG_ADMIN } }, adminToken);
      expect(org.status).toBe(201);
    });
    expect(orgAdminSetup.envelopeTo).toEqual([ORG_ADMIN]);
    expect(orgAdminSetup.subject).toBe('Welcome to Initech, from Acme');
    expect(orgAdminSetup.text).toContain('Acme Cloud');
  });

  it('the org admin, whose org’s SMTP switch is off, is told so and sees the API’s 403', async () => {
    expect((await app.client.post('/auth/v1/password-setup', { token: setupTokenOf(orgAdminSetup), password: PASSWORD })).status).toBe(204);
    const org = await newPage(browser);
    try {
      await signIn(org.page, app.url, ORG_ADMIN, PASSWORD);
      await org.page.goto(`${app.url}/console/templates`);
      await org.page.getByRole('heading', { name: 'Email templates: Initech' }).waitFor();
      await org.page
        .locator('#org-rule')
        .getByText(/SMTP is off/)
        .waitFor();
      expect(await org.page.getByTestId('source-password_setup').getAttribute('data-source')).toBe('partner');
      await org.page.getByRole('link', { name: 'Password setup' }).click();
      await org.page.getByRole('heading', { name: 'New password setup template' }).waitFor();
      await org.page.getByRole('button', { name: 'Save template' }).click();
      await expect(org.page.getByRole('alert').textContent()).resolves.toContain('403 ORG_TEMPLATES_DISABLED');
      expect(await seriousViolations(org.page)).toEqual([]);
      await screenshot(org.page, 'template-org-refused');
      expect(org.recorder.cspViolations).toEqual([]);
      expect(org.recorder.errors).toEqual([]);
    } finally {
      await org.context.close();
    }
  });

  it('a controller admin picks the partner and prepares the org’s template while its switch is off: saved, not in effect', async () => {
    const ctl = await newPage(browser);
    try {
      await signIn(ctl.page, app.url, ROOT_EMAIL, ROOT_PASSWORD);
      await ctl.page.getByLabel('Partner', { exact: true }).selectOption({ label: 'Acme' });
      await ctl.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
      await ctl.page.getByRole('heading', { name: 'Email templates: partner' }).waitFor();
      await ctl.page.getByTestId('source-branding').waitFor();
      expect(await ctl.page.getByTestId('source-branding').getAttribute('data-source')).toBe('partner');

      await ctl.page.getByLabel('Templates of').selectOption({ label: 'Organization: Initech' });
      await ctl.page.getByRole('heading', { name: 'Email templates: Initech' }).waitFor();
      await ctl.page
        .locator('#org-rule')
        .getByText(/You may prepare them now/)
        .waitFor();
      await ctl.page.getByRole('link', { name: 'Alert' }).click();
      await ctl.page.getByRole('heading', { name: 'New alert template' }).waitFor();
      expect(new URL(ctl.page.url()).searchParams.get('org_id')).not.toBeNull();
      await ctl.page.getByLabel(/^Subject/).fill('[Initech] {{ title }}');
      await ctl.page.getByRole('button', { name: 'Save template' }).click();
      await ctl.page.getByText(/Saved version 1\. In effect for Initech now: Built-in \(.*kept but not used.*\)/).waitFor();
      expect(await ctl.page.getByTestId('own-template').textContent()).toMatch(/Version 1.*not in effect/);
      expect(await seriousViolations(ctl.page)).toEqual([]);
      expect(ctl.recorder.cspViolations).toEqual([]);
      expect(ctl.recorder.errors).toEqual([]);
    } finally {
      await ctl.context.close();
    }
  });

  it('deleting the partner’s template names the built-in taking over, and falls back to it', async () => {
    await page.getByRole('button', { name: 'Delete own template…' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain('The built-in template takes over at once.');
    await scan('template-delete-dialog');
    await dialog.getByRole('button', { name: 'Delete template' }).click();
    await page.getByText('Deleted. In effect for the partner now: Built-in.').waitFor();
    expect(await source('in-effect')).toBe('built-in');
    await page.getByRole('heading', { name: 'New password setup template' }).waitFor();
    expect(await page.getByLabel(/^Subject/).inputValue()).toBe('Set your password for {{ org_name }}');
    await page.getByRole('link', { name: 'All templates' }).click();
    await page.getByTestId('source-password_setup').waitFor();
    expect(await source('source-password_setup')).toBe('built-in');
    expect(await page.getByTestId('own-password_setup').getAttribute('data-own')).toBe('no');
  });

  it('no page has serious or critical accessibility violations, no CSP violation, no page error', () => {
    expect(Object.keys(violations)).toEqual(
      expect.arrayContaining([
        'templates-list',
        'template-new',
        'template-preview',
        'template-refused',
        'template-conflict',
        'branding-refused',
        'branding-saved',
        'template-delete-dialog',
      ]),
    );
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
    expect(recorder.cspViolations).toEqual([]);
    expect(recorder.errors).toEqual([]);
  });

  it('works in a narrow window: no sideways scrolling', async () => {
    const narrow = await newPage(browser, { width: 390, height: 844 });
    try {
      await signIn(narrow.page, app.url, ADMIN, PASSWORD);
      for (const path of ['/console/templates', '/console/templates/password_setup', '/console/templates/branding']) {
        await narrow.page.goto(`${app.url}${path}`);
        await narrow.page.locator('#page-title').waitFor();
        await narrow.page.waitForLoadState('networkidle');
        expect({ path, fits: await fitsWidth(narrow.page) }).toEqual({ path, fits: true });
      }
      await narrow.page.getByRole('button', { name: 'Preview' }).click();
      await narrow.page.getByTestId('preview-result').waitFor();
      expect(await fitsWidth(narrow.page)).toBe(true);
      await screenshot(narrow.page, 'branding-narrow');
      expect(narrow.recorder.cspViolations).toEqual([]);
    } finally {
      await narrow.context.close();
    }
  });
});
