/**
 * Servers that echo what they were sent, in the real app: an SMTP server that repeats the received AUTH
 * data (PLAIN, LOGIN, XOAUTH2) in its 535 reply, and a token endpoint that puts the client secret in its
 * `error`. The partner set the secrets; the org admin runs the test through the partner's route. Neither
 * the secrets nor any wire encoding of them may reach the answer, the audit rows, the health row, the
 * delivery tables or a log line. Token endpoint failures get a hint that matches what went wrong.
 */
import { getDataSourceToken } from '@nestjs/typeorm';
import { EmailOutbox } from '@mailstrata/delivery';
import { OAuth2TokenClient } from '@mailstrata/mailer';
import type { SMTPServerAuthentication } from 'smtp-server';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { captureStdout, CapturedLogs } from '../support/logs';
import {
  startOAuth2Server,
  startSmtpServer,
  startTcpServer,
  testCertificates,
  TestOAuth2Server,
  TestSmtpServer,
  waitFor,
} from '../support/smtp';
import { createTenant, rootToken, Tenant } from '../email-config/helpers';

const CONFIG = '/event/v1/email/config';
const VERIFY = `${CONFIG}/verification`;
const USER = 'mailer@partner.test';
const PASSWORD = 'Partner-Only-Pässword-71';
const CLIENT_SECRET = 'partner-client-secret-Z9x';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** What each mechanism put on the wire, the way a server could echo it back. */
function wireForms(auth: SMTPServerAuthentication): string[] {
  const user = auth.username ?? '';
  if (auth.method === 'XOAUTH2') {
    const token = auth.accessToken ?? '';
    return [token, b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`), `auth=Bearer ${token}`];
  }
  const pass = auth.password ?? '';
  if (auth.method === 'LOGIN') return [pass, b64(pass)];
  return [pass, b64(`\0${user}\0${pass}`), `\0${user}\0${pass}`];
}

/** Every form a secret must never appear in. */
function forbiddenForms(secrets: string[], user: string): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    out.add(s);
    out.add(b64(s));
    out.add(b64(`\0${user}\0${s}`));
    out.add(b64(`user=${user}\x01auth=Bearer ${s}\x01\x01`));
    out.add(encodeURIComponent(s));
  }
  return [...out];
}

describe('secrets in server replies', () => {
  let t: TestApp;
  let tenant: Tenant;
  let logs: CapturedLogs;
  let plain: TestSmtpServer;
  let login: TestSmtpServer;
  let xoauth: TestSmtpServer;
  let idp: TestOAuth2Server;
  /** Which of the received wire forms the servers echo next. */
  let echoIndex = 0;
  const certs = testCertificates();
  const echo = (auth: SMTPServerAuthentication) => {
    const forms = wireForms(auth);
    return `5.7.8 Authentication failed for data: ${forms[echoIndex % forms.length]}`;
  };

  beforeAll(async () => {
    logs = captureStdout();
    plain = await startSmtpServer({ tls: 'starttls', users: { [USER]: 'x' }, authMethods: ['PLAIN'], authFailureText: echo });
    login = await startSmtpServer({ tls: 'starttls', users: { [USER]: 'x' }, authMethods: ['LOGIN'], authFailureText: echo });
    xoauth = await startSmtpServer({ tls: 'starttls', xoauth2: () => true, authMethods: ['XOAUTH2'], authFailureText: echo });
    idp = await startOAuth2Server({ clientId: 'partner-app', clientSecret: CLIENT_SECRET });
    t = await startTestApp({
      env: {
        LOG_LEVEL: 'debug',
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: [plain.port, login.port, xoauth.port].join(','),
        VERIFICATION_RATE_LIMIT_PER_MINUTE: '1000',
        EMAIL_POLL_INTERVAL_MS: '25',
      },
    });
    tenant = await createTenant(t.client, await rootToken(t.client), 'echo');
  });
  afterAll(async () => {
    logs?.restore();
    await t?.close();
    await Promise.all([plain, login, xoauth, idp].map((s) => s?.close()));
  });

  const basicProfile = (server: TestSmtpServer) => ({
    email_config: {
      smtp_config: {
        host: '127.0.0.1',
        port: server.port,
        tls_mode: 'starttls',
        ca_cert: certs.caCert,
        username: USER,
        password: PASSWORD,
        sender_email: USER,
        retries: 0,
      },
    },
  });
  const oauthProfile = (tokenEndpoint = idp.url) => ({
    email_config: {
      smtp_config: {
        host: '127.0.0.1',
        port: xoauth.port,
        tls_mode: 'starttls',
        ca_cert: certs.caCert,
        username: USER,
        sender_email: USER,
        retries: 0,
        oauth2: { token_endpoint: tokenEndpoint, client_id: 'partner-app', client_secret: CLIENT_SECRET },
      },
    },
  });
  const orgTest = () => t.client.post(VERIFY, { recipient_email: 'someone@customer.test', mode: 'connect' }, tenant.orgToken);

  async function everywhere(): Promise<string> {
    const audits = JSON.stringify(await t.db.query(`SELECT * FROM audit_events`));
    const health = JSON.stringify(await t.db.query(`SELECT * FROM smtp_profile_health`));
    const jobs = JSON.stringify(await t.db.query(`SELECT * FROM email_jobs`));
    return [audits, health, jobs, logs.text()].join('\n');
  }

  it.each([
    ['PLAIN', () => plain],
    ['LOGIN', () => login],
  ])('AUTH %s: a reply echoing the password, plain or encoded, reaches nobody', async (_method, server) => {
    expect((await t.client.post(CONFIG, basicProfile(server()), tenant.partnerToken)).status).toBeLessThan(300);
    const forbidden = forbiddenForms([PASSWORD], USER);
    for (echoIndex = 0; echoIndex < 3; echoIndex++) {
      const res = await orgTest();
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ stage: 'AUTH', smtp_code: 535 });
      expect(res.body.smtp_response).toMatch(/^535 5\.7\.8 Authentication failed for data: .*\[redacted\]$/);
      for (const f of forbidden) expect([echoIndex, f, res.text.includes(f)]).toEqual([echoIndex, f, false]);
    }
    const everything = await everywhere();
    expect(logs.text()).toContain(VERIFY); // the logs did capture the requests
    for (const f of forbidden) expect([f, everything.includes(f)]).toEqual([f, false]);
  });

  it('XOAUTH2: a reply echoing the access token (plain or base64) reaches nobody', async () => {
    expect((await t.client.post(CONFIG, oauthProfile(), tenant.partnerToken)).status).toBe(200);
    for (echoIndex = 0; echoIndex < 3; echoIndex++) {
      const res = await orgTest();
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ stage: 'AUTH', smtp_code: 535 });
      expect(res.body.smtp_response).toContain('[redacted]');
      expect(idp.issued.length).toBeGreaterThan(0);
      for (const f of forbiddenForms([...idp.issued, CLIENT_SECRET], USER))
        expect([echoIndex, f, res.text.includes(f)]).toEqual([echoIndex, f, false]);
    }
    const everything = await everywhere();
    for (const f of forbiddenForms([...idp.issued, CLIENT_SECRET], USER)) expect([f, everything.includes(f)]).toEqual([f, false]);
  });

  it('the delivery worker books the same failure without the secret', async () => {
    expect((await t.client.post(CONFIG, basicProfile(plain), tenant.partnerToken)).status).toBe(200);
    echoIndex = 1; // the AUTH PLAIN base64
    const dataSource = t.app.get<DataSource>(getDataSourceToken());
    const outbox = t.app.get(EmailOutbox);
    await dataSource.transaction((m) =>
      outbox.enqueue(m, {
        scope: { partnerId: tenant.partnerId, orgId: tenant.orgId },
        kind: 'password_setup',
        to: 'new.user@customer.test',
        subject: 'Welcome',
        text: 'Hello',
      }),
    );
    const failed = await waitFor(
      async () =>
        (
          await t.db.query<{ details: any }>(`SELECT details FROM audit_events WHERE type = 'email.failed' AND partner_id = $1`, [
            tenant.partnerId,
          ])
        )[0],
      10_000,
      'email.failed',
    );
    expect(failed.details).toMatchObject({ stage: 'AUTH', smtp_code: 535 });
    const everything = await everywhere();
    for (const f of forbiddenForms([PASSWORD], USER)) expect([f, everything.includes(f)]).toEqual([f, false]);
  });

  describe('token endpoint answers', () => {
    beforeAll(async () => {
      expect((await t.client.post(CONFIG, oauthProfile(), tenant.partnerToken)).status).toBe(200);
    });
    // Each case must reach the endpoint, not a token cached by an earlier one.
    beforeEach(() => t.app.get(OAuth2TokenClient).clear());
    afterEach(() => {
      idp.answer = undefined;
    });

    it('an `error` that is not an RFC 6749 code (here: the client secret) becomes unrecognized_error; error_description is never repeated', async () => {
      idp.answer = { status: 400, body: { error: CLIENT_SECRET } };
      const echoed = await orgTest();
      expect(echoed.status).toBe(502);
      expect(echoed.body).toMatchObject({ stage: 'OAUTH_TOKEN', smtp_response: 'the token endpoint answered 400 unrecognized_error' });
      expect(echoed.text).not.toContain(CLIENT_SECRET);

      idp.answer = { status: 401, body: { error: 'invalid_client', error_description: `bad secret ${CLIENT_SECRET}` } };
      const described = await orgTest();
      expect(described.body.smtp_response).toBe('the token endpoint answered 401 invalid_client');
      expect(described.body.hint).toMatch(/refused the client credentials/);
      expect(described.text).not.toContain(CLIENT_SECRET);
      expect(await everywhere()).not.toContain(CLIENT_SECRET);
    });

    it('a token endpoint nobody answers on says so, instead of "refused"', async () => {
      const closed = await startTcpServer('count', '127.0.0.1');
      await closed.close();
      expect((await t.client.post(CONFIG, oauthProfile(`http://127.0.0.1:${closed.port}/token`), tenant.partnerToken)).status).toBe(200);
      const res = await orgTest();
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ stage: 'OAUTH_TOKEN', transient: true, smtp_response: 'the token endpoint could not be reached' });
      expect(res.body.hint).toMatch(/could not be reached/);
      expect(res.body.hint).not.toMatch(/refused/);
    });

    it('an answer without a token has its own hint', async () => {
      expect((await t.client.post(CONFIG, oauthProfile(), tenant.partnerToken)).status).toBe(200);
      idp.answer = { status: 200, body: { hello: 'world' } };
      const res = await orgTest();
      expect(res.body).toMatchObject({ stage: 'OAUTH_TOKEN', smtp_response: 'the token endpoint answered 200' });
      expect(res.body.hint).toMatch(/without an access token/);
    });
  });
});
