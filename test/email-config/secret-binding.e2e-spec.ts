/**
 * What a stored secret is bound to, in the real app: anything that decides who receives it or how that
 * peer is checked (use_insecure, ca_cert, client_cert, token endpoint…) must be resent with it; OAuth2
 * request header values are secrets like client_secret; token endpoints pass the egress guard at save.
 */
import { startTestApp, TestApp } from '../support/app';
import { startSmtpServer, testCertificates, TestSmtpServer } from '../support/smtp';
import { createTenant, rootToken, Tenant } from './helpers';

const URL_ = '/event/v1/email/config';
const VERIFY = `${URL_}/verification`;

describe('email config: what a stored secret is bound to', () => {
  let t: TestApp;
  let root: string;
  let server: TestSmtpServer;
  const certs = testCertificates();

  beforeAll(async () => {
    server = await startSmtpServer({ tls: 'starttls', users: { mailer: 'bound-pass-Q7' } });
    t = await startTestApp({ env: { SMTP_ALLOWED_NETWORKS: '127.0.0.1/32', SMTP_ALLOWED_PORTS: String(server.port) } });
    root = await rootToken(t.client);
  });
  afterAll(async () => {
    await t?.close();
    await server?.close();
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
});
