/**
 * The send API and the delivery log in the real app (in-process worker) against real SMTP servers: the
 * route a message takes as profiles and the org switch change (org → partner → controller), idempotency,
 * the per-partner quota, refusals (foreign scope, header injection, oversized parts, no route), a 451
 * then 250 and a 550 recipient shown attempt by attempt, and the log's scoping.
 */
import { getDataSourceToken } from '@nestjs/typeorm';
import { EmailOutbox, MessageIntake, requestFingerprint } from '@mailstrata/delivery';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { startSmtpServer, TestSmtpServer, waitFor } from '../support/smtp';
import { createTenant, rootToken, setOverride, Tenant } from '../email-config/helpers';

const MESSAGES = '/event/v1/email/messages';
const QUOTA = 20;

describe('send API and delivery log', () => {
  let t: TestApp;
  let controllerSmtp: TestSmtpServer;
  let partnerSmtp: TestSmtpServer;
  let orgSmtp: TestSmtpServer;
  let root: string;
  let a: Tenant;
  let b: Tenant;

  const profile = (port: number, sender: string) => ({
    email_config: { smtp_config: { host: '127.0.0.1', port, use_tls: false, retries: 2, sender_email: sender } },
  });
  const send = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.client.post(MESSAGES, body, token, headers);
  const message = (id: string, token: string) => t.client.get(`${MESSAGES}/${id}`, token);
  const settled = async (id: string, token: string, status: string) => {
    await waitFor(async () => (await message(id, token)).body.status === status, 10_000);
    return (await message(id, token)).body;
  };

  beforeAll(async () => {
    controllerSmtp = await startSmtpServer();
    partnerSmtp = await startSmtpServer();
    orgSmtp = await startSmtpServer();
    t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(controllerSmtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: [controllerSmtp.port, partnerSmtp.port, orgSmtp.port].join(','),
        EMAIL_RETRY_BASE_MS: '40',
        EMAIL_POLL_INTERVAL_MS: '25',
        EMAIL_SEND_QUOTA_PER_MINUTE: String(QUOTA),
      },
    });
    root = await rootToken(t.client);
    a = await createTenant(t.client, root, 'senda');
    b = await createTenant(t.client, root, 'sendb');
  });
  afterAll(async () => {
    await t?.close();
    await controllerSmtp?.close();
    await partnerSmtp?.close();
    await orgSmtp?.close();
  });

  it('sends through the org, partner and controller servers as profiles and the org switch change', async () => {
    expect((await t.client.post('/event/v1/email/config', profile(partnerSmtp.port, 'noreply@partner.test'), a.partnerToken)).status).toBe(
      201,
    );
    await setOverride(t.client, a.partnerToken, a.orgId, true);
    expect(
      (await t.client.post(`/event/v1/email/config?org_id=${a.orgId}`, profile(orgSmtp.port, 'noreply@org.test'), a.partnerToken)).status,
    ).toBe(201);
    const body = (subject: string) => ({ org_id: a.orgId, to: ['someone@customer.test'], subject, text: 'Hello' });

    const viaOrg = await send(a.partnerToken, body('via org'));
    expect(viaOrg.status).toBe(202);
    expect(viaOrg.body).toMatchObject({
      id: expect.any(String),
      status: 'queued',
      route: { level: 'org', profile_id: expect.any(String) },
    });
    await orgSmtp.waitForMessages(1);
    expect(orgSmtp.messages[0]!.subject).toBe('via org');

    await setOverride(t.client, a.partnerToken, a.orgId, false);
    const viaPartner = await send(a.orgToken, body('via partner'));
    expect(viaPartner.body.route).toMatchObject({ level: 'partner', profile_id: expect.any(String) });
    await partnerSmtp.waitForMessages(1);
    expect(partnerSmtp.messages[0]!.subject).toBe('via partner');

    expect((await t.client.delete('/event/v1/email/config', a.partnerToken)).status).toBe(204);
    const viaController = await send(root, body('via controller'));
    expect(viaController.body.route).toMatchObject({ level: 'controller', profile_id: null });
    await controllerSmtp.waitForMessages(1);
    expect(controllerSmtp.messages[0]!.subject).toBe('via controller');

    const logged = await settled(viaController.body.id, a.orgToken, 'sent');
    expect(logged).toMatchObject({
      template: 'generic',
      producer: { type: 'user', name: 'root@controller.test' },
      recipients: { to: ['someone@customer.test'], cc: [], reply_to: null },
      message_id: expect.stringMatching(/^<.+>$/),
      attempts: [{ attempt: 1, outcome: 'sent', smtp_code: 250, route: { level: 'controller', host: '127.0.0.1' } }],
    });
    expect(JSON.stringify(logged)).not.toContain('Hello');
    expect(orgSmtp.messages).toHaveLength(1);
    expect(partnerSmtp.messages).toHaveLength(1);
  });

  it('renders any template kind through the tenant’s templates, and names a missing variable', async () => {
    const before = controllerSmtp.messages.length;
    const alert = { partner_id: a.partnerId, to: ['oncall@customer.test'], template: 'alert' };
    const missing = await send(root, { ...alert, data: { message: 'no title' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'data.title' })]);
    const sent = await send(root, { ...alert, data: { title: 'Disk full', message: 'Volume /data is at 99%.', severity: 'critical' } });
    expect(sent.status).toBe(202);
    await settled(sent.body.id, a.partnerToken, 'sent');
    const mail = controllerSmtp.messages[before]!;
    expect(mail.subject).toBe('[CRITICAL] Disk full');
    expect(mail.text).toContain('Volume /data is at 99%.');
  });

  it('sends each mailbox one copy when a recipient is named twice, in to and cc, in any case', async () => {
    const subject = `dedup ${Date.now()}`;
    const res = await send(b.partnerToken, {
      partner_id: b.partnerId,
      to: ['twice@customer.test', 'other@customer.test', 'TWICE@customer.test'],
      cc: ['twice@Customer.test', 'copy@customer.test', 'Other@customer.test'],
      subject,
      text: 'once each',
    });
    expect(res.status).toBe(202);
    const logged = await settled(res.body.id, b.partnerToken, 'sent');
    expect(logged.recipients).toEqual({ to: ['twice@customer.test', 'other@customer.test'], cc: ['copy@customer.test'], reply_to: null });
    const envelopes = controllerSmtp.messages
      .filter((m) => m.subject === subject)
      .flatMap((m) => m.envelopeTo)
      .sort();
    expect(envelopes).toEqual(['copy@customer.test', 'other@customer.test', 'twice@customer.test']);
  });

  it('answers the first message for a repeated Idempotency-Key with the same body, 409 for another body', async () => {
    const key = { 'idempotency-key': `order-${Date.now()}` };
    const body = { partner_id: a.partnerId, to: ['Idem@Customer.test'], template: 'generic', data: { subject: 'Once', text: 'only once' } };
    const first = await send(a.partnerToken, body, key);
    expect(first.status).toBe(202);
    const again = await send(a.partnerToken, body, key);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await send(a.partnerToken, { ...body, to: ['other@customer.test'] }, key);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await settled(first.body.id, a.partnerToken, 'sent');
    const copies = controllerSmtp.messages.filter((m) => m.subject === 'Once');
    expect(copies).toHaveLength(1);
    const bad = await send(a.partnerToken, body, { 'idempotency-key': 'x'.repeat(256) });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('Idempotency-Key');
  });

  it('shows a 451-then-250 recipient and a 550 recipient attempt by attempt', async () => {
    controllerSmtp.failures.rcptToFor = { 'late@customer.test': { code: 451, times: 1 }, 'gone@customer.test': { code: 550 } };
    const res = await send(a.orgToken, {
      org_id: a.orgId,
      to: ['late@customer.test'],
      cc: ['gone@customer.test'],
      reply_to: 'help@partner.test',
      subject: 'Two fates',
      text: 'body',
    });
    expect(res.status).toBe(202);
    const logged = await settled(res.body.id, a.orgToken, 'failed');
    const late = logged.attempts.filter((x: { recipient: string }) => x.recipient === 'late@customer.test');
    const gone = logged.attempts.filter((x: { recipient: string }) => x.recipient === 'gone@customer.test');
    expect(late).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'retrying',
        stage: 'RCPT_TO',
        smtp_code: 451,
        reply: expect.stringContaining('Try again'),
      }),
      expect.objectContaining({ attempt: 2, outcome: 'sent', smtp_code: 250, stage: null }),
    ]);
    expect(gone).toEqual([expect.objectContaining({ attempt: 1, outcome: 'failed', stage: 'RCPT_TO', smtp_code: 550 })]);
    expect(late[0].route).toEqual({ name: 'primary', level: 'controller', host: '127.0.0.1', profile_version: 'env' });
    const delivered = controllerSmtp.messages.filter((m) => m.subject === 'Two fates');
    expect(delivered.map((m) => m.envelopeTo)).toEqual([['late@customer.test']]);
    expect(delivered[0]!.headers.get('reply-to')).toEqual(['help@partner.test']);
    controllerSmtp.failures.rcptToFor = {};
  });

  it('refuses foreign scopes (404), header injection and oversized parts (400) naming the field', async () => {
    const foreignOrg = await send(a.partnerToken, { org_id: b.orgId, to: ['x@customer.test'], subject: 's', text: 't' });
    expect(foreignOrg.status).toBe(404);
    const foreignPartner = await send(a.orgToken, { partner_id: a.partnerId, to: ['x@customer.test'], subject: 's', text: 't' });
    expect(foreignPartner.status).toBe(404);
    const unknown = await send(root, { org_id: '00000000-0000-4000-8000-000000000000', to: ['x@customer.test'], subject: 's', text: 't' });
    expect(unknown.status).toBe(404);

    const injected = await send(a.partnerToken, {
      partner_id: a.partnerId,
      to: ['x@customer.test'],
      subject: 'Hi\r\nBcc: evil@x.test',
      text: 't',
    });
    expect(injected.status).toBe(400);
    expect(injected.headers['content-type']).toContain('application/problem+json');
    expect(injected.body.errors).toEqual([expect.objectContaining({ field: 'subject', rule: 'no_line_breaks' })]);
    const injectedTo = await send(a.partnerToken, {
      partner_id: a.partnerId,
      to: ['ok@customer.test', 'x@customer.test\r\nBcc: evil@x.test', 'Jane <jane@customer.test>'],
      subject: 's',
      text: 't',
    });
    expect(injectedTo.status).toBe(400);
    // The entries are named by position; the refused values are not echoed.
    expect(injectedTo.body.errors).toEqual([
      { field: 'to', rule: 'isEmail', message: 'must be single email addresses without CR or LF: to[1], to[2]' },
    ]);

    const tooMany = await send(a.partnerToken, {
      partner_id: a.partnerId,
      to: Array.from({ length: 40 }, (_, i) => `r${i}@customer.test`),
      cc: Array.from({ length: 11 }, (_, i) => `c${i}@customer.test`),
      subject: 's',
      text: 't',
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors).toEqual([expect.objectContaining({ field: 'to', rule: 'maxRecipients' })]);
    const longSubject = await send(a.partnerToken, {
      partner_id: a.partnerId,
      to: ['x@customer.test'],
      subject: 's'.repeat(999),
      text: 't',
    });
    expect(longSubject.body.errors).toEqual([expect.objectContaining({ field: 'subject', rule: 'maxLength' })]);
    const both = await send(a.partnerToken, {
      partner_id: a.partnerId,
      to: ['x@customer.test'],
      template: 'generic',
      subject: 's',
      text: 't',
    });
    expect(both.status).toBe(400);
    expect(both.body.errors.map((e: { field: string }) => e.field)).toContain('template');
    const noRender = await send(a.partnerToken, {
      partner_id: a.partnerId,
      to: ['x@customer.test'],
      template: 'generic',
      data: { text: 't' },
    });
    expect(noRender.status).toBe(400);
    expect(noRender.body.errors).toEqual([expect.objectContaining({ field: 'data.subject' })]);
  });

  it('scopes the delivery log like the audit log and filters it with date math and a cursor', async () => {
    for (const n of [1, 2]) {
      const earlier = await send(a.orgToken, { org_id: a.orgId, to: [`page${n}@customer.test`], subject: 'Page', text: 't' });
      await settled(earlier.body.id, a.orgToken, 'sent');
    }
    const mine = await send(a.orgToken, { org_id: a.orgId, to: ['log@customer.test'], subject: 'Log me', text: 't' });
    await settled(mine.body.id, a.orgToken, 'sent');
    expect((await message(mine.body.id, b.orgToken)).status).toBe(404);
    expect((await message(mine.body.id, b.partnerToken)).status).toBe(404);
    expect((await message(mine.body.id, a.partnerToken)).status).toBe(200);
    expect((await message(mine.body.id, root)).status).toBe(200);
    expect((await t.client.get(`${MESSAGES}?org_id=${a.orgId}`, b.partnerToken)).body.items).toEqual([]);

    const page1 = await t.client.get(`${MESSAGES}?timefrom=now-1h&limit=1&to=LOG@customer.test`, a.orgToken);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((m: { id: string }) => m.id)).toEqual([mine.body.id]);
    // A domain: every message with a recipient there, and only at that whole domain.
    const other = await send(a.orgToken, { org_id: a.orgId, to: ['log@elsewhere.test'], subject: 'Elsewhere', text: 't' });
    const atDomain = async (domain: string) =>
      (await t.client.get(`${MESSAGES}?limit=100&to=${encodeURIComponent(domain)}`, a.orgToken)).body.items as {
        id: string;
        recipients: { to: string[]; cc: string[] };
      }[];
    const customer = await atDomain('@CUSTOMER.test');
    expect(customer.map((m) => m.id)).toEqual(expect.arrayContaining([mine.body.id]));
    expect(customer.every((m) => [...m.recipients.to, ...m.recipients.cc].some((r) => r.toLowerCase().endsWith('@customer.test')))).toBe(
      true,
    );
    expect((await atDomain('@elsewhere.test')).map((m) => m.id)).toEqual([other.body.id]);
    expect(await atDomain('@stomer.test')).toEqual([]);
    const all = await t.client.get(`${MESSAGES}?status=sent&limit=2`, a.orgToken);
    expect(all.body.items).toHaveLength(2);
    const next = await t.client.get(`${MESSAGES}?status=sent&limit=2&cursor=${all.body.next_cursor}`, a.orgToken);
    expect(next.status).toBe(200);
    const ids = [...all.body.items, ...next.body.items].map((m: { id: string }) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await t.client.get(`${MESSAGES}?timefrom=now-1h&timeto=now-30m`, a.orgToken)).body.items).toEqual([]);
    const refused = async (query: string) => {
      const res = await t.client.get(`${MESSAGES}?${query}`, a.orgToken);
      expect({ query, status: res.status, code: res.body.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
      return res.body.errors.map((e: { field: string; rule: string }) => `${e.field}:${e.rule}`).sort();
    };
    expect(await refused('timefrom=yesterday&status=lost')).toEqual(['status:isIn', 'timefrom:dateMath']);
    expect(await refused('timefrom=now-1h&timeto=now-2h')).toEqual(['timefrom:beforeTimeto']);
    expect(await refused('status=sent&status=failed')).toEqual(['status:isIn', 'status:single']);
    expect(await refused('limit=0&cursor=abc&org_id=nope&sort=asc')).toEqual([
      'cursor:cursor',
      'limit:min',
      'org_id:isUuid',
      'sort:unknown_field',
    ]);
    expect(await refused(`limit=101&to=${'x'.repeat(321)}`)).toEqual(['limit:max', 'to:maxLength']);
    const notAnId = await t.client.get(`${MESSAGES}/not-a-uuid`, a.orgToken);
    expect({ status: notAnId.status, code: notAnId.body.code, errors: notAnId.body.errors }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'id', rule: 'isUuid', message: 'must be a UUID' }],
    });
  });

  it('logs the outbox system emails with producer system, and audits messages without body', async () => {
    const dataSource = t.app.get<DataSource>(getDataSourceToken());
    await dataSource.transaction((m) =>
      t.app.get(EmailOutbox).enqueue(m, {
        scope: { partnerId: a.partnerId, orgId: a.orgId },
        kind: 'password_setup',
        to: 'new.user@customer.test',
        subject: 'Set your password',
        text: 'secret-link-4711',
      }),
    );
    await waitFor(async () => (await t.client.get(`${MESSAGES}?template=password_setup&status=sent`, a.orgToken)).body.items.length === 1);
    const [setup] = (await t.client.get(`${MESSAGES}?template=password_setup`, a.orgToken)).body.items;
    expect(setup).toMatchObject({ producer: { type: 'system', name: 'password_setup' }, recipients: { to: ['new.user@customer.test'] } });
    const events: { type: string; details: Record<string, unknown> }[] = await dataSource.query(
      `SELECT type, details FROM audit_events WHERE details->>'message_id' = $1 ORDER BY seq`,
      [setup.id],
    );
    expect(events.map((e) => e.type)).toEqual(['email.queued', 'email.sent']);
    expect(events[1]!.details).toMatchObject({ message_id: setup.id, template: 'password_setup', producer_type: 'system' });
    const api = await send(a.orgToken, { org_id: a.orgId, to: ['audit@customer.test'], subject: 'Audited', text: 'body-text-0815' });
    await settled(api.body.id, a.orgToken, 'sent');
    const apiEvents: { type: string; details: Record<string, unknown> }[] = await dataSource.query(
      `SELECT type, details FROM audit_events WHERE details->>'message_id' = $1 ORDER BY seq`,
      [api.body.id],
    );
    expect(apiEvents.map((e) => e.type)).toEqual(['email.message.accepted', 'email.queued', 'email.sent']);
    expect(apiEvents[0]!.details).toMatchObject({ template: 'generic', producer_type: 'user', recipients: 1, route_level: 'controller' });
    expect(JSON.stringify([...events, ...apiEvents])).not.toMatch(/secret-link-4711|body-text-0815/);
  });

  it('refuses over the partner quota with 429 and Retry-After', async () => {
    const c = await createTenant(t.client, root, 'quota');
    const many = Array.from({ length: QUOTA }, (_, i) => `q${i}@customer.test`);
    const first = await send(c.partnerToken, {
      partner_id: c.partnerId,
      to: many.slice(0, 10),
      cc: many.slice(10),
      subject: 'q',
      text: 't',
    });
    expect(first.status).toBe(202);
    const over = await send(c.partnerToken, { org_id: c.orgId, to: ['one.more@customer.test'], subject: 'q', text: 't' });
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.body.code).toBe('RATE_LIMITED');
  });

  it('writes concurrent submissions together yet once per Idempotency-Key and once per event id', async () => {
    const key = { 'idempotency-key': `burst-${Date.now()}` };
    const body = { partner_id: b.partnerId, to: ['burst@customer.test'], subject: 'burst', text: 'once' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(b.partnerToken, body, key)));
    expect(answers.map((r) => r.status)).toEqual(Array<number>(8).fill(202));
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);

    const intake = t.app.get(MessageIntake);
    const eventId = `evt-burst-${Date.now()}`;
    const request = { partnerId: b.partnerId, to: ['event@customer.test'], subject: 'evt burst', text: 'once' };
    const producer = { type: 'nats' as const, id: null, name: 'burst' };
    const events = await Promise.all(Array.from({ length: 8 }, () => intake.submitEvent(request, producer, eventId)));
    expect(events.filter((e) => !e.duplicate)).toHaveLength(1);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    const rows = await t.db.query<{ subject: string; n: number; jobs: number }>(
      `SELECT m.subject, count(DISTINCT m.id)::int AS n, count(j.id)::int AS jobs FROM email_messages m JOIN email_jobs j ON j.email_message_id = m.id
       WHERE m.subject IN ('burst', 'evt burst') GROUP BY 1 ORDER BY 1`,
    );
    expect(rows).toEqual([
      { subject: 'burst', n: 1, jobs: 1 },
      { subject: 'evt burst', n: 1, jobs: 1 },
    ]);
  });

  it('counts the quota once across two replicas under concurrency, and a replay neither counts nor is refused', async () => {
    const replica = await startTestApp({ db: t.db, env: t.env });
    try {
      const c = await createTenant(t.client, root, 'quota2');
      const body = (i: number) => ({ partner_id: c.partnerId, to: [`r${i}@customer.test`], subject: 'q', text: 't' });
      const statuses = await Promise.all(
        Array.from({ length: QUOTA + 10 }, (_, i) =>
          (i % 2 ? replica.client : t.client).post(MESSAGES, body(i), c.partnerToken, { 'idempotency-key': `q2-${i}` }),
        ),
      );
      const accepted = statuses.map((r, i) => (r.status === 202 ? i : -1)).filter((i) => i >= 0);
      expect(accepted).toHaveLength(QUOTA);
      expect(statuses.filter((r) => r.status === 429)).toHaveLength(10);
      // The quota is used up, yet the same request with an accepted key answers its first message.
      const first = accepted[0]!;
      const again = await replica.client.post(MESSAGES, body(first), c.partnerToken, { 'idempotency-key': `q2-${first}` });
      expect(again.status).toBe(202);
      expect(again.body.id).toBe(statuses[first]!.body.id);
      const [{ n }] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_messages WHERE partner_id = $1`, [c.partnerId]);
      expect(n).toBe(QUOTA);
    } finally {
      await replica.close();
    }
  });

  it('counts a key sent twice together once, writes nothing over the quota, and takes a key past its lifetime anew', async () => {
    const c = await createTenant(t.client, root, 'quota3');
    const counted = async () =>
      (await t.db.query<{ points: number }>(`SELECT points FROM rate_limits WHERE key = $1`, [`email-send-minute:${c.partnerId}`]))[0]
        ?.points ?? 0;
    const intake = t.app.get(MessageIntake);
    const producer = { type: 'user' as const, id: 'quota3-caller', name: 'quota3' };
    const submit = (request: { partnerId: string; to: string[]; subject: string; text: string }, key: string) =>
      intake.submit(request, producer, { key, fingerprint: requestFingerprint(request) });
    // The first goes alone; the copies of one key arrive while it is in flight and are gathered into one statement.
    const lead = submit({ partnerId: c.partnerId, to: ['lead@customer.test'], subject: 'lead', text: 't' }, 'q3-lead');
    const dup = { partnerId: c.partnerId, to: ['dup@customer.test'], subject: 'dup', text: 't' };
    const copies = await Promise.all([lead, ...Array.from({ length: 4 }, () => submit(dup, 'q3-dup'))]);
    expect(new Set(copies.slice(1).map((r) => r.id)).size).toBe(1);
    expect(copies.slice(1).filter((r) => !r.replayed)).toHaveLength(1);
    expect(await counted()).toBe(2);

    // Over the quota: refused, and nothing of it written (no message, job or audit event), nor counted in the hour.
    // (The copies' one message is queued once; the worker may already have sent it, with events of its own.)
    const rest = Array.from({ length: QUOTA - 2 }, (_, i) => `fill${i}@customer.test`);
    expect((await send(c.partnerToken, { partner_id: c.partnerId, to: rest, subject: 'fill', text: 't' })).status).toBe(202);
    const over = await send(
      c.partnerToken,
      { partner_id: c.partnerId, to: ['over@customer.test'], subject: 'over', text: 't' },
      {
        'idempotency-key': 'q3-over',
      },
    );
    expect(over.status).toBe(429);
    const written = await t.db.query<{ messages: number; jobs: number; events: number; admitted: number }>(
      `SELECT (SELECT count(*)::int FROM email_messages WHERE partner_id = $1 AND subject = 'over') AS messages,
              (SELECT count(*)::int FROM email_jobs WHERE partner_id = $1 AND subject = 'over') AS jobs,
              (SELECT count(*)::int FROM audit_events WHERE partner_id = $1 AND details->>'recipient' = 'over@customer.test') AS events,
              (SELECT count(*)::int FROM audit_events WHERE partner_id = $1 AND type = 'email.queued'
                  AND details->>'recipient' = 'dup@customer.test') AS admitted`,
      [c.partnerId],
    );
    expect(written).toEqual([{ messages: 0, jobs: 0, events: 0, admitted: 1 }]);
    const [{ points: hour }] = await t.db.query<{ points: number }>(`SELECT points FROM rate_limits WHERE key = $1`, [
      `email-send-hour:${c.partnerId}`,
    ]);
    expect(hour).toBe(QUOTA);

    // A key past its lifetime is released: the same key with another body is a new message, counted like any.
    await t.db.query(`DELETE FROM rate_limits WHERE key = $1`, [`email-send-minute:${c.partnerId}`]);
    const first = copies[1]!.id;
    await t.db.query(`UPDATE email_messages SET created_at = now() - interval '25 hours' WHERE id = $1`, [first]);
    const renewed = await submit({ ...dup, subject: 'dup again' }, 'q3-dup');
    expect(renewed.replayed).toBe(false);
    expect(renewed.id).not.toBe(first);
    const keys = await t.db.query<{ id: string; idempotency_key: string | null }>(
      `SELECT id, idempotency_key FROM email_messages WHERE id = ANY($1::uuid[]) ORDER BY created_at`,
      [[first, renewed.id]],
    );
    expect(keys).toEqual([
      { id: first, idempotency_key: null },
      { id: renewed.id, idempotency_key: 'q3-dup' },
    ]);
    expect(await counted()).toBe(1);
  });

  it('audits a tenant template that fails at send once, with its message: not again for a replay, a duplicate event or a 429', async () => {
    const c = await createTenant(t.client, root, 'fallback');
    // Fine with the kind's sample data (so it is saved), over the render limits with a long message.
    const heavy = {
      subject: '{{ title }}',
      text: '{% if message.size > 100 %}{% for j in (1..100000) %}{{ message }}{% endfor %}{% endif %}{{ message }}',
    };
    expect((await t.client.request('PUT', '/event/v1/email/templates/alert', { body: heavy, cookie: c.partnerToken })).status).toBe(201);
    const alert = {
      partner_id: c.partnerId,
      to: ['oncall@customer.test'],
      template: 'alert',
      data: { title: 'Disk', message: 'x'.repeat(200) },
    };
    const key = { 'idempotency-key': `fallback-${Date.now()}` };
    const first = await send(c.partnerToken, alert, key);
    expect(first.status).toBe(202);
    expect((await send(c.partnerToken, alert, key)).body.id).toBe(first.body.id);

    const intake = t.app.get(MessageIntake);
    const eventId = `evt-fallback-${Date.now()}`;
    const event = { partnerId: c.partnerId, to: ['oncall@customer.test'], template: 'alert', data: alert.data };
    const producer = { type: 'nats' as const, id: null, name: 'alerting' };
    const fromEvent = await intake.submitEvent(event, producer, eventId);
    expect(await intake.submitEvent(event, producer, eventId)).toEqual({ id: fromEvent.id, duplicate: true });

    // Events are not counted against the quota: the one API message took one of it.
    const rest = Array.from({ length: QUOTA - 1 }, (_, i) => `fill${i}@customer.test`);
    expect((await send(c.partnerToken, { partner_id: c.partnerId, to: rest, subject: 'fill', text: 't' })).status).toBe(202);
    expect((await send(c.partnerToken, alert)).status).toBe(429);

    const fallbacks = await t.db.query<{ details: Record<string, unknown>; outcome: string }>(
      `SELECT details, outcome FROM audit_events WHERE partner_id = $1 AND type = 'email.template.fallback' ORDER BY occurred_at`,
      [c.partnerId],
    );
    const facts = { kind: 'alert', level: 'partner', part: 'text', reason: 'limit_exceeded' };
    expect(fallbacks).toEqual([
      { outcome: 'failure', details: expect.objectContaining({ ...facts, message_id: first.body.id }) },
      { outcome: 'failure', details: expect.objectContaining({ ...facts, message_id: fromEvent.id }) },
    ]);
    // The built-in template carried the alert.
    const sent = await settled(first.body.id, c.partnerToken, 'sent');
    expect(sent.subject).toBe('Disk');
  });

  it('answers 409 NO_SMTP_CONFIG when no level has a route', async () => {
    const bare = await startTestApp({ env: { SMTP_ALLOWED_NETWORKS: '127.0.0.1/32', LOG_LEVEL: 'error' } });
    try {
      const r = await rootToken(bare.client);
      const tenant = await createTenant(bare.client, r, 'bare');
      const res = await bare.client.post(
        MESSAGES,
        { org_id: tenant.orgId, to: ['x@customer.test'], subject: 's', text: 't' },
        tenant.orgToken,
      );
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('NO_SMTP_CONFIG');
      expect((await bare.client.get(MESSAGES, tenant.orgToken)).body.items).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});
