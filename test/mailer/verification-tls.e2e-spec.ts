/**
 * TLS failures of a test email, each against a real TLS server that fails for exactly one reason: the
 * answer names the reason (`tls_reason`, detail and hint), and so do the log line and the audit event.
 * A TLS mode that does not match the port (plain or STARTTLS against implicit TLS, and the reverse)
 * fails fast instead of waiting out the greeting timeout.
 */
import { startTestApp, TestApp } from '../support/app';
import { CapturedLogs, captureStdout } from '../support/logs';
import { brokenCertificates, BrokenCertificates, startSmtpServer, testCertificates, TestSmtpServer } from '../support/smtp';
import { createTenant, rootToken, Tenant } from '../email-config/helpers';

const URL_ = '/event/v1/email/config/verification';

describe('test email TLS failures', () => {
  let t: TestApp;
  let tenant: Tenant;
  let logs: CapturedLogs;
  let broken: BrokenCertificates;
  const servers: Record<string, TestSmtpServer> = {};
  const certs = testCertificates();

  beforeAll(async () => {
    broken = await brokenCertificates();
    servers.selfSigned = await startSmtpServer({ tls: 'starttls', certificate: broken.selfSigned });
    servers.wrongHost = await startSmtpServer({ tls: 'implicit', certificate: broken.wrongHost });
    servers.expired = await startSmtpServer({ tls: 'starttls', certificate: broken.expired });
    servers.clientCert = await startSmtpServer({ tls: 'implicit', requireClientCert: true });
    servers.oldTls = await startSmtpServer({ tls: 'starttls', tlsVersions: { min: 'TLSv1', max: 'TLSv1.1' } });
    servers.implicit = await startSmtpServer({ tls: 'implicit' });
    servers.plain = await startSmtpServer();
    logs = captureStdout();
    t = await startTestApp({
      env: {
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: Object.values(servers)
          .map((s) => s.port)
          .join(','),
        VERIFICATION_RATE_LIMIT_PER_MINUTE: '1000',
        LOG_LEVEL: 'info',
      },
    });
    // A test app is never listen()ed, so Nest would keep buffering its logs; let them through.
    t.app.flushLogs();
    tenant = await createTenant(t.client, await rootToken(t.client), 'tls');
  });
  afterAll(async () => {
    logs?.restore();
    await t?.close();
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  const connect = async (server: TestSmtpServer, config: Record<string, unknown>) => {
    const started = Date.now();
    const res = await t.client.post(
      URL_,
      { mode: 'connect', smtp_config: { host: '127.0.0.1', port: server.port, sender_email: 'ops@tls.test', ...config } },
      tenant.partnerToken,
    );
    return { res, ms: Date.now() - started };
  };

  it.each([
    ['untrusted', 'selfSigned', () => ({ tls_mode: 'starttls' }), /ca_cert/],
    ['hostname_mismatch', 'wrongHost', () => ({ tls_mode: 'implicit', ca_cert: broken.wrongHost.cert }), /host/],
    ['expired', 'expired', () => ({ tls_mode: 'starttls', ca_cert: broken.expired.cert }), /expired/],
    ['client_certificate_rejected', 'clientCert', () => ({ tls_mode: 'implicit', ca_cert: certs.caCert }), /client_cert/],
    ['protocol_version', 'oldTls', () => ({ tls_mode: 'starttls', ca_cert: certs.caCert }), /TLS 1\.2/],
  ] as const)('names the reason %s in the answer, the log and the audit event', async (reason, server, config, hint) => {
    const { res } = await connect(servers[server]!, config());
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'SMTP_DELIVERY_FAILED', stage: 'TLS', tls_reason: reason });
    expect(res.body.hint).toMatch(hint);
    expect(res.body.detail).toMatch(/TLS negotiation failed: .+/);

    const [event] = await t.db.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE type = 'email.verification.failed' AND details->>'port' = $1 ORDER BY seq DESC LIMIT 1`,
      [String(servers[server]!.port)],
    );
    expect(event!.details).toMatchObject({ stage: 'TLS', tls_reason: reason });
    const line = logs
      .text()
      .split('\n')
      .find((l) => l.includes('test email failed') && l.includes(`"port":${servers[server]!.port}`));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ stage: 'TLS', tls_reason: reason });
  });

  it.each(['starttls', 'none'])('tls_mode %s against an implicit TLS port fails fast with the hint to use implicit', async (mode) => {
    const { res, ms } = await connect(servers.implicit!, { tls_mode: mode, ca_cert: certs.caCert });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ stage: 'TLS', tls_reason: 'implicit_tls_port' });
    expect(res.body.hint).toMatch(/tls_mode to "implicit"/);
    // The greeting timeout is 10 s; the probe answers long before.
    expect(ms).toBeLessThan(5_000);
  });

  it('implicit TLS against a plain SMTP port fails fast with the hint to use STARTTLS', async () => {
    const { res, ms } = await connect(servers.plain!, { tls_mode: 'implicit' });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ stage: 'TLS', tls_reason: 'plain_port' });
    expect(res.body.hint).toMatch(/tls_mode to "starttls"/);
    expect(ms).toBeLessThan(5_000);
  });
});
