/**
 * Durable system-email delivery in the real app (in-process worker) against real SMTP servers: the job
 * commits with the caller's transaction, goes out through the scope's effective profile resolved at
 * send time, transient failures are retried with backoff until the profile's retries are used up,
 * permanent ones fail at once, and each attempt leaves an audit event without body or secrets.
 */
import { EmailOutbox } from '@mailstrata/delivery';
import { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { startTestApp, TestApp } from '../support/app';
import { startSmtpServer, TestSmtpServer, waitFor } from '../support/smtp';
import { createTenant, rootToken, Tenant } from '../email-config/helpers';

const SECRET_BODY = 'Your one-time link: https://console.example/setup#tok-7f3a9c1d2e';

describe('durable system-email delivery', () => {
  let t: TestApp;
  let controllerSmtp: TestSmtpServer;
  let partnerSmtp: TestSmtpServer;
  let tenant: Tenant;
  let root: string;
  let outbox: EmailOutbox;
  let dataSource: DataSource;
  const reservedPort = { port: 0 };

  beforeAll(async () => {
    controllerSmtp = await startSmtpServer();
    partnerSmtp = await startSmtpServer();
    // A port for the "server comes back" case: open a server to learn a free port, then close it.
    const probe = await startSmtpServer();
    reservedPort.port = probe.port;
    await probe.close();
    t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(controllerSmtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        FW_EVENT_SMTP_RETRIES: '2',
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: [controllerSmtp.port, partnerSmtp.port, reservedPort.port].join(','),
        EMAIL_RETRY_BASE_MS: '40',
        EMAIL_POLL_INTERVAL_MS: '25',
      },
    });
    outbox = t.app.get(EmailOutbox);
    dataSource = t.app.get<DataSource>(getDataSourceToken());
    root = await rootToken(t.client);
    tenant = await createTenant(t.client, root, 'deliv');
  });
  afterAll(async () => {
    await t?.close();
    await controllerSmtp?.close();
    await partnerSmtp?.close();
  });

  const enqueue = (subject: string, scope = { partnerId: tenant.partnerId, orgId: tenant.orgId }) =>
    dataSource.transaction((m) =>
      outbox.enqueue(m, { scope, kind: 'password_setup', to: 'new.user@customer.test', subject, text: SECRET_BODY }),
    );

  const events = (jobId: string) =>
    t.db.query<{ type: string; outcome: string; details: Record<string, unknown>; partner_id: string; org_id: string }>(
      `SELECT type, outcome, details, partner_id, org_id FROM audit_events WHERE resource_id = $1 ORDER BY seq`,
      [jobId],
    );
  const job = async (jobId: string) => (await t.db.query<Record<string, any>>(`SELECT * FROM email_jobs WHERE id = $1`, [jobId]))[0]!;
  const finished = (jobId: string) =>
    waitFor(async () => ((await job(jobId)).finished_at ? job(jobId) : undefined), 15_000, `job ${jobId}`);

  const setPartnerProfile = async (port: number, retries: number) => {
    const res = await t.client.post(
      '/event/v1/email/config',
      {
        email_config: {
          smtp_config: { host: '127.0.0.1', port, use_tls: false, retries, sender_email: 'noreply@partner.test', sender_name: 'Partner' },
        },
      },
      tenant.partnerToken,
    );
    expect([200, 201]).toContain(res.status);
  };
  const deletePartnerProfile = async () => {
    await t.client.delete('/event/v1/email/config', tenant.partnerToken, { 'if-match': '*' });
  };

  it('enqueues in the caller transaction (body encrypted) and delivers through the controller profile', async () => {
    const before = controllerSmtp.messages.length;
    let seenInTx: string | undefined;
    const jobId = await dataSource.transaction(async (m) => {
      const id = await outbox.enqueue(m, {
        scope: { partnerId: tenant.partnerId, orgId: tenant.orgId },
        kind: 'password_setup',
        to: 'new.user@customer.test',
        subject: 'Set your password',
        text: SECRET_BODY,
        html: `<p>${SECRET_BODY}</p>`,
      });
      seenInTx = (await m.query(`SELECT body_ciphertext FROM email_jobs WHERE id = $1`, [id]))[0].body_ciphertext;
      return id;
    });
    expect(seenInTx).toMatch(/^v1\./);
    expect(seenInTx).not.toContain('tok-7f3a9c1d2e');
    const [msg] = (await controllerSmtp.waitForMessages(before + 1)).slice(before);
    expect(msg!.from).toBe('ops@controller.test');
    expect(msg!.to).toBe('new.user@customer.test');
    expect(msg!.subject).toBe('Set your password');
    expect(msg!.text).toBe(SECRET_BODY);
    const row = await finished(jobId);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, source: 'controller', body_ciphertext: null });
    const ev = await events(jobId);
    expect(ev.map((e) => e.type)).toEqual(['email.queued', 'email.sent']);
    expect(ev[1]).toMatchObject({ outcome: 'success', partner_id: tenant.partnerId, org_id: tenant.orgId });
    expect(ev[1]!.details).toMatchObject({
      job_id: jobId,
      kind: 'password_setup',
      recipient: 'new.user@customer.test',
      source: 'controller',
      attempt: 1,
      host: '127.0.0.1',
    });
  });

  it('a rolled-back transaction leaves no job, no audit event and sends nothing', async () => {
    const before = controllerSmtp.received;
    let id: string | undefined;
    await expect(
      dataSource.transaction(async (m) => {
        id = await outbox.enqueue(m, {
          scope: { partnerId: tenant.partnerId, orgId: null },
          kind: 'password_setup',
          to: 'x@customer.test',
          subject: 'nope',
          text: 'nope',
        });
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    expect(await t.db.query(`SELECT 1 FROM email_jobs WHERE id = $1`, [id])).toHaveLength(0);
    expect(await events(id!)).toHaveLength(0);
    // A later job still goes out, so the worker is alive and would have sent a committed one.
    await finished(await enqueue('after rollback'));
    expect(controllerSmtp.received).toBe(before + 1);
  });

  it('uses the partner profile once it exists, resolved at send time', async () => {
    await setPartnerProfile(partnerSmtp.port, 3);
    const before = partnerSmtp.messages.length;
    const jobId = await enqueue('via partner');
    const [msg] = (await partnerSmtp.waitForMessages(before + 1)).slice(before);
    expect(msg!.from).toBe('Partner <noreply@partner.test>');
    expect((await finished(jobId)).source).toBe('partner');
  });

  it('retries a transient 451 with backoff and delivers when the server recovers', async () => {
    await setPartnerProfile(partnerSmtp.port, 5);
    partnerSmtp.failures.data = 451;
    const before = partnerSmtp.messages.length;
    const jobId = await enqueue('eventually');
    await waitFor(
      async () => ((await events(jobId)).filter((e) => e.type === 'email.retrying').length >= 2 ? true : undefined),
      10_000,
      'two retries',
    );
    delete partnerSmtp.failures.data;
    await partnerSmtp.waitForMessages(before + 1);
    const row = await finished(jobId);
    expect(row.status).toBe('sent');
    const ev = await events(jobId);
    const retrying = ev.filter((e) => e.type === 'email.retrying');
    expect(retrying[0]!.details).toMatchObject({ stage: 'DATA', smtp_code: 451, attempt: 1, max_attempts: 6, source: 'partner' });
    expect(new Date(String(retrying[0]!.details.next_attempt_at)).getTime()).toBeGreaterThan(0);
    expect(ev.at(-1)!.type).toBe('email.sent');
    expect(ev.at(-1)!.details.attempt).toBe(row.attempts);
  });

  it('a permanent 550 fails at once, without retry, and the body is deleted', async () => {
    partnerSmtp.failures.rcptTo = 550;
    try {
      const jobId = await enqueue('refused');
      const row = await finished(jobId);
      expect(row).toMatchObject({ status: 'failed', attempts: 1, last_stage: 'RCPT_TO', last_smtp_code: 550, body_ciphertext: null });
      const ev = await events(jobId);
      expect(ev.map((e) => e.type)).toEqual(['email.queued', 'email.failed']);
      expect(ev[1]!.details).toMatchObject({ stage: 'RCPT_TO', smtp_code: 550, permanent: true });
    } finally {
      delete partnerSmtp.failures.rcptTo;
    }
  });

  it('gives up after the profile retries are used up', async () => {
    await setPartnerProfile(partnerSmtp.port, 1);
    partnerSmtp.failures.data = 451;
    try {
      const jobId = await enqueue('never');
      const row = await finished(jobId);
      expect(row).toMatchObject({ status: 'failed', attempts: 2, last_stage: 'DATA', last_smtp_code: 451 });
      expect((await events(jobId)).map((e) => e.type)).toEqual(['email.queued', 'email.retrying', 'email.failed']);
    } finally {
      delete partnerSmtp.failures.data;
    }
  });

  it('SMTP down when queued: retried until the server is back, then delivered', async () => {
    await setPartnerProfile(reservedPort.port, 6);
    const jobId = await enqueue('server comes back');
    await waitFor(async () => ((await events(jobId)).some((e) => e.type === 'email.retrying') ? true : undefined), 10_000, 'a retry');
    const back = await startSmtpServer({ port: reservedPort.port });
    try {
      const [msg] = await back.waitForMessages(1, 15_000);
      expect(msg!.subject).toBe('server comes back');
      const row = await finished(jobId);
      expect(row.status).toBe('sent');
      const retry = (await events(jobId)).find((e) => e.type === 'email.retrying')!;
      expect(retry.details.stage).toBe('CONNECT');
    } finally {
      await back.close();
      await deletePartnerProfile();
    }
  });

  it('keeps profile health, and no audit event or finished job row holds the body', async () => {
    // One row per profile version: the versions saved above saw successes and failures between them.
    const health = await t.db.query<Record<string, any>>(
      `SELECT max(last_success_at) AS last_success_at, max(last_failure_stage) AS last_failure_stage
         FROM smtp_profile_health WHERE profile_key = $1`,
      [`partner:${tenant.partnerId}`],
    );
    expect(health[0]!.last_success_at).not.toBeNull();
    expect(health[0]!.last_failure_stage).not.toBeNull();
    const leaks = await t.db.query(`SELECT id FROM audit_events WHERE details::text LIKE '%tok-7f3a9c1d2e%'`);
    expect(leaks).toHaveLength(0);
    const bodies = await t.db.query(`SELECT id FROM email_jobs WHERE finished_at IS NOT NULL AND body_ciphertext IS NOT NULL`);
    expect(bodies).toHaveLength(0);
  });
});
