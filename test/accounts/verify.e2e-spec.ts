/**
 * ACCOUNT_CREATION_STRATEGY=VERIFY end to end, with real SMTP servers: the new user gets one email through
 * the right level's server, its link sets the password once, and nothing is left half-done when no SMTP
 * level exists or the server is down at creation.
 */
import { PasswordSetupService } from '@mailstrata/accounts';
import { Client } from 'pg';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';
import { CapturedLogs, captureStdout } from '../support/logs';
import { ReceivedMessage, startSmtpServer, TestSmtpServer, waitFor } from '../support/smtp';

const PASSWORD = 'verified-passphrase-2026';

function tokenFrom(message: ReceivedMessage): string {
  const m = /\/auth\/v1\/password-setup#token=([A-Za-z0-9_-]{43})/.exec(message.text);
  if (!m) throw new Error(`no setup link in:\n${message.text}`);
  return m[1]!;
}

describe('ACCOUNT_CREATION_STRATEGY=VERIFY', () => {
  let t: TestApp;
  let controllerSmtp: TestSmtpServer;
  let partnerSmtp: TestSmtpServer;
  let orgSmtp: TestSmtpServer;
  let root: string;
  const downPort = { port: 0 };
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureStdout();
    controllerSmtp = await startSmtpServer();
    partnerSmtp = await startSmtpServer();
    orgSmtp = await startSmtpServer();
    const probe = await startSmtpServer();
    downPort.port = probe.port;
    await probe.close();
    t = await startTestApp({
      env: {
        ACCOUNT_CREATION_STRATEGY: 'VERIFY',
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(controllerSmtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'accounts@controller.test',
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: [partnerSmtp.port, orgSmtp.port, downPort.port].join(','),
        EMAIL_RETRY_BASE_MS: '40',
        EMAIL_POLL_INTERVAL_MS: '25',
        LOG_LEVEL: 'debug',
      },
    });
    root = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
  });
  afterAll(async () => {
    logs.restore();
    await t?.close();
    await Promise.all([controllerSmtp?.close(), partnerSmtp?.close(), orgSmtp?.close()]);
  });

  const newMessage = async (server: TestSmtpServer, before: number) => (await server.waitForMessages(before + 1)).slice(before)[0]!;
  const setProfile = async (token: string, port: number, query = '') => {
    const res = await t.client.post(
      `/event/v1/email/config${query}`,
      {
        email_config: {
          smtp_config: {
            host: '127.0.0.1',
            port,
            use_tls: false,
            retries: 5,
            sender_email: 'noreply@tenant.test',
            sender_name: 'Tenant Mail',
          },
        },
      },
      token,
    );
    if (![200, 201].includes(res.status)) throw new Error(`profile: ${res.status} ${res.text}`);
  };
  const complete = (token: string, password = PASSWORD) => t.client.post('/auth/v1/password-setup', { token, password });

  let partnerAdmin: string;

  it('creates a partner without a password; its admin gets a setup email through the controller server and can then sign in', async () => {
    const before = controllerSmtp.messages.length;
    const res = await t.client.post('/auth/v1/partners', { name: 'Verify Partner', admin: { email: 'admin@verify.partner.test' } }, root);
    expect(res.status).toBe(201);
    expect(res.body.admin.status).toBe('pending');
    // A pending user cannot sign in yet.
    expect((await t.client.post('/auth/v1/login', { email: 'admin@verify.partner.test', password: PASSWORD })).status).toBe(401);

    const mail = await newMessage(controllerSmtp, before);
    expect(mail.to).toBe('admin@verify.partner.test');
    expect(mail.from).toBe('accounts@controller.test');
    expect(mail.subject).toBe('Set your password for Verify Partner');
    expect(mail.text).toContain('http://console.mailstrata.test/auth/v1/password-setup#token=');
    expect(mail.raw).toMatch(/Content-Type: text\/html/i);

    expect((await complete(tokenFrom(mail))).status).toBe(204);
    partnerAdmin = await t.client.login('admin@verify.partner.test', PASSWORD);
    expect((await t.client.get('/auth/v1/me', partnerAdmin)).body.role).toBe('partner_admin');
  });

  it('refuses a password at creation in VERIFY mode', async () => {
    const res = await t.client.post(
      '/auth/v1/organizations',
      { name: 'With Password', admin: { email: 'pw@verify.test', password: PASSWORD } },
      partnerAdmin,
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'PASSWORD_NOT_ACCEPTED', errors: [{ field: 'admin.password', rule: 'notAllowed' }] });
  });

  let orgId: string;
  it('sends an organization admin’s email through the partner’s server once the partner has a profile', async () => {
    await setProfile(partnerAdmin, partnerSmtp.port);
    const before = partnerSmtp.messages.length;
    const controllerBefore = controllerSmtp.received;
    const res = await t.client.post(
      '/auth/v1/organizations',
      { name: 'Verify Org', admin: { email: 'admin@verify.org.test' } },
      partnerAdmin,
    );
    expect(res.status).toBe(201);
    orgId = res.body.id;
    const mail = await newMessage(partnerSmtp, before);
    expect(mail.to).toBe('admin@verify.org.test');
    expect(mail.from).toBe('Tenant Mail <noreply@tenant.test>');
    expect(mail.subject).toBe('Set your password for Verify Org');
    expect(controllerSmtp.received).toBe(controllerBefore);
    expect((await complete(tokenFrom(mail))).status).toBe(204);
  });

  it('sends through the organization’s own server when its SMTP switch is on', async () => {
    const orgAdmin = await t.client.login('admin@verify.org.test', PASSWORD);
    expect((await t.client.patch(`/auth/v1/organizations/${orgId}`, { smtp_override_enabled: true }, partnerAdmin)).status).toBe(200);
    await setProfile(orgAdmin, orgSmtp.port);
    const before = orgSmtp.messages.length;
    const res = await t.client.post('/auth/v1/users', { email: 'member@verify.org.test', role: 'auditor' }, orgAdmin);
    expect(res.status).toBe(201);
    const mail = await newMessage(orgSmtp, before);
    expect(mail.to).toBe('member@verify.org.test');
  });

  it('accepts a token once: 16 parallel uses give exactly one success', async () => {
    const before = partnerSmtp.messages.length;
    expect((await t.client.post('/auth/v1/users', { email: 'race@verify.partner.test', role: 'auditor' }, partnerAdmin)).status).toBe(201);
    const token = tokenFrom(await newMessage(partnerSmtp, before));
    const results = await Promise.all(Array.from({ length: 16 }, () => complete(token)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(15);
    for (const r of results.filter((x) => x.status === 400)) expect(r.body.code).toBe('INVALID_SETUP_TOKEN');
    // Used again later: the same generic refusal.
    const again = await complete(token, 'another-passphrase-99');
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('INVALID_SETUP_TOKEN');
    expect((await t.client.post('/auth/v1/login', { email: 'race@verify.partner.test', password: PASSWORD })).status).toBe(200);
  });

  it('refuses an expired token and a superseded one with the same answer; the newest link works', async () => {
    const before = partnerSmtp.messages.length;
    expect((await t.client.post('/auth/v1/users', { email: 'late@verify.partner.test', role: 'auditor' }, partnerAdmin)).status).toBe(201);
    const first = tokenFrom(await newMessage(partnerSmtp, before));

    const resend = await t.client.post('/auth/v1/password-setup/resend', { email: 'late@verify.partner.test' });
    expect(resend.status).toBe(202);
    const second = tokenFrom(await newMessage(partnerSmtp, before + 1));
    expect(second).not.toBe(first);
    const superseded = await complete(first);
    expect(superseded.status).toBe(400);

    await t.db.query(
      `UPDATE password_setup_tokens SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM users WHERE email = 'late@verify.partner.test') AND superseded_at IS NULL`,
    );
    const expired = await complete(second);
    expect(expired.status).toBe(400);
    const strip = (b: any) => ({ ...b, correlation_id: undefined });
    expect(strip(expired.body)).toEqual(strip(superseded.body));

    await t.client.post('/auth/v1/password-setup/resend', { email: 'late@verify.partner.test' });
    const third = tokenFrom(await newMessage(partnerSmtp, before + 2));
    expect((await complete(third)).status).toBe(204);
  });

  it('answers a resend the same way whether or not the address exists, and sends nothing for unknown or active users', async () => {
    const before = partnerSmtp.received + controllerSmtp.received;
    const unknown = await t.client.post('/auth/v1/password-setup/resend', { email: 'nobody@verify.test' });
    const active = await t.client.post('/auth/v1/password-setup/resend', { email: 'admin@verify.partner.test' });
    expect(unknown.status).toBe(202);
    expect(active.status).toBe(202);
    expect(unknown.body).toEqual(active.body);
    expect(partnerSmtp.received + controllerSmtp.received).toBe(before);
  });

  it('answers a resend before looking the address up, so pending and unknown addresses take the same path', async () => {
    const before = partnerSmtp.messages.length;
    expect((await t.client.post('/auth/v1/users', { email: 'pending@verify.partner.test', role: 'auditor' }, partnerAdmin)).status).toBe(
      201,
    );
    await newMessage(partnerSmtp, before);

    // While another session holds the users table, any lookup before the answer would wait for it.
    const locker = new Client({ connectionString: t.db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const answered = (email: string) =>
        Promise.race([
          t.client.post('/auth/v1/password-setup/resend', { email }),
          new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 5_000)),
        ]);
      const [pending, unknown] = [await answered('pending@verify.partner.test'), await answered('nobody-here@verify.test')];
      expect(pending).not.toBe('blocked');
      expect(unknown).not.toBe('blocked');
      if (pending === 'blocked' || unknown === 'blocked') return;
      expect(pending.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(pending.body).toEqual(unknown.body);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    // Worked off after the answer: the pending account gets its new link, the unknown address nothing.
    await newMessage(partnerSmtp, before + 1);
    await t.app.get(PasswordSetupService).resendsSettled();
    expect(partnerSmtp.messages.slice(before).map((m) => m.to)).toEqual(['pending@verify.partner.test', 'pending@verify.partner.test']);
  });

  it('keeps a weak password from spending the token', async () => {
    const before = partnerSmtp.messages.length;
    await t.client.post('/auth/v1/users', { email: 'weak@verify.partner.test', role: 'auditor' }, partnerAdmin);
    const token = tokenFrom(await newMessage(partnerSmtp, before));
    const weak = await complete(token, 'short');
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('PASSWORD_POLICY');
    expect((await complete(token)).status).toBe(204);
  });

  it('refuses creation with a clear error and writes nothing when no SMTP level exists', async () => {
    const bare = await startTestApp({ db: t.db, env: { ACCOUNT_CREATION_STRATEGY: 'VERIFY' } });
    try {
      const rootBare = await bare.client.login(ROOT_EMAIL, ROOT_PASSWORD);
      const count = async () =>
        (
          await t.db.query<{ n: number }>(
            `SELECT (SELECT count(*) FROM partners) + (SELECT count(*) FROM users) + (SELECT count(*) FROM email_jobs) + (SELECT count(*) FROM audit_events WHERE type NOT LIKE 'auth.%' AND type NOT LIKE 'email.%') AS n`,
          )
        )[0]!.n;
      const before = await count();
      const res = await bare.client.post('/auth/v1/partners', { name: 'Nowhere', admin: { email: 'admin@nowhere.test' } }, rootBare);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('SMTP_NOT_CONFIGURED');
      expect(res.body.detail).toMatch(/no SMTP profile applies/);
      expect(await count()).toBe(before);
    } finally {
      await bare.close();
    }
  });

  it('creates the user while the SMTP server is down, retries, and delivers when it comes back', async () => {
    const orgAdmin = await t.client.login('admin@verify.org.test', PASSWORD);
    await setProfile(orgAdmin, downPort.port);
    const res = await t.client.post('/auth/v1/users', { email: 'patient@verify.org.test', role: 'auditor' }, orgAdmin);
    expect(res.status).toBe(201);
    const userId = res.body.id;
    await waitFor(
      async () => {
        const rows = await t.db.query(`SELECT 1 FROM audit_events WHERE type = 'email.retrying' AND org_id = $1`, [orgId]);
        return rows.length > 0 || undefined;
      },
      15_000,
      'a retry',
    );
    const back = await startSmtpServer({ port: downPort.port });
    try {
      const mail = await newMessage(back, 0);
      expect(mail.to).toBe('patient@verify.org.test');
      expect((await complete(tokenFrom(mail))).status).toBe(204);
      const [user] = await t.db.query<{ status: string }>(`SELECT status FROM users WHERE id = $1`, [userId]);
      expect(user!.status).toBe('active');
    } finally {
      await back.close();
    }
  });

  it('keeps tokens out of the database, the audit log and the logs', async () => {
    const before = partnerSmtp.messages.length;
    await t.client.post('/auth/v1/users', { email: 'secretive@verify.partner.test', role: 'auditor' }, partnerAdmin);
    const mail = await newMessage(partnerSmtp, before);
    const token = tokenFrom(mail);
    expect((await complete(token)).status).toBe(204);

    const tables = await t.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    for (const { table_name } of tables) {
      const dump = JSON.stringify(await t.db.query(`SELECT * FROM "${table_name}"`));
      expect(dump).not.toContain(token);
    }
    expect(logs.text()).toContain('/auth/v1/password-setup'); // the capture did see the requests
    expect(logs.text()).not.toContain(token);
    const audit = await t.db.query<{ type: string }>(
      `SELECT type FROM audit_events WHERE type IN ('account.user.created', 'email.queued', 'email.sent', 'account.password_setup.completed') AND (details->>'email' = 'secretive@verify.partner.test' OR details->>'recipient' = 'secretive@verify.partner.test')`,
    );
    expect(new Set(audit.map((a) => a.type))).toEqual(
      new Set(['account.user.created', 'email.queued', 'email.sent', 'account.password_setup.completed']),
    );
  });
});
