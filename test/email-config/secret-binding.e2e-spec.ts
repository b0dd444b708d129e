/**
 * What a stored secret is bound to, in the real app: anything that decides who receives it or how that
 * peer is checked (use_insecure, ca_cert, client_cert, token endpoint…) must be resent with it; OAuth2
 * request header values are secrets like client_secret; token endpoints pass the egress guard at save.
 */
import { randomBytes } from 'node:crypto';
import { EffectiveConfigService, reencryptAllSecrets } from '@mailstrata/email-config';
import { parseKeyring, SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { startOAuth2Server, startSmtpServer, testCertificates, TestOAuth2Server, TestSmtpServer } from '../support/smtp';
import { createTenant, PASSWORD, rootToken, Tenant } from './helpers';

const URL_ = '/event/v1/email/config';
const VERIFY = `${URL_}/verification`;
const KEY1 = `k1:${randomBytes(32).toString('base64')}`;
const KEY2 = `k2:${randomBytes(32).toString('base64')}`;

describe('email config: what a stored secret is bound to', () => {
  let t: TestApp;
  let root: string;
  let server: TestSmtpServer;
  let xoauth: TestSmtpServer;
  let idp: TestOAuth2Server;
  const certs = testCertificates();
  const HEADER_VALUE = 'header-api-key-S5-never-shown';

  beforeAll(async () => {
    server = await startSmtpServer({ tls: 'starttls', users: { mailer: 'bound-pass-Q7' } });
    idp = await startOAuth2Server({ clientId: 'app', clientSecret: 'hdr-client-secret', requiredHeaders: { 'x-api-key': HEADER_VALUE } });
    xoauth = await startSmtpServer({ tls: 'starttls', xoauth2: (_user, token) => idp.isValid(token) });
    t = await startTestApp({
      env: {
        SECRETS_ENCRYPTION_KEYS: KEY1,
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: [server.port, xoauth.port].join(','),
      },
    });
    root = await rootToken(t.client);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([server, xoauth, idp].map((s) => s?.close()));
  });

  const basic = () => ({
    host: '127.0.0.1',
    port: server.port,
    tls_mode: 'starttls',
    use_insecure: false,
    ca_cert: certs.caCert,
    username: 'mailer',
    password: 'bound-pass-Q7',
    sender_email: 'noreply@bound.test',
  });

  describe('TLS settings are part of the destination', () => {
    let tenant: Tenant;
    beforeAll(async () => {
      tenant = await createTenant(t.client, root, 'tls');
      expect((await t.client.post(URL_, { email_config: { smtp_config: basic() } }, tenant.partnerToken)).status).toBe(201);
    });

    it('PATCH use_insecure: true without the password is 400 SECRET_REQUIRED', async () => {
      const res = await t.client.patch(URL_, { email_config: { smtp_config: { use_insecure: true } } }, tenant.partnerToken);
      expect([res.status, res.body.code]).toEqual([400, 'SECRET_REQUIRED']);
      expect(res.body.errors[0]).toMatchObject({ field: 'email_config.smtp_config.password', rule: 'secretRequired' });
      expect(res.body.errors[0].message).toMatch(/use_insecure, ca_cert, client_cert/);
      expect((await t.client.get(URL_, tenant.partnerToken)).body.email_config.smtp_config.use_insecure).toBe(false);
    });

    it('PATCH another ca_cert (or none) without the password is 400; with it, 200', async () => {
      for (const ca_cert of [certs.otherCaCert, null]) {
        const res = await t.client.patch(URL_, { email_config: { smtp_config: { ca_cert } } }, tenant.partnerToken);
        expect([ca_cert === null ? 'none' : 'other', res.status, res.body.code]).toEqual([
          ca_cert === null ? 'none' : 'other',
          400,
          'SECRET_REQUIRED',
        ]);
      }
      const replace = await t.client.post(
        URL_,
        { email_config: { smtp_config: { ...basic(), password: undefined, use_insecure: true } } },
        tenant.partnerToken,
      );
      expect([replace.status, replace.body.code]).toEqual([400, 'SECRET_REQUIRED']);
      const resent = await t.client.patch(
        URL_,
        { email_config: { smtp_config: { ca_cert: certs.otherCaCert, password: 'bound-pass-Q7' } } },
        tenant.partnerToken,
      );
      expect(resent.status).toBe(200);
      // back as it was, for the candidate test below
      const back = await t.client.patch(
        URL_,
        { email_config: { smtp_config: { ca_cert: certs.caCert, password: 'bound-pass-Q7' } } },
        tenant.partnerToken,
      );
      expect(back.status).toBe(200);
    });

    it('a verification candidate that differs only in use_insecure must bring the password; nothing connects', async () => {
      const before = server.connections;
      const { password: _omit, ...withoutPassword } = basic();
      const same = await t.client.post(
        VERIFY,
        { recipient_email: 'someone@customer.test', mode: 'connect', smtp_config: withoutPassword },
        tenant.partnerToken,
      );
      expect(same.status).toBe(200); // the same destination borrows the stored password
      const connectedOnce = server.connections;
      expect(connectedOnce).toBe(before + 1);
      const insecure = await t.client.post(
        VERIFY,
        { recipient_email: 'someone@customer.test', mode: 'connect', smtp_config: { ...withoutPassword, use_insecure: true } },
        tenant.partnerToken,
      );
      expect([insecure.status, insecure.body.code]).toEqual([400, 'SECRET_REQUIRED']);
      expect(insecure.body.errors[0].field).toBe('smtp_config.password');
      expect(server.connections).toBe(connectedOnce);
    });
  });

  describe('a refused SMTP destination at save names its field', () => {
    it('names the host for a refused network, the port for a refused port, and both when both are; nothing is saved', async () => {
      const tenant = await createTenant(t.client, root, 'egress-host');
      const save = (host: string, port: number) =>
        t.client.post(
          URL_,
          { email_config: { smtp_config: { host, port, tls_mode: 'starttls', auth_type: 'none' } } },
          tenant.partnerToken,
        );
      for (const [host, port, fields] of [
        ['169.254.169.254', 587, ['host']],
        ['10.0.0.1', 587, ['host']],
        ['127.0.0.1', 22, ['port']],
        ['10.0.0.1', 2526, ['port', 'host']],
      ] as const) {
        const res = await save(host, port);
        expect({ host, port, status: res.status, code: res.body.code, errors: res.body.errors }).toEqual({
          host,
          port,
          status: 422,
          code: 'SMTP_DESTINATION_REFUSED',
          errors: fields.map((field) => expect.objectContaining({ field: `email_config.smtp_config.${field}`, rule: 'egressAllowed' })),
        });
      }
      expect((await t.client.get(URL_, tenant.partnerToken)).status).toBe(404);
    });
  });

  describe('OAuth2 token endpoints pass the egress guard at save', () => {
    const oauth = (token_endpoint: string) => ({
      host: '127.0.0.1',
      port: server.port,
      tls_mode: 'starttls',
      username: 'mailer@bound.test',
      oauth2: { token_endpoint, client_id: 'app', client_secret: 'egress-client-secret' },
    });

    it('refuses metadata, loopback and link-local token endpoints naming the field; nothing is saved', async () => {
      const tenant = await createTenant(t.client, root, 'egress');
      for (const endpoint of [
        'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        'http://127.0.0.2:8080/token',
        'https://[::1]/token',
        'http://0x7f000002/token', // the URL parser reads it as 127.0.0.2
      ]) {
        const res = await t.client.post(URL_, { email_config: { smtp_config: oauth(endpoint) } }, tenant.partnerToken);
        expect([endpoint, res.status, res.body.code]).toEqual([endpoint, 422, 'SMTP_DESTINATION_REFUSED']);
        expect(res.body.errors).toEqual([
          expect.objectContaining({ field: 'email_config.smtp_config.oauth2.token_endpoint', rule: 'egressAllowed' }),
        ]);
      }
      expect((await t.client.get(URL_, tenant.partnerToken)).status).toBe(404);

      // an allowed one saves; a PATCH moving it inside is refused and changes nothing
      const ok = await t.client.post(URL_, { email_config: { smtp_config: oauth('https://login.bound.test/token') } }, tenant.partnerToken);
      expect(ok.status).toBe(201);
      const moved = await t.client.patch(
        URL_,
        { email_config: { smtp_config: { oauth2: { token_endpoint: 'http://169.254.169.254/token', client_secret: 'again' } } } },
        tenant.partnerToken,
      );
      expect([moved.status, moved.body.errors?.[0]?.field]).toEqual([422, 'email_config.smtp_config.oauth2.token_endpoint']);
      const stored = (await t.client.get(URL_, tenant.partnerToken)).body.email_config;
      expect(stored.smtp_config.oauth2.token_endpoint).toBe('https://login.bound.test/token');
      expect(stored.metadata.version).toBe(1);
    });
  });

  describe('OAuth2 request header values are secrets', () => {
    let tenant: Tenant;
    let auditorToken: string;
    const profile = (oauth2: Record<string, unknown> = {}) => ({
      email_config: {
        smtp_config: {
          host: '127.0.0.1',
          port: xoauth.port,
          tls_mode: 'starttls',
          ca_cert: certs.caCert,
          username: 'mailer@hdr.test',
          sender_email: 'mailer@hdr.test',
          oauth2: {
            token_endpoint: idp.url,
            client_id: 'app',
            client_secret: 'hdr-client-secret',
            request_headers: [{ name: 'X-Api-Key', value: HEADER_VALUE }],
            ...oauth2,
          },
        },
      },
    });
    const row = async () =>
      (
        await t.db.query<{ j: string; enc: string | null }>(
          `SELECT row_to_json(p)::text AS j, oauth2_request_headers_enc AS enc FROM smtp_profiles p WHERE partner_id = $1 AND org_id IS NULL AND state = 'active'`,
          [tenant.partnerId],
        )
      )[0]!;

    beforeAll(async () => {
      tenant = await createTenant(t.client, root, 'hdr');
      const email = `auditor@${tenant.partnerId}.test`;
      const made = await t.client.post('/auth/v1/users', { email, role: 'auditor', password: PASSWORD }, tenant.partnerToken);
      expect(made.status).toBe(201);
      auditorToken = await t.client.login(email, PASSWORD);
    });

    it('are encrypted at rest, shown to nobody (admins, auditors, org admins, audit events) and still sent to the token endpoint', async () => {
      const created = await t.client.post(URL_, profile(), tenant.partnerToken);
      expect(created.status).toBe(201);
      expect(created.body.email_config.smtp_config.oauth2.request_headers).toEqual([{ name: 'X-Api-Key', value_set: true }]);

      const stored = await row();
      expect(stored.enc).toMatch(/^v1\.k1\./);
      expect(stored.j).toContain('X-Api-Key');
      expect(stored.j.replace(stored.enc!, '')).not.toContain(HEADER_VALUE);

      const views = [
        created,
        await t.client.get(URL_, tenant.partnerToken),
        await t.client.get(`${URL_}?partner_id=${tenant.partnerId}`, auditorToken),
        await t.client.get(`${URL_}/effective`, auditorToken),
        await t.client.get(`${URL_}/effective`, tenant.orgToken),
        await t.client.get('/opsauditlogs/?timefrom=now-1h&category=SYSTEMAUDIT', auditorToken),
      ];
      for (const v of views) expect([v.status < 300, v.text.includes(HEADER_VALUE)]).toEqual([true, false]);
      expect(views[2]!.body.email_config.smtp_config.oauth2.request_headers).toEqual([{ name: 'X-Api-Key', value_set: true }]);
      const audits = JSON.stringify(await t.db.query(`SELECT * FROM audit_events`));
      expect(audits).not.toContain(HEADER_VALUE);

      // the token endpoint requires the header: a working XOAUTH2 login proves the value still reaches it
      const before = idp.requests;
      const test = await t.client.post(VERIFY, { recipient_email: 'someone@customer.test', mode: 'connect' }, tenant.partnerToken);
      expect([test.status, test.body.status]).toEqual([200, 'connected']);
      expect(idp.requests).toBe(before + 1);
    });

    it('follow a new token endpoint only when resent (or dropped with null); other changes keep them', async () => {
      const moved = await t.client.patch(
        URL_,
        {
          email_config: { smtp_config: { oauth2: { token_endpoint: 'https://login.elsewhere.test/token', client_secret: 'new-secret' } } },
        },
        tenant.partnerToken,
      );
      expect([moved.status, moved.body.code]).toEqual([400, 'SECRET_REQUIRED']);
      expect(moved.body.errors).toEqual([
        expect.objectContaining({ field: 'email_config.smtp_config.oauth2.request_headers', rule: 'secretRequired' }),
      ]);

      const scopeOnly = await t.client.patch(URL_, { email_config: { smtp_config: { oauth2: { scope: 'smtp' } } } }, tenant.partnerToken);
      expect(scopeOnly.status).toBe(200);
      expect(scopeOnly.body.email_config.smtp_config.oauth2.request_headers).toEqual([{ name: 'X-Api-Key', value_set: true }]);
      const resolved = await t.app.get(EffectiveConfigService).resolveForPartner(tenant.partnerId);
      expect(resolved.secrets.requestHeaders).toEqual([{ name: 'X-Api-Key', value: HEADER_VALUE }]);

      const resent = await t.client.patch(
        URL_,
        {
          email_config: {
            smtp_config: {
              oauth2: {
                token_endpoint: 'https://login.elsewhere.test/token',
                client_secret: 'new-secret',
                request_headers: [{ name: 'X-Other', value: 'other-value-1' }],
              },
            },
          },
        },
        tenant.partnerToken,
      );
      expect(resent.status).toBe(200);
      expect(resent.body.email_config.smtp_config.oauth2.request_headers).toEqual([{ name: 'X-Other', value_set: true }]);
      const ev = await t.db.query<{ details: any }>(
        `SELECT details FROM audit_events WHERE type = 'email.config.updated' AND partner_id = $1 ORDER BY seq DESC LIMIT 1`,
        [tenant.partnerId],
      );
      expect(ev[0]!.details.changed_fields).toEqual(expect.arrayContaining(['oauth2.request_headers', 'oauth2.client_secret']));
      expect(JSON.stringify(ev)).not.toContain('other-value-1');

      const dropped = await t.client.patch(
        URL_,
        {
          email_config: { smtp_config: { oauth2: { token_endpoint: idp.url, client_secret: 'hdr-client-secret', request_headers: null } } },
        },
        tenant.partnerToken,
      );
      expect(dropped.status).toBe(200);
      expect(dropped.body.email_config.smtp_config.oauth2.request_headers).toEqual([]);
      expect((await row()).enc).toBeNull();
    });

    it('plaintext values of rows written before are sealed at start, and re-encryption covers them', async () => {
      expect((await t.client.post(URL_, profile(), tenant.partnerToken)).status).toBe(200);
      // a row as the previous release wrote it: values in the oauth2 JSON, no ciphertext
      await t.db.query(
        `UPDATE smtp_profiles SET oauth2_request_headers_enc = NULL,
           oauth2 = jsonb_set(oauth2, '{request_headers}', $2::jsonb) WHERE partner_id = $1 AND org_id IS NULL`,
        [tenant.partnerId, JSON.stringify([{ name: 'X-Api-Key', value: HEADER_VALUE }])],
      );
      expect((await row()).j).toContain(HEADER_VALUE);

      const second = await startTestApp({ db: t.db, env: t.env });
      try {
        const sealed = await row();
        expect(sealed.enc).toMatch(/^v1\.k1\./);
        expect(sealed.j.replace(sealed.enc!, '')).not.toContain(HEADER_VALUE);
        const resolved = await second.app.get(EffectiveConfigService).resolveForPartner(tenant.partnerId);
        expect(resolved.secrets.requestHeaders).toEqual([{ name: 'X-Api-Key', value: HEADER_VALUE }]);
      } finally {
        await second.close();
      }

      const rotated = new SecretCipher(parseKeyring(`${KEY2},${KEY1}`));
      await reencryptAllSecrets(t.app.get(DataSource), rotated);
      expect((await row()).enc).toMatch(/^v1\.k2\./);
    });
  });
});
