import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';
import { createTenant, smtp, Tenant } from './helpers';

/** The seed's curl commands, as printed: JSON via --data-raw without a JSON content type, rsid cookie. */
describe('email config: the seed API', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await startTestApp();
    const root = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    tenant = await createTenant(t.client, root);
  });
  afterAll(async () => {
    await t.close();
  });

  it('POST, GET and DELETE work with the seed bodies verbatim', async () => {
    const seedBody = `{
  "email_config": {
    "smtp_config": {
      "username": "apikey",
      "password": "SG.seed-password-123",
      "host": "smtp.sendgrid.net",
      "port": 587,
      "use_tls": true,
      "use_insecure": false,
      "retries": 3
    }
  }
}`;
    // curl --data-raw sends application/x-www-form-urlencoded; the client does the same for strings.
    const created = await t.client.post('/event/v1/email/config', seedBody, tenant.partnerToken);
    expect(created.status).toBe(201);
    expect(created.headers.etag).toMatch(/^"[0-9a-f-]{36}\.1"$/);
    expect(created.body.email_config.smtp_config).toEqual({
      host: 'smtp.sendgrid.net',
      port: 587,
      use_tls: true,
      tls_mode: 'starttls',
      use_insecure: false,
      retries: 3,
      auth_type: 'basic',
      username: 'apikey',
      sender_email: null,
      sender_name: null,
      ca_cert: null,
      client_cert: null,
      oauth2: null,
      password_set: true,
      client_secret_set: false,
      client_key_set: false,
    });
    expect(created.text).not.toContain('SG.seed-password-123');

    const got = await t.client.get('/event/v1/email/config', tenant.partnerToken);
    expect(got.status).toBe(200);
    // GET's tag also covers the health it shows; it names the same profile version as the one POST returned.
    expect(String(got.headers.etag).startsWith(`${String(created.headers.etag).slice(0, -1)}.`)).toBe(true);
    expect(got.body.email_config.metadata).toMatchObject({ scope: 'partner', partner_id: tenant.partnerId, org_id: null, version: 1 });
    expect(got.body.email_config.metadata.updated_by.email).toMatch(/^admin@.*partner\.test$/);
    expect(got.text).not.toContain('SG.seed-password-123');

    const replaced = await t.client.post('/event/v1/email/config', seedBody, tenant.partnerToken);
    expect(replaced.status).toBe(200);
    expect(replaced.body.email_config.metadata.version).toBe(2);

    const deleted = await t.client.delete('/event/v1/email/config', tenant.partnerToken);
    expect(deleted.status).toBe(204);
    const gone = await t.client.get('/event/v1/email/config', tenant.partnerToken);
    expect(gone.status).toBe(404);
    expect(gone.headers['content-type']).toContain('application/problem+json');
    expect(gone.body.code).toBe('SMTP_PROFILE_NOT_FOUND');
  });

  it('writes one SYSTEMAUDIT event per change with the changed field names and no values of secrets', async () => {
    await t.client.post('/event/v1/email/config', smtp({ password: 'audit-pw-1' }), tenant.partnerToken);
    const patched = await t.client.patch(
      '/event/v1/email/config',
      { email_config: { smtp_config: { retries: 5, password: 'audit-pw-2' } } },
      tenant.partnerToken,
    );
    expect(patched.status).toBe(200);
    const rows = await t.db.query<{ type: string; details: Record<string, unknown>; partner_id: string; category: string }>(
      `SELECT type, details, partner_id, category FROM audit_events WHERE type LIKE 'email.config.%' ORDER BY seq`,
    );
    expect(rows.map((r) => r.type)).toEqual([
      'email.config.created',
      'email.config.updated',
      'email.config.deleted',
      'email.config.created',
      'email.config.updated',
    ]);
    expect(rows.every((r) => r.category === 'SYSTEMAUDIT' && r.partner_id === tenant.partnerId)).toBe(true);
    expect(rows[4]!.details.changed_fields).toEqual(['retries', 'password']);
    const text = JSON.stringify(rows);
    expect(text).not.toContain('audit-pw-1');
    expect(text).not.toContain('audit-pw-2');
  });

  it('answers field errors as problem+json with full paths', async () => {
    const bad = await t.client.post(
      '/event/v1/email/config',
      {
        email_config: {
          smtp_config: { host: 'bad host', port: 70000, username: 'u', password: 'p', use_tls: false, sender_name: 'a\r\nBcc: x@y.z' },
        },
      },
      tenant.partnerToken,
    );
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const fields = bad.body.errors.map((e: { field: string; rule: string }) => `${e.field}:${e.rule}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        'email_config.smtp_config.host:isHost',
        'email_config.smtp_config.port:max',
        'email_config.smtp_config.use_tls:tlsRequired',
        'email_config.smtp_config.sender_name:noControlCharacters',
      ]),
    );
    const missing = await t.client.post('/event/v1/email/config', { email_config: {} }, tenant.partnerToken);
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('email_config.smtp_config');
    const stray = await t.client.post('/event/v1/email/config', { ...smtp(), extra: 1 }, tenant.partnerToken);
    expect(stray.status).toBe(400);
    expect(stray.body.errors).toContainEqual(expect.objectContaining({ field: 'extra', rule: 'unknown_field' }));
  });
});
