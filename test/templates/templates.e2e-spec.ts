/**
 * Templates per tenant end to end: partner and organization overrides with ETags, inheritance
 * org → partner → built-in (org only while its SMTP switch is on), branding, preview without sending,
 * refusal of broken and hostile templates at save, inert prototype access, and the password-setup
 * email leaving a real SMTP server with a partner's override and branding — or, when the tenant's
 * template fails with the real data, with the built-in one, logged and audited.
 */
import { simpleParser } from 'mailparser';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';
import { CapturedLogs, captureStdout } from '../support/logs';
import { ReceivedMessage, startSmtpServer, TestSmtpServer } from '../support/smtp';

const PASSWORD = 'templates-passphrase-2026';
const BASE = '/event/v1/email/templates';

function tokenFrom(message: ReceivedMessage): string {
  const m = /\/auth\/v1\/password-setup#token=([A-Za-z0-9_-]{43})/.exec(message.text);
  if (!m) throw new Error(`no setup link in:\n${message.text}`);
  return m[1]!;
}

describe('email templates per tenant', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let logs: CapturedLogs;
  let root: string;
  let partnerId: string;
  let partnerAdmin: string;
  let orgId: string;
  let orgAdmin: string;
  let otherPartnerAdmin: string;

  const put = (url: string, body: unknown, cookie: string, headers: Record<string, string> = {}) =>
    t.client.request('PUT', url, { body, cookie, headers });
  const nextMail = async (action: () => Promise<unknown>) => {
    const before = smtp.messages.length;
    await action();
    return (await smtp.waitForMessages(before + 1)).slice(before)[0]!;
  };
  /** Creates a user by `creator` and signs them in through the emailed link; answers the email and the session. */
  const onboard = async (path: string, body: object, creator: string, email: string) => {
    let created: any;
    const mail = await nextMail(async () => {
      const res = await t.client.post(path, body, creator);
      if (res.status !== 201) throw new Error(`${path}: ${res.status} ${res.text}`);
      created = res.body;
    });
    expect((await t.client.post('/auth/v1/password-setup', { token: tokenFrom(mail), password: PASSWORD })).status).toBe(204);
    return { mail, created, session: await t.client.login(email, PASSWORD) };
  };

  beforeAll(async () => {
    logs = captureStdout();
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: {
        ACCOUNT_CREATION_STRATEGY: 'VERIFY',
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'accounts@controller.test',
        EMAIL_RETRY_BASE_MS: '40',
        EMAIL_POLL_INTERVAL_MS: '25',
        LOG_LEVEL: 'info',
      },
    });
    // A test app is never listen()ed, so Nest would keep its logs buffered; let them through.
    t.app.flushLogs();
    root = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const partner = await onboard(
      '/auth/v1/partners',
      { name: 'Tmpl Partner', admin: { email: 'admin@tmpl.test' } },
      root,
      'admin@tmpl.test',
    );
    partnerId = partner.created.id;
    partnerAdmin = partner.session;
    const org = await onboard(
      '/auth/v1/organizations',
      { name: 'Tmpl Org', admin: { email: 'admin@org.tmpl.test' } },
      partnerAdmin,
      'admin@org.tmpl.test',
    );
    orgId = org.created.id;
    orgAdmin = org.session;
    otherPartnerAdmin = (
      await onboard('/auth/v1/partners', { name: 'Other Partner', admin: { email: 'admin@other.test' } }, root, 'admin@other.test')
    ).session;
  });
  afterAll(async () => {
    logs?.restore();
    await t?.close();
    await smtp?.close();
  });

  const kindsOf = async (cookie: string, query = '') => {
    const res = await t.client.get(`${BASE}${query}`, cookie);
    expect(res.status).toBe(200);
    return Object.fromEntries(res.body.templates.map((k: any) => [k.kind, k]));
  };

  it('lists every built-in kind, supplied by the built-in level, with its declared variables', async () => {
    const kinds = await kindsOf(partnerAdmin);
    expect(Object.keys(kinds).sort()).toEqual(['alert', 'email_verification', 'generic', 'password_reset', 'password_setup', 'report']);
    for (const k of Object.values(kinds)) expect(k).toMatchObject({ source: 'built-in', own: null });
    const one = await t.client.get(`${BASE}/password_setup`, partnerAdmin);
    expect(one.status).toBe(200);
    expect(one.body.subject).toBe('Set your password for {{ org_name }}');
    expect(Object.keys(one.body.variables).sort()).toEqual(['email', 'expires_in_hours', 'link', 'org_name']);
    expect(one.body.variables.link).toMatchObject({ type: 'url', required: true });
    // The data a preview renders with when given none, so a caller can start its own from it.
    expect(Object.keys(one.body.sample_data).sort()).toEqual(['email', 'expires_in_hours', 'link', 'org_name']);
    expect(one.body.sample_data.org_name).toBe('Example Org');
    expect((await t.client.get(`${BASE}/no_such_kind`, partnerAdmin)).body.code).toBe('UNKNOWN_TEMPLATE_KIND');
  });

  it('scopes like the email configuration: a controller admin names the scope, a foreign org is 404', async () => {
    const unscoped = await t.client.get(BASE, root);
    expect(unscoped.status).toBe(400);
    expect(unscoped.body.errors[0]).toMatchObject({ field: 'partner_id', rule: 'required' });
    expect((await t.client.get(`${BASE}?partner_id=${partnerId}`, root)).status).toBe(200);
    expect((await t.client.get(`${BASE}?org_id=${orgId}`, otherPartnerAdmin)).status).toBe(404);
    expect((await put(`${BASE}/alert?org_id=${orgId}`, { subject: 'x', text: 'y' }, otherPartnerAdmin)).status).toBe(404);
  });

  const partnerTemplate = {
    subject: 'Welcome aboard {{ org_name }}',
    text: 'Hi {{ email }}, set a password: {{ link }} (valid {{ expires_in_hours }}h){% if brand.footer %}\n{{ brand.footer }}{% endif %}',
    html: '<p>Hi {{ email }}</p><p><a href="{{ link }}">Set password</a></p><p>{{ brand.product_name }}</p>',
  };
  let partnerEtag: string;

  it('creates a partner override with If-None-Match: *, refuses a second create and a stale If-Match with 412', async () => {
    const created = await put(`${BASE}/password_setup`, partnerTemplate, partnerAdmin, { 'if-none-match': '*' });
    expect(created.status).toBe(201);
    partnerEtag = created.headers.etag as string;
    expect(partnerEtag).toMatch(/^"[0-9a-f-]{36}\.1\.[A-Za-z0-9_-]+"$/);
    expect(created.body).toMatchObject({
      source: 'partner',
      subject: partnerTemplate.subject,
      own: { level: 'partner', version: 1, in_effect: true },
    });

    expect((await put(`${BASE}/password_setup`, partnerTemplate, partnerAdmin, { 'if-none-match': '*' })).status).toBe(412);
    const stale = await put(`${BASE}/password_setup`, { ...partnerTemplate, subject: 'Changed {{ org_name }}' }, partnerAdmin, {
      'if-match': partnerEtag.replace('.1.', '.7.'),
    });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');

    const replaced = await put(`${BASE}/password_setup`, partnerTemplate, partnerAdmin, { 'if-match': partnerEtag });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.etag).toMatch(/\.2\.[A-Za-z0-9_-]+"$/);
    partnerEtag = replaced.headers.etag as string;
    expect((await t.client.get(`${BASE}/password_setup`, partnerAdmin)).headers.etag).toBe(partnerEtag);
    expect((await kindsOf(partnerAdmin)).password_setup.source).toBe('partner');
  });

  it('audits template changes in small events: kind, level, changed parts and sizes, never the template', async () => {
    const rows = await t.db.query<{ type: string; details: any; partner_id: string }>(
      `SELECT type, details, partner_id FROM audit_events WHERE type = 'email.template.updated' ORDER BY occurred_at`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]).toMatchObject({
      partner_id: partnerId,
      details: { kind: 'password_setup', level: 'partner', version: 1, created: true },
    });
    expect(rows[0]!.details.changed_fields).toEqual(['subject', 'text', 'html']);
    expect(rows[0]!.details.html_bytes).toBe(Buffer.byteLength(partnerTemplate.html));
    expect(rows[1]!.details.changed_fields).toEqual([]);
    expect(JSON.stringify(rows)).not.toContain('Set password');
  });

  it('refuses a template that does not parse, naming the part, line and column, and keeps the saved one', async () => {
    const broken = await put(
      `${BASE}/password_setup`,
      { ...partnerTemplate, html: '<p>ok</p>\n<p>{% if org_name %}never closed</p>' },
      partnerAdmin,
      { 'if-match': partnerEtag },
    );
    expect(broken.status).toBe(400);
    expect(broken.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(broken.body.code).toBe('TEMPLATE_INVALID');
    expect(broken.body.errors).toHaveLength(1);
    expect(broken.body.errors[0]).toMatchObject({ field: 'html', rule: 'syntax' });
    expect(broken.body.errors[0].message).toMatch(/^line 2, column \d+: /);
    expect(broken.body.template_errors[0]).toMatchObject({ field: 'html', line: 2 });
    expect((await t.client.get(`${BASE}/password_setup`, partnerAdmin)).headers.etag).toBe(partnerEtag);
  });

  it('refuses hostile templates at save: file tags, unknown variables such as constructor, oversized parts', async () => {
    const include = await put(`${BASE}/alert`, { subject: 'x', text: 'a\n\n{% include "/etc/passwd" %}' }, partnerAdmin);
    expect(include.status).toBe(400);
    expect(include.body.errors[0]).toMatchObject({ field: 'text', rule: 'syntax', message: 'line 3, column 1: tag "include" not found' });
    const ctor = await put(`${BASE}/alert`, { subject: '{{ constructor }}', text: '{{ title }}' }, partnerAdmin);
    expect(ctor.status).toBe(400);
    expect(ctor.body.errors[0]).toMatchObject({ field: 'subject', rule: 'unknown_variable' });
    const huge = await put(`${BASE}/alert`, { subject: 'x', text: 'y', html: 'z'.repeat(64 * 1024 + 1) }, partnerAdmin);
    expect(huge.status).toBe(400);
    expect(huge.body.errors[0]).toMatchObject({ field: 'html', rule: 'maxBytes' });
    expect((await kindsOf(partnerAdmin)).alert.source).toBe('built-in');
  });

  it('previews with sample data or given data, never sending', async () => {
    const received = smtp.received;
    const sample = await t.client.post(`${BASE}/password_setup/preview`, {}, partnerAdmin);
    expect(sample.status).toBe(200);
    expect(sample.body).toMatchObject({ source: 'partner', sample_data: true, subject: 'Welcome aboard Example Org' });
    const given = await t.client.post(
      `${BASE}/alert/preview`,
      {
        data: { title: 'Disk <full>', message: 'at 99%', link: 'https://x.test/d' },
        template: { subject: '{{ title }}', text: '{{ message }}', html: '<h1>{{ title }}</h1>' },
      },
      orgAdmin,
    );
    expect(given.status).toBe(200);
    expect(given.body).toEqual({
      kind: 'alert',
      source: 'candidate',
      sample_data: false,
      subject: 'Disk <full>',
      text: 'at 99%',
      html: '<h1>Disk &lt;full&gt;</h1>',
    });
    const badLink = await t.client.post(
      `${BASE}/password_setup/preview`,
      { data: { link: 'javascript:alert(1)', email: 'a@b.test', org_name: 'O', expires_in_hours: 1 } },
      partnerAdmin,
    );
    expect(badLink.status).toBe(400);
    expect(badLink.body).toMatchObject({ code: 'TEMPLATE_DATA_INVALID', errors: [{ field: 'data.link', rule: 'isUrl' }] });
    expect(smtp.received).toBe(received);
  });

  it('keeps hostile templates inert in preview: prototype access renders nothing, huge loops stop at the limit', async () => {
    const proto = await t.client.post(
      `${BASE}/alert/preview`,
      {
        template: {
          subject: '[{{ title.constructor }}]',
          text: '[{{ title.__proto__ }}][{{ brand.constructor.name }}][{{ message["constructor"] }}]',
          html: '[{{ brand.__proto__.toString }}]',
        },
      },
      partnerAdmin,
    );
    expect(proto.status).toBe(200);
    expect(proto.body).toMatchObject({ subject: '[]', text: '[][][]', html: '[]' });

    const started = Date.now();
    const loop = await t.client.post(
      `${BASE}/alert/preview`,
      { template: { subject: 'x', text: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' } },
      partnerAdmin,
    );
    expect(loop.status).toBe(422);
    expect(loop.body).toMatchObject({ code: 'TEMPLATE_RENDER_FAILED', part: 'text', reason: 'limit_exceeded' });
    const nested = await t.client.post(
      `${BASE}/alert/preview`,
      { template: { subject: 'x', text: 'y', html: '{% for i in (1..5000) %}{% for j in (1..5000) %}x{% endfor %}{% endfor %}' } },
      partnerAdmin,
    );
    expect(nested.status).toBe(422);
    expect(nested.body).toMatchObject({ part: 'html', reason: 'limit_exceeded' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('sets branding (https logo only) and refuses an http logo naming the field', async () => {
    const insecure = await put(`${BASE}/branding`, { product_name: 'Acme', logo_url: 'http://cdn.acme.test/logo.png' }, partnerAdmin);
    expect(insecure.status).toBe(400);
    expect(insecure.body.errors).toEqual([expect.objectContaining({ field: 'logo_url', rule: 'isHttpsUrl' })]);
    const saved = await put(
      `${BASE}/branding`,
      {
        product_name: 'Acme Cloud',
        logo_url: 'https://cdn.acme.test/logo.png',
        support_email: 'help@acme.test',
        footer: 'Acme Inc., Main St 1',
      },
      partnerAdmin,
      { 'if-none-match': '*' },
    );
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ source: 'partner', product_name: 'Acme Cloud', own: { level: 'partner', version: 1 } });
    expect((await t.client.get(`${BASE}/branding`, orgAdmin)).body).toMatchObject({
      source: 'partner',
      product_name: 'Acme Cloud',
      own: null,
    });
  });

  it('sends the password-setup email with the partner’s override and branding, and its link works', async () => {
    const { mail } = await onboard('/auth/v1/users', { email: 'member@tmpl.test', role: 'auditor' }, partnerAdmin, 'member@tmpl.test');
    expect(mail.to).toBe('member@tmpl.test');
    expect(mail.subject).toBe('Welcome aboard Tmpl Partner');
    expect(mail.text).toMatch(/^Hi member@tmpl\.test, set a password: http:\/\/console\.mailstrata\.test\/auth\/v1\/password-setup#token=/);
    expect(mail.text).toContain('(valid 24h)');
    expect(mail.text).toContain('Acme Inc., Main St 1');
    const parsed = await simpleParser(mail.raw);
    expect(parsed.html).toContain('<p>Acme Cloud</p>');
    expect(parsed.html).toContain(`<a href="http://console.mailstrata.test/auth/v1/password-setup#token=${tokenFrom(mail)}">`);
  });

  const orgTemplate = { subject: 'Org says hello to {{ email }}', text: 'Org link: {{ link }}' };

  it('follows the org’s SMTP switch: a partner may prepare an org template, the org user may not change it, it applies once on', async () => {
    const prepared = await put(`${BASE}/password_setup?org_id=${orgId}`, orgTemplate, partnerAdmin, { 'if-none-match': '*' });
    expect(prepared.status).toBe(201);
    expect(prepared.body).toMatchObject({ source: 'partner', own: { level: 'org', in_effect: false } });
    expect((await kindsOf(orgAdmin)).password_setup).toMatchObject({ source: 'partner', own: { level: 'org', in_effect: false } });

    const refused = await put(`${BASE}/password_setup`, orgTemplate, orgAdmin);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('ORG_TEMPLATES_DISABLED');

    const off = await onboard('/auth/v1/users', { email: 'off@org.tmpl.test', role: 'auditor' }, orgAdmin, 'off@org.tmpl.test');
    expect(off.mail.subject).toBe('Welcome aboard Tmpl Org');

    const offView = await t.client.get(`${BASE}/password_setup?org_id=${orgId}`, partnerAdmin);
    expect(offView.body.own).toMatchObject({ in_effect: false });
    expect(
      (await t.client.get(`${BASE}/password_setup?org_id=${orgId}`, partnerAdmin, { 'if-none-match': offView.headers.etag as string }))
        .status,
    ).toBe(304);

    expect((await t.client.patch(`/auth/v1/organizations/${orgId}`, { smtp_override_enabled: true }, partnerAdmin)).status).toBe(200);
    // The row did not change but what the answer shows did: a conditional GET must not answer 304.
    const onView = await t.client.get(`${BASE}/password_setup?org_id=${orgId}`, partnerAdmin, {
      'if-none-match': offView.headers.etag as string,
    });
    expect(onView.status).toBe(200);
    expect(onView.body).toMatchObject({ source: 'org', own: { in_effect: true } });
    expect((await kindsOf(orgAdmin)).password_setup).toMatchObject({ source: 'org', own: { in_effect: true } });
    const on = await onboard('/auth/v1/users', { email: 'on@org.tmpl.test', role: 'auditor' }, orgAdmin, 'on@org.tmpl.test');
    expect(on.mail.subject).toBe('Org says hello to on@org.tmpl.test');
    expect(on.mail.text).toMatch(/^Org link: http:\/\/console\.mailstrata\.test\/auth\/v1\/password-setup#token=/);
    // Partner branding still applies to the org's template (the org has none of its own)…
    expect((await simpleParser(on.mail.raw)).html).toBeFalsy();
    // …and an org admin may now change its own template.
    const etag = (await t.client.get(`${BASE}/password_setup`, orgAdmin)).headers.etag as string;
    expect(
      (await put(`${BASE}/password_setup`, { ...orgTemplate, subject: 'Org v2 {{ email }}' }, orgAdmin, { 'if-match': etag })).status,
    ).toBe(200);
  });

  it('falls back a level on DELETE: org → partner → built-in', async () => {
    expect((await t.client.delete(`${BASE}/password_setup`, orgAdmin)).status).toBe(204);
    expect((await kindsOf(orgAdmin)).password_setup).toMatchObject({ source: 'partner', own: null });
    const viaPartner = await t.client.post(`${BASE}/password_setup/preview`, {}, orgAdmin);
    expect(viaPartner.body.subject).toBe('Welcome aboard Example Org');

    expect(
      (await t.client.delete(`${BASE}/password_setup`, partnerAdmin, { 'if-match': '"00000000-0000-0000-0000-000000000000.1"' })).status,
    ).toBe(412);
    expect((await t.client.delete(`${BASE}/password_setup`, partnerAdmin, { 'if-match': partnerEtag })).status).toBe(204);
    expect((await t.client.delete(`${BASE}/password_setup`, partnerAdmin)).status).toBe(404);
    expect((await kindsOf(orgAdmin)).password_setup).toMatchObject({ source: 'built-in', own: null });
    const builtIn = await onboard('/auth/v1/users', { email: 'builtin@org.tmpl.test', role: 'auditor' }, orgAdmin, 'builtin@org.tmpl.test');
    expect(builtIn.mail.subject).toBe('Set your password for Tmpl Org');
    // The partner's branding reaches the built-in template too.
    expect(builtIn.mail.text.replace(/\r\n/g, '\n')).toContain('\n--\nAcme Cloud\nSupport: help@acme.test\nAcme Inc., Main St 1');
    const deleted = await t.db.query(`SELECT details FROM audit_events WHERE type = 'email.template.deleted' ORDER BY occurred_at`);
    expect(deleted.map((r: any) => r.details.level)).toEqual(['org', 'partner']);
  });

  it('falls back to the built-in template when the tenant’s fails with the real data, and says so in the log and audit', async () => {
    // Parses and names only known variables, so it is saved; with expires_in_hours = 24 (the default TTL) it exceeds the limits.
    const heavy = {
      subject: 'Heavy {{ org_name }}',
      text: '{% for i in (1..expires_in_hours) %}{% for j in (1..100000) %}{{ link }}{% endfor %}{% endfor %}',
    };
    expect((await put(`${BASE}/password_setup`, heavy, partnerAdmin)).status).toBe(201);
    const started = Date.now();
    const { mail } = await onboard('/auth/v1/users', { email: 'fallback@tmpl.test', role: 'auditor' }, partnerAdmin, 'fallback@tmpl.test');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(mail.subject).toBe('Set your password for Tmpl Partner');
    expect(mail.text).toContain('Choose your password here');
    const [event] = await t.db.query<{ details: any; outcome: string; partner_id: string }>(
      `SELECT details, outcome, partner_id FROM audit_events WHERE type = 'email.template.fallback'`,
    );
    expect(event).toMatchObject({
      outcome: 'failure',
      partner_id: partnerId,
      details: { kind: 'password_setup', level: 'partner', part: 'text', reason: 'limit_exceeded' },
    });
    const warning = logs
      .text()
      .split('\n')
      .find((l) => l.includes('tenant email template failed; the built-in template was used'));
    expect(JSON.parse(warning!)).toMatchObject({
      level: 40,
      kind: 'password_setup',
      template_level: 'partner',
      part: 'text',
      reason: 'limit_exceeded',
    });
    expect(logs.text()).not.toContain(tokenFrom(mail));
  });
});
