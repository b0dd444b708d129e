/**
 * Password reset end to end, with real SMTP servers and two app replicas on one database: the link
 * leaves through the user's effective route, the new password works, every old session is refused on
 * both replicas, a token works once and not after it expires, unknown and pending addresses get the
 * same answer and no email, requests are limited per address and per client across replicas, and the
 * email is the user's tenant's `password_reset` template (a partner override with its branding).
 */
import { createHash } from 'node:crypto';
import { PasswordResetService } from '@mailstrata/accounts';
import { simpleParser } from 'mailparser';
import { Client } from 'pg';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';
import { CapturedLogs, captureStdout } from '../support/logs';
import { ReceivedMessage, startSmtpServer, TestSmtpServer, waitFor } from '../support/smtp';

const OLD_PASSWORD = 'original-passphrase-2026';
const NEW_PASSWORD = 'renewed-passphrase-2027';
const PER_ADDRESS = 8;
const PER_CLIENT = 5;

function tokenFrom(message: ReceivedMessage): string {
  const m = /http:\/\/console\.mailstrata\.test\/auth\/v1\/password-reset#token=([A-Za-z0-9_-]{43})/.exec(message.text);
  if (!m) throw new Error(`no reset link in:\n${message.text}`);
  return m[1]!;
}

describe('password reset', () => {
  let a: TestApp;
  let b: TestApp;
  let controllerSmtp: TestSmtpServer;
  let partnerSmtp: TestSmtpServer;
  let orgSmtp: TestSmtpServer;
  let logs: CapturedLogs;
  let partnerAdmin: string;
  let orgAdmin: string;
  let clients = 0;

  // Each request comes from its own client address (TRUST_PROXY), so only the rate-limit test meets the per-client limit.
  const fromNewClient = () => ({ 'x-forwarded-for': `198.51.100.${(clients += 1)}` });
  const ask = (email: string, app: TestApp = a, headers = fromNewClient()) =>
    app.client.post('/auth/v1/password-reset', { email }, undefined, headers);
  const complete = (token: string, password = NEW_PASSWORD, app: TestApp = a) =>
    app.client.post('/auth/v1/password-reset/complete', { token, password });
  const newMessage = async (server: TestSmtpServer, before: number) => (await server.waitForMessages(before + 1)).slice(before)[0]!;
  const allReceived = () => controllerSmtp.received + partnerSmtp.received + orgSmtp.received;
  const settled = async () => {
    await a.app.get(PasswordResetService).requestsSettled();
    await b.app.get(PasswordResetService).requestsSettled();
  };
  const setProfile = async (token: string, port: number) => {
    const res = await a.client.post(
      '/event/v1/email/config',
      { email_config: { smtp_config: { host: '127.0.0.1', port, use_tls: false, retries: 3, sender_email: 'noreply@tenant.test' } } },
      token,
    );
    if (![200, 201].includes(res.status)) throw new Error(`profile: ${res.status} ${res.text}`);
  };
  const newMember = async (local: string) => {
    const email = `${local}@reset.org.test`;
    const res = await a.client.post('/auth/v1/users', { email, role: 'auditor', password: OLD_PASSWORD }, orgAdmin);
    if (res.status !== 201) throw new Error(`user: ${res.status} ${res.text}`);
    return email;
  };

  beforeAll(async () => {
    logs = captureStdout();
    controllerSmtp = await startSmtpServer();
    partnerSmtp = await startSmtpServer();
    orgSmtp = await startSmtpServer();
    const env = {
      FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
      FW_EVENT_SMTP_SERVER_PORT: String(controllerSmtp.port),
      FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      FW_EVENT_SMTP_SENDER_EMAIL: 'accounts@controller.test',
      SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
      SMTP_ALLOWED_PORTS: [partnerSmtp.port, orgSmtp.port].join(','),
      EMAIL_POLL_INTERVAL_MS: '25',
      TRUST_PROXY: 'true',
      PASSWORD_RESET_LIMIT_PER_ADDRESS: String(PER_ADDRESS),
      PASSWORD_RESET_LIMIT_PER_CLIENT: String(PER_CLIENT),
      LOG_LEVEL: 'debug',
    };
    a = await startTestApp({ env });
    b = await startTestApp({ db: a.db, env });
    const root = await a.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const partner = await a.client.post(
      '/auth/v1/partners',
      { name: 'Reset Partner', admin: { email: 'admin@reset.partner.test', password: OLD_PASSWORD } },
      root,
    );
    expect(partner.status).toBe(201);
    partnerAdmin = await a.client.login('admin@reset.partner.test', OLD_PASSWORD);
    await setProfile(partnerAdmin, partnerSmtp.port);
    const org = await a.client.post(
      '/auth/v1/organizations',
      { name: 'Reset Org', admin: { email: 'admin@reset.org.test', password: OLD_PASSWORD } },
      partnerAdmin,
    );
    expect(org.status).toBe(201);
    expect((await a.client.patch(`/auth/v1/organizations/${org.body.id}`, { smtp_override_enabled: true }, partnerAdmin)).status).toBe(200);
    orgAdmin = await a.client.login('admin@reset.org.test', OLD_PASSWORD);
    await setProfile(orgAdmin, orgSmtp.port);
  });
  afterAll(async () => {
    logs.restore();
    await b?.close();
    await a?.close();
    await Promise.all([controllerSmtp?.close(), partnerSmtp?.close(), orgSmtp?.close()]);
  });

  it('mails the link through the organization’s route; the new password works, the old one and every old session on both replicas do not', async () => {
    const email = await newMember('member');
    // Two sessions, each known (cached) on both replicas before the reset.
    const sessions = [await a.client.login(email, OLD_PASSWORD), await b.client.login(email, OLD_PASSWORD)];
    for (const session of sessions) for (const app of [a, b]) expect((await app.client.get('/auth/v1/me', session)).status).toBe(200);

    const before = { org: orgSmtp.messages.length, partner: partnerSmtp.received, controller: controllerSmtp.received };
    const res = await ask(email);
    expect(res.status).toBe(202);
    const mail = await newMessage(orgSmtp, before.org);
    expect(mail.to).toBe(email);
    expect(mail.from).toBe('noreply@tenant.test');
    expect(mail.subject).toBe('Reset your password for Reset Org');
    expect(mail.raw).toMatch(/Content-Type: text\/html/i);
    expect({ partner: partnerSmtp.received, controller: controllerSmtp.received }).toEqual({
      partner: before.partner,
      controller: before.controller,
    });
    const token = tokenFrom(mail);

    expect((await complete(token, NEW_PASSWORD, a)).status).toBe(204);
    for (const session of sessions) expect((await a.client.get('/auth/v1/me', session)).status).toBe(401);
    // Replica B had both sessions cached (30 s TTL): only the revocation on the change bus explains a 401 now.
    for (const session of sessions) {
      await waitFor(async () => (await b.client.get('/auth/v1/me', session)).status === 401 || undefined, 2000, 'revocation on replica B');
    }
    expect((await b.client.post('/auth/v1/login', { email, password: OLD_PASSWORD })).status).toBe(401);
    const fresh = await b.client.login(email, NEW_PASSWORD);
    expect((await a.client.get('/auth/v1/me', fresh)).body.email).toBe(email);

    // Stored as SHA-256 only; the job carried kind password_reset; audited without the token.
    const [row] = await a.db.query<{ token_hash: Buffer; consumed: boolean }>(
      `SELECT token_hash, consumed_at IS NOT NULL AS consumed FROM password_reset_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1`,
      [email],
    );
    expect(row!.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(row!.consumed).toBe(true);
    const jobs = await waitFor(
      async () => {
        const rows = await a.db.query<{ kind: string; status: string }>(`SELECT kind, status FROM email_jobs WHERE recipient = $1`, [
          email,
        ]);
        return rows.every((r) => r.status === 'sent') ? rows : undefined;
      },
      5000,
      'the job marked sent',
    );
    expect(jobs).toEqual([{ kind: 'password_reset', status: 'sent' }]);
    const events = await a.db.query<{ type: string; outcome: string; details: Record<string, unknown> }>(
      `SELECT type, outcome, details FROM audit_events WHERE type LIKE 'account.password_reset.%' AND actor_email = $1 ORDER BY seq`,
      [email],
    );
    expect(events).toEqual([
      { type: 'account.password_reset.requested', outcome: 'success', details: { account_matched: true } },
      { type: 'account.password_reset.completed', outcome: 'success', details: { email, sessions_revoked: 2 } },
    ]);
    const tables = await a.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    for (const { table_name } of tables) expect(JSON.stringify(await a.db.query(`SELECT * FROM "${table_name}"`))).not.toContain(token);
    expect(logs.text()).toContain('/auth/v1/password-reset');
    expect(logs.text()).not.toContain(token);
  });

  it('accepts a token once, even when used in parallel, and refuses it afterwards', async () => {
    const email = await newMember('once');
    const before = orgSmtp.messages.length;
    expect((await ask(email)).status).toBe(202);
    const token = tokenFrom(await newMessage(orgSmtp, before));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => complete(token, NEW_PASSWORD, i % 2 ? a : b)));
    expect(results.map((r) => r.status).sort()).toEqual([204, 400, 400, 400, 400, 400, 400, 400]);
    const reused = await complete(token, 'yet-another-passphrase-1');
    expect(reused.status).toBe(400);
    expect(reused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(reused.body.code).toBe('INVALID_RESET_TOKEN');
    expect((await a.client.post('/auth/v1/login', { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('refuses an expired and a superseded token with the same answer; a weak password does not spend the newest', async () => {
    const email = await newMember('late');
    const before = orgSmtp.messages.length;
    expect((await ask(email)).status).toBe(202);
    const first = tokenFrom(await newMessage(orgSmtp, before));
    expect((await ask(email, b)).status).toBe(202);
    const second = tokenFrom(await newMessage(orgSmtp, before + 1));
    expect(second).not.toBe(first);

    const superseded = await complete(first);
    expect(superseded.status).toBe(400);
    await a.db.query(
      `UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE consumed_at IS NULL AND superseded_at IS NULL
          AND user_id = (SELECT id FROM users WHERE email = $1)`,
      [email],
    );
    const expired = await complete(second);
    expect(expired.status).toBe(400);
    const strip = (body: Record<string, unknown>) => ({ ...body, correlation_id: undefined });
    expect(strip(expired.body)).toEqual(strip(superseded.body));
    expect(expired.body.code).toBe('INVALID_RESET_TOKEN');
    expect((await a.client.post('/auth/v1/login', { email, password: OLD_PASSWORD })).status).toBe(200);

    expect((await ask(email)).status).toBe(202);
    const third = tokenFrom(await newMessage(orgSmtp, before + 2));
    const weak = await complete(third, 'short');
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('PASSWORD_POLICY');
    expect((await complete(third)).status).toBe(204);
  });

  it('answers unknown and pending addresses exactly like an active one, and sends them nothing', async () => {
    const active = await newMember('active');
    const pending = await newMember('pending');
    await a.db.query(`UPDATE users SET status = 'pending', password_hash = NULL WHERE email = $1`, [pending]);
    await settled();
    const before = allReceived();
    const orgBefore = orgSmtp.messages.length;

    const answers = [await ask(active), await ask('nobody@reset.org.test', b), await ask(pending)];
    for (const res of answers) {
      expect(res.status).toBe(202);
      expect(res.text).toBe(answers[0]!.text);
      expect(res.headers['content-type']).toBe(answers[0]!.headers['content-type']);
    }
    expect(answers[0]!.body).toEqual({ status: 'accepted', detail: expect.stringContaining('If an active account exists') });

    expect((await newMessage(orgSmtp, orgBefore)).to).toBe(active);
    await settled();
    // Everything taken has been worked off: the one email is the active account's.
    await waitFor(
      async () => ((await a.db.query(`SELECT 1 FROM email_jobs WHERE status IN ('queued', 'sending')`)).length === 0 ? true : undefined),
      10_000,
      'an idle queue',
    );
    expect(allReceived()).toBe(before + 1);
    const requested = await a.db.query<{ actor_email: string; outcome: string; details: Record<string, unknown> }>(
      `SELECT actor_email, outcome, details FROM audit_events WHERE type = 'account.password_reset.requested' AND actor_email = ANY($1) ORDER BY actor_email`,
      [[active, pending, 'nobody@reset.org.test']],
    );
    expect(requested).toEqual([
      { actor_email: active, outcome: 'success', details: { account_matched: true } },
      { actor_email: 'nobody@reset.org.test', outcome: 'failure', details: { account_matched: false, reason: 'unknown_address' } },
      { actor_email: pending, outcome: 'failure', details: { account_matched: false, reason: 'user_pending' } },
    ]);
  });

  it('answers before looking the address up, so active, pending and unknown addresses take the same path', async () => {
    const active = await newMember('locked');
    const pending = await newMember('locked-pending');
    await a.db.query(`UPDATE users SET status = 'pending', password_hash = NULL WHERE email = $1`, [pending]);
    const orgBefore = orgSmtp.messages.length;
    // While another session holds the users table, any lookup before the answer would wait for it.
    const locker = new Client({ connectionString: a.db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const answered = (email: string) =>
        Promise.race([ask(email), new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 5_000))]);
      const results = [await answered(active), await answered(pending), await answered('nobody-locked@reset.org.test')];
      expect(results).not.toContain('blocked');
      for (const res of results) {
        if (res === 'blocked') continue;
        expect(res.status).toBe(202);
        expect(res.text).toBe((results[0] as { text: string }).text);
      }
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    // Worked off after the answer: the active account gets its link.
    expect((await newMessage(orgSmtp, orgBefore)).to).toBe(active);
  });

  it(`limits requests per address (${PER_ADDRESS}/h) and per client (${PER_CLIENT}/h) across replicas, with 429 and Retry-After`, async () => {
    const perAddress: number[] = [];
    for (let i = 0; i <= PER_ADDRESS; i += 1) perAddress.push((await ask('flood@reset.org.test', i % 2 ? a : b)).status);
    expect(perAddress).toEqual([...Array<number>(PER_ADDRESS).fill(202), 429]);

    const client = fromNewClient();
    const perClient: Array<{ status: number; code?: string; retryAfter?: number }> = [];
    for (let i = 0; i <= PER_CLIENT; i += 1) {
      const res = await ask(`spray-${i}@reset.org.test`, i % 2 ? a : b, client);
      perClient.push(
        res.status === 202 ? { status: 202 } : { status: res.status, code: res.body.code, retryAfter: Number(res.headers['retry-after']) },
      );
    }
    expect(perClient.slice(0, PER_CLIENT)).toEqual(Array<unknown>(PER_CLIENT).fill({ status: 202 }));
    expect(perClient[PER_CLIENT]).toEqual({ status: 429, code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(perClient[PER_CLIENT]!.retryAfter).toBeGreaterThan(0);
    expect(perClient[PER_CLIENT]!.retryAfter).toBeLessThanOrEqual(3600);
    // Neither limit touches another address from another client.
    expect((await ask('someone-else@reset.org.test')).status).toBe(202);
  });

  it('refuses bad input with a problem naming the field', async () => {
    const bad = await ask('not-an-address');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
    const missing = await a.client.post('/auth/v1/password-reset/complete', { token: 'x'.repeat(43) });
    expect(missing.status).toBe(400);
    expect(new Set(missing.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set(['password']));
    const unknown = await complete('A'.repeat(43));
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('INVALID_RESET_TOKEN');
  });

  it('renders the email with the partner’s password_reset override and branding, sent by the partner’s route', async () => {
    const email = 'staff@reset.partner.test';
    const created = await a.client.post('/auth/v1/users', { email, role: 'auditor', password: OLD_PASSWORD }, partnerAdmin);
    expect(created.status).toBe(201);
    const put = (path: string, body: object) =>
      a.client.request('PUT', `/event/v1/email/templates/${path}`, { body, cookie: partnerAdmin, headers: { 'if-none-match': '*' } });
    expect((await put('branding', { product_name: 'Reset Cloud', footer: 'Reset Partner Ltd., Quay 7' })).status).toBe(201);
    const override = await put('password_reset', {
      subject: 'Partner reset for {{ email }}',
      text: 'New password at {{ link }} within {{ expires_in_minutes }} min.\n{{ brand.footer }}',
      html: '<p>{{ brand.product_name }}</p><p><a href="{{ link }}">Reset</a></p>',
    });
    expect(override.status).toBe(201);

    const before = partnerSmtp.messages.length;
    expect((await ask(email)).status).toBe(202);
    const mail = await newMessage(partnerSmtp, before);
    expect(mail.to).toBe(email);
    expect(mail.subject).toBe(`Partner reset for ${email}`);
    expect(mail.text).toMatch(/^New password at http:\/\/console\.mailstrata\.test\/auth\/v1\/password-reset#token=\S+ within \d+ min\./);
    expect(mail.text).toContain('Reset Partner Ltd., Quay 7');
    const parsed = await simpleParser(mail.raw);
    expect(parsed.html).toContain('<p>Reset Cloud</p>');
    const token = tokenFrom(mail);
    expect(parsed.html).toContain(`<a href="http://console.mailstrata.test/auth/v1/password-reset#token=${token}">`);
    // The link from the partner's template works like the built-in one.
    expect((await complete(token)).status).toBe(204);
    expect((await a.client.post('/auth/v1/login', { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it.each([
    ['/auth/v1/password-reset', 'reset'],
    ['/auth/v1/password-setup', 'setup'],
  ])('serves %s with its script from a file, under a CSP without inline script', async (path, flow) => {
    const page = await a.client.get(path);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).toContain(`data-flow="${flow}"`);
    const src = /<script src="([^"]+)"/.exec(page.text)![1]!;
    const script = await a.client.get(new URL(src, `http://x${path}`).pathname);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toContain(flow === 'reset' ? 'password-reset/complete' : 'password-setup/resend');
  });
});
