/**
 * Failover to a scope's secondary SMTP route in the real app (in-process worker) against real SMTP
 * servers: `?route=` on the config API (validation, a secondary needs a primary, the primary cannot go
 * before its secondary, audit names the route), `…/effective` with both routes of one level, a primary
 * that stops answering in the middle of a burst (every message arrives once, across both servers, the
 * later ones through the secondary, and the delivery log and audit say which route carried each
 * attempt), a failing primary's next message going straight to the secondary, and a 550 recipient
 * that never fails over.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { getDataSourceToken } from '@nestjs/typeorm';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { parseMessage, startSmtpServer, TestSmtpServer, waitFor } from '../support/smtp';
import { createTenant, rootToken, setOverride, Tenant } from '../email-config/helpers';

const CONFIG = '/event/v1/email/config';
const MESSAGES = '/event/v1/email/messages';
const BURST = 40;
const PRIMARY_STOPS_AFTER = 15;

/**
 * A primary that accepts `stopAfter` messages and then stops answering, the way a crashed server
 * does: it stops listening (new connections are refused) and drops every open connection at its next
 * command or at the end of the message it is receiving, without a reply. A message is counted only
 * when its 250 was sent, so what it counts is exactly what its clients saw accepted.
 */
async function startDyingServer(stopAfter: number): Promise<{ port: number; subjects: string[]; close(): Promise<void> }> {
  const subjects: string[] = [];
  const sockets = new Map<number, net.Socket>();
  let down = false;
  const drop = (remotePort: number) => sockets.get(remotePort)?.destroy();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onMailFrom(_address, session, callback) {
      if (down) return drop(session.remotePort);
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (down) return drop(session.remotePort);
        subjects.push(parseMessage(Buffer.concat(chunks).toString('utf8')).subject);
        callback();
        if (subjects.length >= stopAfter) {
          down = true;
          server.server.close();
        }
      });
    },
  });
  server.on('error', () => undefined);
  server.server.on('connection', (socket: net.Socket) => {
    const port = socket.remotePort!;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port)),
  );
  return {
    port,
    subjects,
    close: async () => {
      for (const socket of sockets.values()) socket.destroy();
      if (server.server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A server that takes the whole message and then answers DATA with 451, as a stand-in for a reply
 * lost after the final dot: it has the message, its client believes it failed. Keeps the Message-IDs it saw.
 */
async function startLostReplyServer(): Promise<{ port: number; messageIds: string[]; close(): Promise<void> }> {
  const messageIds: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messageIds.push(parseMessage(Buffer.concat(chunks).toString('utf8')).headers.get('message-id')?.[0] ?? '');
        callback(Object.assign(new Error('4.4.2 Connection timed out (simulated)'), { responseCode: 451 }));
      });
    },
  });
  server.on('error', () => undefined);
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port)),
  );
  return { port, messageIds, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('secondary route and failover', () => {
  let t: TestApp;
  let db: DataSource;
  let root: string;
  let a: Tenant;
  let b: Tenant;
  let primary: Awaited<ReturnType<typeof startDyingServer>>;
  let secondary: TestSmtpServer;
  let refusingPrimary: TestSmtpServer;
  let quietSecondary: TestSmtpServer;
  let orgServer: TestSmtpServer;
  let controllerBackup: TestSmtpServer;
  let deadPort: number;
  let lostReply: Awaited<ReturnType<typeof startLostReplyServer>>;
  let lostReplySecondary: TestSmtpServer;

  const profile = (port: number, sender: string, retries = 2) => ({
    email_config: { smtp_config: { host: '127.0.0.1', port, use_tls: false, retries, sender_email: sender } },
  });
  const message = (id: string, token: string) => t.client.get(`${MESSAGES}/${id}`, token);

  beforeAll(async () => {
    primary = await startDyingServer(PRIMARY_STOPS_AFTER);
    secondary = await startSmtpServer();
    refusingPrimary = await startSmtpServer({ failures: { rcptToFor: { 'gone@customer.test': { code: 550 } } } });
    quietSecondary = await startSmtpServer();
    orgServer = await startSmtpServer();
    controllerBackup = await startSmtpServer();
    lostReply = await startLostReplyServer();
    lostReplySecondary = await startSmtpServer();
    // A port nothing listens on: the controller's primary refuses every connection.
    const probe = net.createServer();
    deadPort = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port)));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const ports = [
      primary.port,
      secondary.port,
      refusingPrimary.port,
      quietSecondary.port,
      orgServer.port,
      lostReply.port,
      lostReplySecondary.port,
    ];
    t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(deadPort),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_SECONDARY_PORT: String(controllerBackup.port),
        FW_EVENT_SMTP_SERVER_SECONDARY_USE_TLS: 'false',
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: ports.join(','),
        EMAIL_RETRY_BASE_MS: '40',
        EMAIL_POLL_INTERVAL_MS: '25',
        EMAIL_FAILOVER_AFTER_ATTEMPTS: '1',
      },
    });
    db = t.app.get<DataSource>(getDataSourceToken());
    root = await rootToken(t.client);
    a = await createTenant(t.client, root, 'failovera');
    b = await createTenant(t.client, root, 'failoverb');
  });
  afterAll(async () => {
    await t?.close();
    await primary?.close();
    await lostReply?.close();
    await lostReplySecondary?.close();
    for (const server of [secondary, refusingPrimary, quietSecondary, orgServer, controllerBackup]) await server?.close();
  });

  it('validates ?route=, refuses a secondary without a primary and a primary deleted before its secondary, and audits the route', async () => {
    const bad = await t.client.post(`${CONFIG}?route=tertiary`, profile(secondary.port, 'noreply@a.test'), a.partnerToken);
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'route', message: expect.stringMatching(/primary.*secondary/) })]),
    );
    expect((await t.client.get(`${CONFIG}?route=`, a.partnerToken)).status).toBe(400);

    const orphan = await t.client.post(`${CONFIG}?route=secondary`, profile(secondary.port, 'noreply@a.test'), a.partnerToken);
    expect(orphan.status).toBe(409);
    expect(orphan.body.code).toBe('PRIMARY_ROUTE_REQUIRED');
    expect((await t.client.get(`${CONFIG}?route=secondary`, a.partnerToken)).body.code).toBe('SMTP_PROFILE_NOT_FOUND');

    expect((await t.client.post(CONFIG, profile(primary.port, 'noreply@primary.a.test'), a.partnerToken)).status).toBe(201);
    const created = await t.client.post(
      `${CONFIG}?route=secondary`,
      profile(secondary.port, 'noreply@secondary.a.test', 3),
      a.partnerToken,
    );
    expect(created.status).toBe(201);
    expect(created.body.email_config.metadata).toMatchObject({ route: 'secondary', scope: 'partner', version: 1 });
    const read = await t.client.get(`${CONFIG}?route=secondary`, a.partnerToken);
    expect(read.body.email_config).toMatchObject({ smtp_config: { port: secondary.port, retries: 3 }, metadata: { route: 'secondary' } });
    expect((await t.client.get(CONFIG, a.partnerToken)).body.email_config.smtp_config.port).toBe(primary.port);
    const patched = await t.client.patch(`${CONFIG}?route=secondary`, { email_config: { smtp_config: { retries: 4 } } }, a.partnerToken);
    expect(patched.body.email_config).toMatchObject({ smtp_config: { retries: 4 }, metadata: { route: 'secondary', version: 2 } });

    const refused = await t.client.delete(CONFIG, a.partnerToken);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SECONDARY_ROUTE_EXISTS');
    expect((await t.client.get(CONFIG, a.partnerToken)).status).toBe(200);

    const events: { type: string; details: Record<string, unknown> }[] = await db.query(
      `SELECT type, details FROM audit_events WHERE partner_id = $1 AND type LIKE 'email.config.%' ORDER BY seq`,
      [a.partnerId],
    );
    expect(events.map((e) => [e.type, e.details.route, e.details.version])).toEqual([
      ['email.config.created', 'primary', 1],
      ['email.config.created', 'secondary', 1],
      ['email.config.updated', 'secondary', 2],
    ]);
  });

  it('shows the secondary of the level that supplies the primary in …/effective, never another level’s', async () => {
    const partnerView = (await t.client.get(`${CONFIG}/effective`, a.partnerToken)).body;
    expect(partnerView).toMatchObject({
      source: 'partner',
      email_config: { smtp_config: { port: primary.port } },
      secondary: {
        source: 'partner',
        profile: { partner_id: a.partnerId, org_id: null, version: 2 },
        sender: { email: 'noreply@secondary.a.test' },
        email_config: { smtp_config: { port: secondary.port, retries: 4, password_set: false } },
      },
    });
    expect((await t.client.get(`${CONFIG}/effective`, a.orgToken)).body).toMatchObject({
      source: 'partner',
      scope: { level: 'org', org_id: a.orgId },
      secondary: { source: 'partner', email_config: { smtp_config: { port: secondary.port } } },
    });

    // The org's own primary wins as a whole: the partner's secondary does not come along with it.
    await setOverride(t.client, a.partnerToken, a.orgId, true);
    expect((await t.client.post(`${CONFIG}?org_id=${a.orgId}`, profile(orgServer.port, 'noreply@org.a.test'), a.partnerToken)).status).toBe(
      201,
    );
    const orgView = (await t.client.get(`${CONFIG}/effective`, a.orgToken)).body;
    expect(orgView).toMatchObject({ source: 'org', email_config: { smtp_config: { port: orgServer.port } }, secondary: null });
    // The org's own secondary comes with the org's primary.
    const orgSecondary = await t.client.post(
      `${CONFIG}?org_id=${a.orgId}&route=secondary`,
      profile(orgServer.port, 'noreply@backup.org.a.test', 1),
      a.partnerToken,
    );
    expect(orgSecondary.status).toBe(201);
    expect(orgSecondary.body.email_config.metadata).toMatchObject({ scope: 'org', route: 'secondary', org_id: a.orgId });
    expect((await t.client.get(`${CONFIG}/effective`, a.orgToken)).body.secondary).toMatchObject({
      source: 'org',
      profile: { org_id: a.orgId },
      sender: { email: 'noreply@backup.org.a.test' },
    });
    await setOverride(t.client, a.partnerToken, a.orgId, false);
    expect((await t.client.get(`${CONFIG}/effective`, a.orgToken)).body.secondary).toMatchObject({ source: 'partner' });
  });

  it('hands the rest of a burst to the secondary when the primary stops answering: each message arrives once', async () => {
    const ids: string[] = [];
    for (let n = 0; n < BURST; n++) {
      const sent = await t.client.post(
        MESSAGES,
        { partner_id: a.partnerId, to: [`burst${n}@customer.test`], subject: `burst ${n}`, text: 'hello' },
        a.partnerToken,
      );
      expect(sent.status).toBe(202);
      ids.push(sent.body.id);
    }
    await waitFor(
      async () => {
        const rows: { n: number }[] = await db.query(
          `SELECT count(*)::int AS n FROM email_messages WHERE id = ANY($1::uuid[]) AND status = 'sent'`,
          [ids],
        );
        return rows[0]!.n === BURST;
      },
      30_000,
      'every message of the burst sent',
    );

    // Exactly once across both servers, the primary's share first.
    const viaSecondary = secondary.messages.map((m) => m.subject);
    const all = [...primary.subjects, ...viaSecondary].sort();
    expect(all).toEqual(Array.from({ length: BURST }, (_, n) => `burst ${n}`).sort());
    expect(primary.subjects).toHaveLength(PRIMARY_STOPS_AFTER);
    expect(viaSecondary).toHaveLength(BURST - PRIMARY_STOPS_AFTER);

    // The delivery log says which route carried each attempt, and the final one matches the server that got it.
    const logs = await Promise.all(ids.map(async (id) => (await message(id, a.partnerToken)).body));
    for (const log of logs) {
      const last = log.attempts[log.attempts.length - 1];
      expect(last).toMatchObject({ outcome: 'sent', route: { level: 'partner', host: '127.0.0.1' } });
      const carriedBySecondary = viaSecondary.includes(log.subject);
      expect(last.route.name).toBe(carriedBySecondary ? 'secondary' : 'primary');
      expect(last.route.profile_version).toBe(carriedBySecondary ? '2' : '1');
      for (const earlier of log.attempts.slice(0, -1)) expect(earlier).toMatchObject({ outcome: 'retrying', route: { name: 'primary' } });
    }
    const handedOver = logs.filter((log) => log.attempts.length > 1);
    expect(handedOver.length).toBeGreaterThan(0);

    const events: { type: string; details: Record<string, unknown> }[] = await db.query(
      `SELECT type, details FROM audit_events WHERE details->>'message_id' = ANY($1::text[]) AND type IN ('email.sent', 'email.retrying') ORDER BY seq`,
      [ids],
    );
    expect(events.filter((e) => e.type === 'email.sent')).toHaveLength(BURST);
    expect(events.filter((e) => e.type === 'email.sent' && e.details.route === 'secondary')).toHaveLength(BURST - PRIMARY_STOPS_AFTER);
    const handovers = events.filter((e) => e.type === 'email.retrying');
    expect(handovers.length).toBe(handedOver.length);
    for (const e of handovers)
      expect(e.details).toMatchObject({ route: 'primary', next_route: 'secondary', source: 'partner', profile_version: '1' });

    // The primary is failing now: the next message goes straight to the secondary, at its first attempt.
    const next = await t.client.post(
      MESSAGES,
      { partner_id: a.partnerId, to: ['after@customer.test'], subject: 'after the burst', text: 'hi' },
      a.partnerToken,
    );
    await waitFor(async () => (await message(next.body.id, a.partnerToken)).body.status === 'sent', 10_000, 'the message after the burst');
    expect((await message(next.body.id, a.partnerToken)).body.attempts).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'sent', route: expect.objectContaining({ name: 'secondary' }) }),
    ]);
    expect(secondary.messages.map((m) => m.subject)).toContain('after the burst');

    // Each route has its own health: the primary's last failure is the route's, the secondary has worked.
    const primaryHealth = (await t.client.get(CONFIG, a.partnerToken)).body.email_config.health;
    expect(primaryHealth.last_failure).toMatchObject({ stage: 'CONNECT' });
    const secondaryHealth = (await t.client.get(`${CONFIG}?route=secondary`, a.partnerToken)).body.email_config.health;
    expect(secondaryHealth).toMatchObject({ last_success_at: expect.any(String), last_failure_at: null });

    const metrics = (await t.client.get('/metrics')).text;
    const failovers = (reason: string) =>
      Number(new RegExp(`mailstrata_email_failovers_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(failovers('attempt_failed')).toBe(handedOver.length);
    expect(failovers('primary_failing')).toBe(BURST - PRIMARY_STOPS_AFTER - handedOver.length + 1);
  });

  it('never fails a 550 recipient over: the secondary receives nothing for it', async () => {
    expect((await t.client.post(CONFIG, profile(refusingPrimary.port, 'noreply@b.test'), b.partnerToken)).status).toBe(201);
    expect((await t.client.post(`${CONFIG}?route=secondary`, profile(quietSecondary.port, 'noreply@b.test'), b.partnerToken)).status).toBe(
      201,
    );
    const sent = await t.client.post(
      MESSAGES,
      { partner_id: b.partnerId, to: ['gone@customer.test'], subject: 'refused', text: 'x' },
      b.partnerToken,
    );
    expect(sent.status).toBe(202);
    await waitFor(async () => (await message(sent.body.id, b.partnerToken)).body.status === 'failed', 10_000, 'the refused message');
    const log = (await message(sent.body.id, b.partnerToken)).body;
    expect(log.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'failed',
        stage: 'RCPT_TO',
        smtp_code: 550,
        route: expect.objectContaining({ name: 'primary' }),
      }),
    ]);
    // A deliverable message of the same scope still goes by the primary: a refused recipient says nothing about the route.
    const fine = await t.client.post(
      MESSAGES,
      { partner_id: b.partnerId, to: ['here@customer.test'], subject: 'fine', text: 'x' },
      b.partnerToken,
    );
    await waitFor(async () => (await message(fine.body.id, b.partnerToken)).body.status === 'sent', 10_000, 'the deliverable message');
    expect((await refusingPrimary.waitForMessages(1)).map((m) => m.subject)).toEqual(['fine']);
    expect(quietSecondary.connections).toBe(0);
    expect(quietSecondary.received).toBe(0);
  });

  it('fails the controller’s route over to FW_EVENT_SMTP_SERVER_SECONDARY_* for a scope with no profile of its own', async () => {
    const c = await createTenant(t.client, root, 'failoverc');
    expect((await t.client.get(`${CONFIG}/effective`, c.partnerToken)).body).toMatchObject({
      source: 'controller',
      email_config: { smtp_config: { port: deadPort } },
      secondary: { source: 'controller', profile: null, email_config: { smtp_config: { port: controllerBackup.port } } },
    });
    const sent = await t.client.post(
      MESSAGES,
      { partner_id: c.partnerId, to: ['ctl@customer.test'], subject: 'via controller', text: 'x' },
      c.partnerToken,
    );
    await waitFor(
      async () => (await message(sent.body.id, c.partnerToken)).body.status === 'sent',
      10_000,
      'the controller-routed message',
    );
    const attempts = (await message(sent.body.id, c.partnerToken)).body.attempts;
    expect(attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'retrying',
        stage: 'CONNECT',
        route: { name: 'primary', level: 'controller', host: '127.0.0.1', profile_version: 'env' },
      }),
      expect.objectContaining({
        attempt: 2,
        outcome: 'sent',
        route: { name: 'secondary', level: 'controller', host: '127.0.0.1', profile_version: 'env' },
      }),
    ]);
    expect((await controllerBackup.waitForMessages(1)).map((m) => m.subject)).toEqual(['via controller']);
  });

  it('sends every attempt of a job under one Message-ID, so a copy after a lost reply to DATA is recognisably the same', async () => {
    const d = await createTenant(t.client, root, 'failoverd');
    expect((await t.client.post(CONFIG, profile(lostReply.port, 'noreply@d.test'), d.partnerToken)).status).toBe(201);
    expect(
      (await t.client.post(`${CONFIG}?route=secondary`, profile(lostReplySecondary.port, 'noreply@backup.d.test'), d.partnerToken)).status,
    ).toBe(201);
    const sent = await t.client.post(
      MESSAGES,
      { partner_id: d.partnerId, to: ['twice@customer.test'], subject: 'lost reply', text: 'x' },
      d.partnerToken,
    );
    await waitFor(
      async () => (await message(sent.body.id, d.partnerToken)).body.status === 'sent',
      10_000,
      'the message after a lost reply',
    );
    const log = (await message(sent.body.id, d.partnerToken)).body;
    expect(log.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'retrying',
        stage: 'DATA',
        smtp_code: 451,
        route: expect.objectContaining({ name: 'primary' }),
      }),
      expect.objectContaining({ attempt: 2, outcome: 'sent', route: expect.objectContaining({ name: 'secondary' }) }),
    ]);
    // The residual risk, made visible: both servers hold the message, under the same Message-ID.
    const [copy] = await lostReplySecondary.waitForMessages(1);
    expect(lostReply.messageIds).toHaveLength(1);
    expect(lostReply.messageIds[0]).toMatch(/^<[0-9a-f-]{36}@d\.test>$/);
    expect(copy!.headers.get('message-id')).toEqual(lostReply.messageIds);
    expect(log.message_id).toBe(lostReply.messageIds[0]);
  });

  it('tests the secondary route on its own (?route=secondary), and lists its versions apart from the primary’s', async () => {
    const e = await createTenant(t.client, root, 'failovere');
    expect((await t.client.post(CONFIG, profile(quietSecondary.port, 'noreply@e.test'), e.partnerToken)).status).toBe(201);
    const test = (route: string) =>
      t.client.post(
        `${CONFIG}/verification${route}`,
        { recipient_email: 'ops@customer.test', subject: `route test${route}`, body: 'Hello.' },
        e.partnerToken,
      );
    // No secondary yet: nothing to test, and nothing sent anywhere.
    const none = await test('?route=secondary');
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('SMTP_PROFILE_NOT_FOUND');

    expect(
      (await t.client.post(`${CONFIG}?route=secondary`, profile(orgServer.port, 'noreply@backup.e.test'), e.partnerToken)).status,
    ).toBe(201);
    const before = orgServer.messages.length;
    const viaSecondary = await test('?route=secondary');
    expect(viaSecondary.status).toBe(200);
    expect(viaSecondary.body).toMatchObject({ port: orgServer.port });
    const received = await waitFor(
      () => orgServer.messages.slice(before).find((m) => m.subject === 'route test?route=secondary'),
      5_000,
      'the test email on the secondary',
    );
    expect(received.envelopeFrom).toBe('noreply@backup.e.test');
    expect(quietSecondary.messages.some((m) => m.subject === 'route test?route=secondary')).toBe(false);

    const versions = await t.client.get(`${CONFIG}/versions?route=secondary`, e.partnerToken);
    expect(versions.status).toBe(200);
    expect(versions.body.versions.map((v: { route: string; version: number }) => [v.route, v.version])).toEqual([['secondary', 1]]);
    const primaryVersions = await t.client.get(`${CONFIG}/versions`, e.partnerToken);
    expect(primaryVersions.body.versions.map((v: { route: string; host: string; port: number }) => [v.route, v.port])).toEqual([
      ['primary', quietSecondary.port],
    ]);
  });
});
