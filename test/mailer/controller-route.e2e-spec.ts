/**
 * The controller's route as the seed deploys it: with only the six FW_EVENT_SMTP_SERVER_* variables (no
 * sender variable, a username that is not an address) a VERIFY-mode setup email still goes out, from
 * no-reply@<host of PUBLIC_URL>, and start-up says so once. And FW_EVENT_SMTP_SERVER_CA_CERT: a
 * controller SMTP server with a private CA is trusted with it and refused (tls_reason "untrusted")
 * without it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';
import { CapturedLogs, captureStdout } from '../support/logs';
import { startSmtpServer, testCertificates, TestSmtpServer } from '../support/smtp';

describe('controller route from the seed’s six variables (VERIFY)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let logs: CapturedLogs;

  beforeAll(async () => {
    smtp = await startSmtpServer({ tls: 'starttls', users: { mailer: 'ctl-pass-1' } });
    logs = captureStdout();
    t = await startTestApp({
      env: {
        ACCOUNT_CREATION_STRATEGY: 'VERIFY',
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
        FW_EVENT_SMTP_SERVER_USERNAME: 'mailer',
        FW_EVENT_SMTP_SERVER_PASSWORD: 'ctl-pass-1',
        FW_EVENT_SMTP_SERVER_USE_TLS: 'true',
        FW_EVENT_SMTP_SERVER_USE_INSECURE: 'true',
        EMAIL_POLL_INTERVAL_MS: '25',
        LOG_LEVEL: 'info',
      },
    });
    // A test app is never listen()ed, so Nest would keep its start-up logs buffered; let them through.
    t.app.flushLogs();
  });
  afterAll(async () => {
    logs?.restore();
    await t?.close();
    await smtp?.close();
  });

  it('sends the password-setup email from no-reply@<host of PUBLIC_URL> and says where the sender came from', async () => {
    const root = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const res = await t.client.post('/auth/v1/partners', { name: 'Six Vars', admin: { email: 'admin@six.partner.test' } }, root);
    expect(res.status).toBe(201);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail).toMatchObject({
      envelopeFrom: 'no-reply@console.mailstrata.test',
      envelopeTo: ['admin@six.partner.test'],
      authUser: 'mailer',
      secure: true,
      subject: 'Set your password for Six Vars',
    });

    const effective = await t.client.get(`/event/v1/email/config/effective?partner_id=${res.body.id}`, root);
    expect(effective.body).toMatchObject({
      source: 'controller',
      sender: { email: 'no-reply@console.mailstrata.test', name: null, source: 'public_url' },
    });

    const lines = logs
      .text()
      .split('\n')
      .filter((l) => l.includes('controller SMTP route sender'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ sender: 'no-reply@console.mailstrata.test', sender_source: 'public_url' });
    expect(logs.text()).not.toContain('ctl-pass-1');
  });
});

describe('controller route from the seed’s six variables on the default PUBLIC_URL (http://localhost:8080)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let logs: CapturedLogs;

  beforeAll(async () => {
    smtp = await startSmtpServer({ tls: 'starttls', users: { mailer: 'ctl-pass-2' } });
    logs = captureStdout();
    t = await startTestApp({
      env: {
        ACCOUNT_CREATION_STRATEGY: 'VERIFY',
        // What a first-time user has: no PUBLIC_URL, so the service's own default (a host with no mail domain).
        PUBLIC_URL: 'http://localhost:8080',
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
        FW_EVENT_SMTP_SERVER_USERNAME: 'mailer',
        FW_EVENT_SMTP_SERVER_PASSWORD: 'ctl-pass-2',
        FW_EVENT_SMTP_SERVER_USE_TLS: 'true',
        FW_EVENT_SMTP_SERVER_USE_INSECURE: 'true',
        EMAIL_POLL_INTERVAL_MS: '25',
        LOG_LEVEL: 'info',
      },
    });
    t.app.flushLogs();
  });
  afterAll(async () => {
    logs?.restore();
    await t?.close();
    await smtp?.close();
  });

  it('still sends the setup email, from the reserved development address, and warns once at start', async () => {
    const root = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const res = await t.client.post('/auth/v1/partners', { name: 'Localhost', admin: { email: 'admin@localhost-six.partner.test' } }, root);
    expect(res.status).toBe(201);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail).toMatchObject({ envelopeFrom: 'no-reply@mailstrata.localhost', envelopeTo: ['admin@localhost-six.partner.test'] });
    const lines = logs
      .text()
      .split('\n')
      .filter((l) => l.includes('controller SMTP route sender'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, sender: 'no-reply@mailstrata.localhost', sender_source: 'public_url' });
  });
});

describe('FW_EVENT_SMTP_SERVER_CA_CERT', () => {
  let smtp: TestSmtpServer;
  let dir: string;
  const certs = testCertificates();

  beforeAll(async () => {
    smtp = await startSmtpServer({ tls: 'starttls' });
    dir = mkdtempSync(join(tmpdir(), 'mailstrata-ca-'));
  });
  afterAll(async () => {
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const testControllerRoute = async (extra: Record<string, string>) => {
    const t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'true',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        ...extra,
      },
    });
    try {
      const root = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
      const partner = await t.client.post(
        '/auth/v1/partners',
        { name: 'CA', admin: { email: 'admin@ca.partner.test', password: 'a-long-enough-password-1' } },
        root,
      );
      return await t.client.post(`/event/v1/email/config/verification?partner_id=${partner.body.id}`, { mode: 'connect' }, root);
    } finally {
      await t.close();
    }
  };

  it('trusts the controller SMTP server’s private CA given as a file path', async () => {
    const path = join(dir, 'ca.pem');
    writeFileSync(path, certs.caCert);
    const res = await testControllerRoute({ FW_EVENT_SMTP_SERVER_CA_CERT: path });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'connected', source: 'controller', tls_mode: 'starttls', insecure: false });
  });

  it('without it the same server is refused as untrusted', async () => {
    const res = await testControllerRoute({});
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ stage: 'TLS', tls_reason: 'untrusted' });
    expect(res.body.hint).toMatch(/FW_EVENT_SMTP_SERVER_CA_CERT/);
  });
});
