/**
 * Test emails as the seed prints them and as a caller's role allows them, against real SMTP servers:
 * the seed's own commands work verbatim (a profile without sender_email whose username is no address);
 * the sender chain and its source on GET …/effective; a route the caller does not own carries only the
 * fixed test email to the caller's own address (or connect mode); connect mode needs no recipient; and
 * each profile version keeps its own health.
 */
import { startTestApp, TestApp } from '../support/app';
import { startSmtpServer, TestSmtpServer } from '../support/smtp';
import { createTenant, rootToken, Tenant } from '../email-config/helpers';
import { waitFor } from '../support/wait';

const CONFIG = '/event/v1/email/config';
const VERIFY = '/event/v1/email/config/verification';

describe('test email rules', () => {
  let t: TestApp;
  let controllerSmtp: TestSmtpServer;
  let partnerSmtp: TestSmtpServer;
  let flaky: TestSmtpServer;
  let root: string;

  beforeAll(async () => {
    controllerSmtp = await startSmtpServer();
    partnerSmtp = await startSmtpServer({ tls: 'starttls', users: { smtpuser: 'partner-pass-1' } });
    flaky = await startSmtpServer();
    t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(controllerSmtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: [partnerSmtp.port, flaky.port].join(','),
        VERIFICATION_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
    root = await rootToken(t.client);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([controllerSmtp, partnerSmtp, flaky].map((s) => s?.close()));
  });

  // The seed's POST, field for field: no sender_email, and a username that is not an address.
  const seedConfig = () => ({
    email_config: {
      smtp_config: {
        username: 'smtpuser',
        password: 'partner-pass-1',
        host: '127.0.0.1',
        port: partnerSmtp.port,
        use_tls: true,
        use_insecure: true,
        retries: 2,
      },
    },
  });
  const seedVerification = {
    sender_email: 'it-admin@partner.example',
    recipient_email: 'someone@customer.example',
    subject: 'Seed check',
    body: 'Sent with the seed command.',
  };
  const adminEmail = (tenant: Tenant, level: 'partner' | 'org') =>
    t.client.get('/auth/v1/me', level === 'partner' ? tenant.partnerToken : tenant.orgToken);

  it('the seed’s own commands work as printed: a real email from the body’s sender', async () => {
    const tenant = await createTenant(t.client, root, 'seed');
    expect((await t.client.post(CONFIG, seedConfig(), tenant.partnerToken)).status).toBe(201);
    const before = partnerSmtp.messages.length;
    const res = await t.client.post(VERIFY, seedVerification, tenant.partnerToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'sent', source: 'partner', route_owned: true, sender_email: 'it-admin@partner.example' });
    const [mail] = (await partnerSmtp.waitForMessages(before + 1)).slice(before);
    expect(mail).toMatchObject({
      envelopeFrom: 'it-admin@partner.example',
      envelopeTo: ['someone@customer.example'],
      authUser: 'smtpuser',
      secure: true,
      subject: 'Seed check',
      text: 'Sent with the seed command.',
    });
  });

  it('says on GET …/effective which sender is in force and which link of the chain supplied it', async () => {
    const tenant = await createTenant(t.client, root, 'chain');
    const sender = async () => (await t.client.get(`${CONFIG}/effective`, tenant.orgToken)).body.sender;
    // No profile anywhere below the controller: the controller's sender variable.
    expect(await sender()).toEqual({ email: 'ops@controller.test', name: null, source: 'controller' });
    // The seed's partner profile (no sender, username not an address): still the controller's sender.
    expect((await t.client.post(CONFIG, seedConfig(), tenant.partnerToken)).status).toBe(201);
    await waitForSender(sender, 'ops@controller.test', 'controller');
    expect((await t.client.get(`${CONFIG}/effective`, tenant.orgToken)).body.source).toBe('partner');
    // An address-shaped username.
    const byUsername = seedConfig();
    byUsername.email_config.smtp_config.username = 'mailer@partner.example';
    expect((await t.client.post(CONFIG, byUsername, tenant.partnerToken)).status).toBe(200);
    await waitForSender(sender, 'mailer@partner.example', 'username');
    // The profile's own sender_email wins.
    const withSender = {
      email_config: {
        smtp_config: { ...byUsername.email_config.smtp_config, sender_email: 'noreply@partner.example', sender_name: 'Partner' },
      },
    };
    expect((await t.client.post(CONFIG, withSender, tenant.partnerToken)).status).toBe(200);
    await waitForSender(sender, 'noreply@partner.example', 'profile');
    expect(await sender()).toEqual({ email: 'noreply@partner.example', name: 'Partner', source: 'profile' });
  });

  async function waitForSender(read: () => Promise<{ email: string; source: string }>, email: string, source: string): Promise<void> {
    // The effective cache hears of a profile change after commit, over the change bus.
    await waitFor(
      async () => {
        const s = await read();
        return s?.email === email && s.source === source ? true : undefined;
      },
      5_000,
      `sender ${email} (${source})`,
    );
  }

  describe('through a route the caller does not own', () => {
    it('an org admin on the partner’s route: anything but the fixed test email to their own address is refused', async () => {
      const tenant = await createTenant(t.client, root, 'foreign');
      expect((await t.client.post(CONFIG, seedConfig(), tenant.partnerToken)).status).toBe(201);
      const before = partnerSmtp.received;
      const res = await t.client.post(VERIFY, seedVerification, tenant.orgToken);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'TEST_EMAIL_ROUTE_NOT_OWNED', route_source: 'partner' });
      expect(res.body.errors).toEqual([
        expect.objectContaining({ field: 'recipient_email', rule: 'own_address_only' }),
        expect.objectContaining({ field: 'sender_email', rule: 'not_allowed_on_foreign_route' }),
        expect.objectContaining({ field: 'subject', rule: 'not_allowed_on_foreign_route' }),
        expect.objectContaining({ field: 'body', rule: 'not_allowed_on_foreign_route' }),
      ]);
      // Even to their own address, their own words are not carried.
      const me = (await adminEmail(tenant, 'org')).body.email as string;
      const ownWords = await t.client.post(VERIFY, { recipient_email: me, subject: 'Invoice overdue' }, tenant.orgToken);
      expect(ownWords.status).toBe(403);
      expect(ownWords.body.errors).toEqual([expect.objectContaining({ field: 'subject', rule: 'not_allowed_on_foreign_route' })]);
      expect(partnerSmtp.received).toBe(before);
    });

    it('an org admin on the partner’s route may send the fixed test email to themselves, from the route’s sender, or connect', async () => {
      const tenant = await createTenant(t.client, root, 'self');
      expect((await t.client.post(CONFIG, seedConfig(), tenant.partnerToken)).status).toBe(201);
      const me = (await adminEmail(tenant, 'org')).body.email as string;
      const before = partnerSmtp.messages.length;
      const res = await t.client.post(VERIFY, { recipient_email: me }, tenant.orgToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'sent',
        source: 'partner',
        route_owned: false,
        recipient_email: me,
        sender_email: 'ops@controller.test',
      });
      const [mail] = (await partnerSmtp.waitForMessages(before + 1)).slice(before);
      expect(mail).toMatchObject({ envelopeFrom: 'ops@controller.test', envelopeTo: [me], subject: 'mailstrata test email' });
      // No recipient at all: the caller's own address.
      const implicit = await t.client.post(VERIFY, {}, tenant.orgToken);
      expect(implicit.status).toBe(200);
      expect(implicit.body.recipient_email).toBe(me);
      // Connect mode sends nothing, so it carries nothing: allowed as asked.
      const connect = await t.client.post(VERIFY, { mode: 'connect' }, tenant.orgToken);
      expect(connect.status).toBe(200);
      expect(connect.body).toMatchObject({ status: 'connected', route_owned: false });
      const [event] = await t.db.query<{ details: Record<string, unknown> }>(
        `SELECT details FROM audit_events WHERE type = 'email.verification.succeeded' AND org_id = $1 ORDER BY seq LIMIT 1`,
        [tenant.orgId],
      );
      expect(event!.details).toMatchObject({ route_owned: false, recipient: me });
    });

    it('a partner admin on the controller’s route: refused with the seed body, allowed with the fixed test email to themselves', async () => {
      const tenant = await createTenant(t.client, root, 'ctl');
      const before = controllerSmtp.messages.length;
      const refused = await t.client.post(VERIFY, seedVerification, tenant.partnerToken);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'TEST_EMAIL_ROUTE_NOT_OWNED', route_source: 'controller' });
      const me = (await adminEmail(tenant, 'partner')).body.email as string;
      const allowed = await t.client.post(VERIFY, { recipient_email: me.toUpperCase() }, tenant.partnerToken);
      expect(allowed.status).toBe(200);
      expect(allowed.body).toMatchObject({ source: 'controller', route_owned: false });
      const [mail] = (await controllerSmtp.waitForMessages(before + 1)).slice(before);
      expect(mail).toMatchObject({ envelopeFrom: 'ops@controller.test', subject: 'mailstrata test email' });
      expect(mail!.envelopeTo[0]!.toLowerCase()).toBe(me.toLowerCase());
      expect(controllerSmtp.messages).toHaveLength(before + 1);
    });

    it('the controller admin owns every route: the seed body goes through the controller’s route as written', async () => {
      const tenant = await createTenant(t.client, root, 'root');
      const before = controllerSmtp.messages.length;
      const res = await t.client.post(`${VERIFY}?partner_id=${tenant.partnerId}`, seedVerification, root);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ source: 'controller', route_owned: true });
      const [mail] = (await controllerSmtp.waitForMessages(before + 1)).slice(before);
      expect(mail).toMatchObject({ envelopeFrom: 'it-admin@partner.example', subject: 'Seed check' });
    });
  });

  it('"mode": "connect" needs no recipient_email; "send" without one goes to the caller', async () => {
    const tenant = await createTenant(t.client, root, 'connect');
    expect((await t.client.post(CONFIG, seedConfig(), tenant.partnerToken)).status).toBe(201);
    const before = partnerSmtp.received;
    const res = await t.client.post(VERIFY, { mode: 'connect' }, tenant.partnerToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'connected', mode: 'connect', recipient_email: null, sender_email: null });
    expect(partnerSmtp.received).toBe(before);
    const me = (await adminEmail(tenant, 'partner')).body.email as string;
    const send = await t.client.post(VERIFY, { mode: 'send', subject: 'to myself' }, tenant.partnerToken);
    expect(send.status).toBe(200);
    expect(send.body.recipient_email).toBe(me);
    expect((await partnerSmtp.waitForMessages(1)).some((m) => m.subject === 'to myself' && m.envelopeTo[0] === me)).toBe(true);
  });

  it('each profile version has its own health: a replaced profile’s first failure shows no success of the old one', async () => {
    const tenant = await createTenant(t.client, root, 'health');
    const save = (retries: number) =>
      t.client.post(
        CONFIG,
        {
          email_config: { smtp_config: { host: '127.0.0.1', port: flaky.port, use_tls: false, sender_email: 'ops@health.test', retries } },
        },
        tenant.partnerToken,
      );
    const health = async () => (await t.client.get(CONFIG, tenant.partnerToken)).body.email_config.health;
    const send = () => t.client.post(VERIFY, { ...seedVerification, sender_email: undefined }, tenant.partnerToken);

    expect((await save(1)).status).toBe(201);
    expect((await send()).status).toBe(200);
    expect((await health()).last_success_at).not.toBeNull();

    expect((await save(2)).status).toBe(200);
    flaky.failures.rcptTo = 550;
    try {
      expect((await send()).status).toBe(502);
    } finally {
      flaky.failures.rcptTo = undefined;
    }
    const replaced = await health();
    expect(replaced.last_failure).toEqual({ stage: 'RCPT_TO', smtp_code: 550, code: 'SMTP_DELIVERY_FAILED' });
    expect(replaced.last_success_at).toBeNull();
  });
});
