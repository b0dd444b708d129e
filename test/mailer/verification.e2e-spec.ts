/**
 * POST /event/v1/email/config/verification in the real app against real SMTP servers: the same test
 * lands on the controller's, the partner's or the org's server as profiles change; unsaved candidates;
 * failures answered with their stage; refused destinations; one recipient, no CR/LF; the rate limit;
 * the audit trail.
 */
import { startTestApp, TestApp } from '../support/app';
import { startSmtpServer, testCertificates, TestSmtpServer, waitFor } from '../support/smtp';
import { createTenant, rootToken, setOverride, Tenant } from '../email-config/helpers';

const URL_ = '/event/v1/email/config/verification';
const seedBody = (subject: string) => ({
  sender_email: 'admin@partner.test',
  recipient_email: 'someone@customer.test',
  subject,
  body: 'Hello from the test.',
});

describe('email verification', () => {
  let t: TestApp;
  let controllerSmtp: TestSmtpServer;
  let partnerSmtp: TestSmtpServer;
  let orgSmtp: TestSmtpServer;
  let refusing: TestSmtpServer;
  let tenant: Tenant;
  let root: string;
  const certs = testCertificates();

  beforeAll(async () => {
    controllerSmtp = await startSmtpServer();
    partnerSmtp = await startSmtpServer({ tls: 'starttls', users: { mailer: 'partner-smtp-pass-1' } });
    orgSmtp = await startSmtpServer({ tls: 'implicit' });
    refusing = await startSmtpServer({ failures: { rcptTo: 550 } });
    t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(controllerSmtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: [partnerSmtp.port, orgSmtp.port, refusing.port].join(','),
        VERIFICATION_RATE_LIMIT_PER_MINUTE: '12',
      },
    });
    root = await rootToken(t.client);
    tenant = await createTenant(t.client, root, 'verif');
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([controllerSmtp, partnerSmtp, orgSmtp, refusing].map((s) => s?.close()));
  });

  const partnerProfile = {
    email_config: {
      smtp_config: {
        host: '127.0.0.1',
        port: 0,
        tls_mode: 'starttls',
        username: 'mailer',
        password: 'partner-smtp-pass-1',
        ca_cert: certs.caCert,
        sender_email: 'noreply@partner.test',
        sender_name: 'Partner Mail',
        retries: 2,
      },
    },
  };

  it('the same verification lands on the controller, partner or org server as the profiles change', async () => {
    // The controller admin owns every route, so the seed's body goes through each as written (an admin
    // of a lower level may only send the fixed test email through a route above it: verification-rules).
    const asRoot = (query: string, subject: string) => t.client.post(`${URL_}?${query}`, seedBody(subject), root);
    // 1. No profiles: the controller's env profile.
    const viaController = await asRoot(`partner_id=${tenant.partnerId}`, 'hierarchy 1');
    expect(viaController.status).toBe(200);
    expect(viaController.body).toMatchObject({ status: 'sent', source: 'controller', accepted: ['someone@customer.test'], rejected: [] });
    expect(viaController.body.smtp_response).toMatch(/^250 /);
    expect(viaController.body.message_id).toMatch(/^<.+>$/);
    expect(viaController.body.timings.total_ms).toBeGreaterThan(0);
    const [c] = await controllerSmtp.waitForMessages(1);
    expect(c).toMatchObject({
      envelopeFrom: 'admin@partner.test',
      to: 'someone@customer.test',
      subject: 'hierarchy 1',
      text: 'Hello from the test.',
    });
    expect(c!.headers.get('message-id')).toEqual([viaController.body.message_id]);

    // 2. A partner profile: the partner's server, over STARTTLS with AUTH.
    partnerProfile.email_config.smtp_config.port = partnerSmtp.port;
    expect((await t.client.post('/event/v1/email/config', partnerProfile, tenant.partnerToken)).status).toBe(201);
    const viaPartner = await t.client.post(URL_, seedBody('hierarchy 2'), tenant.partnerToken);
    expect(viaPartner.status).toBe(200);
    expect(viaPartner.body).toMatchObject({ source: 'partner', host: '127.0.0.1', port: partnerSmtp.port, tls_mode: 'starttls' });
    const [p] = await partnerSmtp.waitForMessages(1);
    expect(p).toMatchObject({ subject: 'hierarchy 2', authUser: 'mailer', secure: true });
    // The org (switch off) uses the partner's too.
    expect((await asRoot(`org_id=${tenant.orgId}`, 'hierarchy 3')).body.source).toBe('partner');
    await partnerSmtp.waitForMessages(2);

    // 3. The org's own profile once its switch is on.
    await setOverride(t.client, tenant.partnerToken, tenant.orgId, true);
    const orgProfile = {
      email_config: {
        smtp_config: {
          host: '127.0.0.1',
          port: orgSmtp.port,
          tls_mode: 'implicit',
          ca_cert: certs.caCert,
          sender_email: 'it@org.test',
          retries: 1,
        },
      },
    };
    expect((await t.client.post('/event/v1/email/config', orgProfile, tenant.orgToken)).status).toBe(201);
    const viaOrg = await t.client.post(URL_, seedBody('hierarchy 4'), tenant.orgToken);
    expect(viaOrg.body).toMatchObject({ source: 'org', port: orgSmtp.port });
    expect((await orgSmtp.waitForMessages(1))[0]!.subject).toBe('hierarchy 4');
    // A partner admin testing that org (?org_id=) reaches the same server.
    expect((await t.client.post(`${URL_}?org_id=${tenant.orgId}`, seedBody('hierarchy 5'), tenant.partnerToken)).body.source).toBe('org');
    await orgSmtp.waitForMessages(2);

    // 4. Switch off: back to the partner's. Partner profile deleted: back to the controller's.
    await setOverride(t.client, tenant.partnerToken, tenant.orgId, false);
    // The resolution cache hears of the switch over the change bus (after commit), not synchronously.
    await waitFor(
      async () => ((await t.client.get('/event/v1/email/config/effective', tenant.orgToken)).body.source === 'partner' ? true : undefined),
      5_000,
      'switch off',
    );
    expect((await asRoot(`org_id=${tenant.orgId}`, 'hierarchy 6')).body.source).toBe('partner');
    expect((await t.client.delete('/event/v1/email/config', tenant.partnerToken)).status).toBe(204);
    await waitFor(
      async () =>
        (await t.client.get('/event/v1/email/config/effective', tenant.orgToken)).body.source === 'controller' ? true : undefined,
      5_000,
      'delete',
    );
    expect((await asRoot(`org_id=${tenant.orgId}`, 'hierarchy 7')).body.source).toBe('controller');
    expect((await controllerSmtp.waitForMessages(2)).map((m) => m.subject)).toEqual(['hierarchy 1', 'hierarchy 7']);
    expect(orgSmtp.messages).toHaveLength(2);
  });

  it('tests an unsaved smtp_config without saving it; a new destination must bring its own secret', async () => {
    const other = await createTenant(t.client, root, 'cand');
    partnerProfile.email_config.smtp_config.port = partnerSmtp.port;
    const before = partnerSmtp.messages.length;
    const res = await t.client.post(
      URL_,
      { ...seedBody('candidate'), smtp_config: partnerProfile.email_config.smtp_config },
      other.partnerToken,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: 'partner', candidate: true });
    expect((await partnerSmtp.waitForMessages(before + 1)).at(-1)!.subject).toBe('candidate');
    expect((await t.client.get('/event/v1/email/config', other.partnerToken)).status).toBe(404);
    // Stored password + candidate pointing elsewhere without a password: refused.
    expect((await t.client.post('/event/v1/email/config', partnerProfile, other.partnerToken)).status).toBe(201);
    const { password: _omit, ...withoutPassword } = partnerProfile.email_config.smtp_config;
    const moved = await t.client.post(
      URL_,
      { ...seedBody('moved'), smtp_config: { ...withoutPassword, port: orgSmtp.port } },
      other.partnerToken,
    );
    expect(moved.status).toBe(400);
    expect(moved.body.code).toBe('SECRET_REQUIRED');
    // Same destination: the stored password is borrowed.
    const same = await t.client.post(URL_, { ...seedBody('borrowed'), mode: 'connect', smtp_config: withoutPassword }, other.partnerToken);
    expect(same.status).toBe(200);
    expect(same.body.status).toBe('connected');
  });

  it('answers a failure with its stage, server reply and hint (502 problem+json), and audits it', async () => {
    const res = await t.client.post(
      URL_,
      { ...seedBody('refused'), smtp_config: { host: '127.0.0.1', port: refusing.port, use_tls: false, sender_email: 'a@partner.test' } },
      tenant.partnerToken,
    );
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'SMTP_DELIVERY_FAILED', stage: 'RCPT_TO', smtp_code: 550, transient: false });
    expect(res.body.smtp_response).toMatch(/^550 /);
    expect(res.body.hint).toMatch(/recipient/);
    const ev = await t.db.query<{ details: any }>(
      `SELECT details FROM audit_events WHERE type = 'email.verification.failed' AND partner_id = $1 ORDER BY seq DESC LIMIT 1`,
      [tenant.partnerId],
    );
    expect(ev[0]!.details).toMatchObject({
      stage: 'RCPT_TO',
      smtp_code: 550,
      host: '127.0.0.1',
      port: refusing.port,
      source: 'partner',
      candidate: true,
    });
  });

  it('refuses internal or disallowed destinations before connecting, with one uniform answer', async () => {
    const answers = new Set<string>();
    for (const [host, port] of [
      ['10.1.2.3', 587],
      ['169.254.169.254', 25],
      ['::1', 587],
      // 127.0.0.1 itself is allowed here (SMTP_ALLOWED_NETWORKS), but not on a non-SMTP port.
      ['0.0.0.0', 587],
      ['127.0.0.1', 22],
    ] as const) {
      const res = await t.client.post(
        URL_,
        { ...seedBody('probe'), mode: 'connect', smtp_config: { host, port, use_tls: false, sender_email: 'a@partner.test' } },
        tenant.partnerToken,
      );
      expect({ host, status: res.status, code: res.body.code }).toEqual({ host, status: 422, code: 'SMTP_DESTINATION_REFUSED' });
      answers.add(res.body.detail);
    }
    expect(answers.size).toBe(1);
    const ev = await t.db.query<{ details: any }>(
      `SELECT details FROM audit_events WHERE type = 'email.verification.failed' AND details->>'error_code' = 'SMTP_DESTINATION_REFUSED'`,
    );
    expect(ev.length).toBeGreaterThanOrEqual(5);
    expect(ev[0]!.details.stage).toBe('EGRESS');
  });

  it('one recipient and no CR/LF in subject or addresses (400)', async () => {
    const crlf = await t.client.post(URL_, { ...seedBody('x\r\nBcc: victim@example.com') }, tenant.partnerToken);
    expect(crlf.status).toBe(400);
    expect(crlf.body.errors).toEqual([expect.objectContaining({ field: 'subject', rule: 'no_line_breaks' })]);
    const two = await t.client.post(URL_, { ...seedBody('two'), recipient_email: 'a@customer.test, b@customer.test' }, tenant.partnerToken);
    expect(two.status).toBe(400);
    expect(two.body.errors[0]).toMatchObject({ field: 'recipient_email', rule: 'single_recipient' });
    const list = await t.client.post(URL_, { ...seedBody('list'), recipient_email: ['a@customer.test'] }, tenant.partnerToken);
    expect(list.status).toBe(400);
    const unknown = await t.client.post(URL_, { ...seedBody('u'), bcc: 'x@customer.test' }, tenant.partnerToken);
    expect(unknown.body.errors[0]).toMatchObject({ field: 'bcc', rule: 'unknown_field' });
  });

  it('connect mode checks without sending', async () => {
    const before = controllerSmtp.received;
    const res = await t.client.post(URL_, { recipient_email: 'someone@customer.test', mode: 'connect' }, tenant.partnerToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'connected', mode: 'connect', message_id: null });
    expect(res.body.timings.connect_ms).toBeGreaterThan(0);
    expect(controllerSmtp.received).toBe(before);
  });

  it('rate-limits tests per tenant with 429 and Retry-After; other tenants are not affected', async () => {
    const busy = await createTenant(t.client, root, 'rl');
    const statuses: number[] = [];
    let limited: any;
    for (let i = 0; i < 14; i++) {
      const res = await t.client.post(URL_, { recipient_email: 'someone@customer.test', mode: 'connect' }, busy.partnerToken);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(12);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const calm = await createTenant(t.client, root, 'rl2');
    expect((await t.client.post(URL_, { recipient_email: 'someone@customer.test', mode: 'connect' }, calm.partnerToken)).status).toBe(200);
  });

  it('counts the limit across replicas: two replicas together allow it once', async () => {
    const second = await startTestApp({ db: t.db, env: t.env });
    try {
      const busy = await createTenant(t.client, root, 'rl3');
      const replicas = [t.client, second.client];
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) {
        const res = await replicas[i % 2]!.post(URL_, { recipient_email: 'someone@customer.test', mode: 'connect' }, busy.partnerToken);
        statuses.push(res.status);
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(12);
      expect(statuses.slice(12)).toEqual([429, 429, 429, 429]);
    } finally {
      await second.close();
    }
  });

  it('audits every test without body, subject or secret, and records profile health', async () => {
    const rows = await t.db.query<{ details: any; actor_email: string }>(
      `SELECT details, actor_email FROM audit_events WHERE type LIKE 'email.verification.%'`,
    );
    expect(rows.length).toBeGreaterThan(5);
    const text = JSON.stringify(rows);
    expect(text).not.toContain('Hello from the test.');
    expect(text).not.toContain('hierarchy');
    expect(text).not.toContain('partner-smtp-pass-1');
    expect(rows.every((r) => r.actor_email)).toBe(true);
    const health = await t.db.query<any>(`SELECT * FROM smtp_profile_health WHERE profile_key = 'controller'`);
    expect(health[0]!.last_success_at).not.toBeNull();
  });

  it('shows the saved profile’s health on GET, for its current version only', async () => {
    const other = await createTenant(t.client, root, 'health');
    const save = (retries: number) =>
      t.client.post(
        '/event/v1/email/config',
        {
          email_config: {
            smtp_config: { host: '127.0.0.1', port: refusing.port, use_tls: false, sender_email: 'ops@health.test', retries },
          },
        },
        other.partnerToken,
      );
    const health = async () => (await t.client.get('/event/v1/email/config', other.partnerToken)).body.email_config.health;

    expect((await save(1)).status).toBe(201);
    expect(await health()).toEqual({ last_success_at: null, last_failure_at: null, last_failure: null });

    expect((await t.client.post(URL_, seedBody('health-1'), other.partnerToken)).status).toBe(502);
    const failed = await health();
    expect(failed.last_failure).toEqual({ stage: 'RCPT_TO', smtp_code: 550, code: 'SMTP_DELIVERY_FAILED' });
    expect(failed.last_success_at).toBeNull();

    refusing.failures.rcptTo = undefined;
    try {
      expect((await t.client.post(URL_, seedBody('health-2'), other.partnerToken)).status).toBe(200);
    } finally {
      refusing.failures.rcptTo = 550;
    }
    const recovered = await health();
    expect(new Date(recovered.last_success_at).getTime()).toBeGreaterThanOrEqual(new Date(failed.last_failure_at).getTime());
    expect(recovered.last_failure).toEqual(failed.last_failure);

    // A replaced profile is a new version: what the old one saw is not shown for it.
    expect((await save(2)).status).toBe(200);
    expect(await health()).toEqual({ last_success_at: null, last_failure_at: null, last_failure: null });
  });
});
