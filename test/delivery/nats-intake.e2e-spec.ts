/**
 * Email events over NATS JetStream, end to end: a real nats-server (127.0.0.1:4222, JetStream on), the
 * worker deployment as a real child process, a real Postgres and a real SMTP server.
 *
 * 1,000 events: valid ones (for an org and for a partner; literal content, or the `generic` template with
 * data and a reply-to), copies of valid ones (the same event id two or three times), and refused ones (not
 * JSON, failing validation, an unknown organization, a template whose data lacks a required variable). The worker is killed with SIGKILL mid-stream and a second one started.
 * Exactly one email per valid event id reaches the server; every refused event is on the dead-letter
 * subject with its reason and has an `email.event.rejected` audit event; nothing blocks the stream.
 *
 * The SMTP server holds its answers until the first worker is dead, so no email the killed worker sent
 * was acknowledged: the count at the server measures the intake alone, not SMTP's own at-least-once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { createTestDatabase, TestDatabase } from '../support/database';
import { SlowSmtpServer, startSlowSmtpServer } from '../support/slow-smtp';
import { startTestApp, TestApp, testEnv } from '../support/app';
import { waitFor } from '../support/wait';
import { WorkerProcesses, workerDeploymentEnv } from '../deploy/support/workers';
import { NatsTestBus, openNatsTestBus } from '../support/nats';

const VALID = 700;
const DUPLICATES = 200;
const REFUSED_PER_KIND = 25;
const REFUSED_KINDS = ['MALFORMED_EVENT', 'VALIDATION_FAILED', 'SCOPE_NOT_FOUND', 'TEMPLATE_DATA_INVALID'] as const;
const TOTAL = VALID + DUPLICATES + REFUSED_PER_KIND * REFUSED_KINDS.length;

/** A small deterministic shuffle (mulberry32), so a failing order can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed;
  const rnd = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('NATS JetStream email intake (worker child process, kill -9 mid-stream)', () => {
  let db: TestDatabase;
  let smtp: SlowSmtpServer;
  let api: TestApp;
  let bus: NatsTestBus;
  let env: Record<string, string>;
  const workers = new WorkerProcesses();

  beforeAll(async () => {
    bus = await openNatsTestBus('intake');
    db = await createTestDatabase();
    smtp = await startSlowSmtpServer(0, { held: true });
    env = testEnv(db.url, {
      FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
      FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
      FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.test',
      SECRETS_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      EMAIL_JOB_LEASE_MS: '2000',
      EVENTS_NATS_ACK_WAIT_MS: '2000',
      // One event at a time, so the stream is still flowing when the worker is killed.
      EVENTS_NATS_CONCURRENCY: '1',
      ...workerDeploymentEnv(15_000),
    });
    // The API (no worker in it, no intake) migrates the database; the workers get the intake's variables.
    api = await startTestApp({ db, env });
  });

  afterAll(async () => {
    smtp?.release();
    await workers.killLeftovers();
    await api?.close();
    await smtp?.close();
    await bus?.close();
    await db?.drop();
  });

  it('queues exactly one email per valid event id, dead-letters and audits the refused ones, across a SIGKILL', async () => {
    const [partner] = await db.query<{ id: string }>(`INSERT INTO partners (name) VALUES ('Intake partner') RETURNING id`);
    const [org] = await db.query<{ id: string }>(`INSERT INTO organizations (partner_id, name) VALUES ($1, 'Intake org') RETURNING id`, [
      partner!.id,
    ]);

    type Planned = { body: Buffer; eventId: string | null; refused?: (typeof REFUSED_KINDS)[number] };
    const valid: Planned[] = Array.from({ length: VALID }, (_, i) => {
      const eventId = i % 2 === 0 ? randomUUID() : `billing-invoice-${i}-${randomBytes(3).toString('hex')}`;
      const scope = i % 3 === 0 ? { partner_id: partner!.id } : { org_id: org!.id };
      // Every fourth one through the generic template (its subject is the template's rendering of data.subject).
      const content =
        i % 4 === 1
          ? { template: 'generic', data: { subject: `evt ${eventId}`, text: `hello ${i}` }, reply_to: 'billing@platform.test' }
          : { subject: `evt ${eventId}`, text: `hello ${i}` };
      const event = { event_id: eventId, producer: 'billing', ...scope, to: [`user${i}@customer.test`], ...content };
      return { body: Buffer.from(JSON.stringify(event)), eventId };
    });
    const copies = Array.from({ length: DUPLICATES }, (_, i) => valid[(i * 7) % 150]!);
    const refused: Planned[] = [];
    for (let i = 0; i < REFUSED_PER_KIND; i += 1) {
      refused.push({ body: Buffer.from(`{"event_id": "broken-${i}", "to": [`), eventId: null, refused: 'MALFORMED_EVENT' });
      const badId = `bad-${i}-${randomUUID()}`;
      refused.push({
        body: Buffer.from(
          JSON.stringify({
            event_id: badId,
            producer: 'billing',
            org_id: org!.id,
            to: ['not-an-address'],
            subject: 'x\r\nBcc: a@b.c',
            text: 't',
          }),
        ),
        eventId: badId,
        refused: 'VALIDATION_FAILED',
      });
      const unknownId = `unknown-${i}-${randomUUID()}`;
      refused.push({
        body: Buffer.from(
          JSON.stringify({
            event_id: unknownId,
            producer: 'alerting',
            org_id: randomUUID(),
            to: ['a@customer.test'],
            subject: 's',
            text: 't',
          }),
        ),
        eventId: unknownId,
        refused: 'SCOPE_NOT_FOUND',
      });
      const templateId = `template-${i}-${randomUUID()}`;
      refused.push({
        body: Buffer.from(
          JSON.stringify({
            event_id: templateId,
            producer: 'accounts',
            partner_id: partner!.id,
            to: ['a@customer.test'],
            template: 'password_reset',
            data: { email: 'a@customer.test', expires_in_minutes: 30 }, // no link
          }),
        ),
        eventId: templateId,
        refused: 'TEMPLATE_DATA_INVALID',
      });
    }
    const all = shuffled([...valid, ...copies, ...refused], 12);
    expect(all).toHaveLength(TOTAL);
    for (let i = 0; i < all.length; i += 100) {
      await Promise.all(
        all.slice(i, i + 100).map((p, j) => {
          const h = natsHeaders();
          h.set('X-Trace-Id', `trace-${i + j}`);
          return bus.js.publish(bus.subject, p.body, { headers: h });
        }),
      );
    }

    const countSeen = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_events_seen`))[0]!.n;
    const first = await workers.start({ ...env, ...bus.env });
    await waitFor(async () => ((await countSeen()) >= 100 ? true : undefined), 60_000, 'the first worker to take in 100 events');
    first.child.kill('SIGKILL');
    await first.exited;
    const seenAtKill = await countSeen();
    expect(seenAtKill).toBeLessThan(VALID); // killed mid-stream
    expect(smtp.accepted.size).toBe(0); // nothing acknowledged to the dead worker

    const second = await workers.start({ ...env, ...bus.env });
    smtp.release();
    const expectedSubjects = valid.map((p) => `evt ${p.eventId}`).sort();
    await waitFor(() => (smtp.accepted.size >= VALID ? true : undefined), 120_000, `${VALID} emails at the SMTP server`);
    const [{ n: sent }] = await waitFor(
      async () => {
        const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE status = 'sent'`);
        return rows[0]!.n === VALID ? rows : undefined;
      },
      60_000,
      'every job booked sent',
    );
    expect(sent).toBe(VALID);

    // Exactly one email per valid event id.
    expect([...smtp.accepted.keys()].sort()).toEqual(expectedSubjects);
    expect([...smtp.accepted.values()].every((n) => n === 1)).toBe(true);
    expect(await countSeen()).toBe(VALID);
    const [{ n: jobs }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs`);
    expect(jobs).toBe(VALID);
    const templated = await db.query<{ template: string; reply_to: string | null; producer_type: string; n: number }>(
      `SELECT template, reply_to, producer_type, count(*)::int AS n FROM email_messages GROUP BY 1, 2, 3 ORDER BY 1, 2`,
    );
    expect(templated).toEqual([
      { template: 'generic', reply_to: 'billing@platform.test', producer_type: 'nats', n: valid.filter((_, i) => i % 4 === 1).length },
      { template: 'generic', reply_to: null, producer_type: 'nats', n: VALID - valid.filter((_, i) => i % 4 === 1).length },
    ]);

    // Every refused event is on the dead-letter subject with its reason and original headers, and audited.
    const refusedTotal = REFUSED_PER_KIND * REFUSED_KINDS.length;
    const letters = await waitFor(
      async () => {
        const l = await bus.deadLetters();
        return l.length >= refusedTotal ? l : undefined;
      },
      60_000,
      'every dead letter',
    );
    expect(letters).toHaveLength(refusedTotal);
    const byCode = (code: string) => letters.filter((l) => l.reason.code === code);
    for (const kind of REFUSED_KINDS) expect(byCode(kind)).toHaveLength(REFUSED_PER_KIND);
    for (const l of letters) {
      expect(l.headers['Mailstrata-Reject-Code']).toBe(l.reason.code);
      expect(l.headers['X-Trace-Id']).toMatch(/^trace-\d+$/);
      expect(l.reason.original).toMatchObject({ stream: bus.stream, subject: bus.subject });
      expect(JSON.stringify(l)).not.toContain('hello'); // never a body
    }
    const validation = byCode('VALIDATION_FAILED')[0]!;
    expect(validation.reason.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'to', rule: 'isEmail' }),
        expect.objectContaining({ field: 'subject', rule: 'matches' }),
      ]),
    );
    expect(byCode('TEMPLATE_DATA_INVALID')[0]!.reason.errors).toEqual([expect.objectContaining({ field: 'data.link' })]);
    expect(new Set(byCode('SCOPE_NOT_FOUND').map((l) => l.reason.event_id))).toEqual(
      new Set(refused.filter((r) => r.refused === 'SCOPE_NOT_FOUND').map((r) => r.eventId)),
    );

    const audit = await db.query<{ reason: string; n: number }>(
      `SELECT details->>'reason_code' AS reason, count(DISTINCT resource_id)::int AS n FROM audit_events WHERE type = 'email.event.rejected' GROUP BY 1 ORDER BY 1`,
    );
    expect(audit).toEqual([...REFUSED_KINDS].sort().map((reason) => ({ reason, n: REFUSED_PER_KIND })));
    const [{ n: bodiesInAudit }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'email.event.rejected' AND details::text LIKE '%hello%'`,
    );
    expect(bodiesInAudit).toBe(0);

    // The consumer is drained: nothing pending, nothing waiting for an ack.
    const consumer = await waitFor(
      async () => {
        const info = await bus.jsm.consumers.info(bus.stream, bus.consumer);
        return info.num_pending === 0 && info.num_ack_pending === 0 ? info : undefined;
      },
      30_000,
      'the consumer to be drained',
    );
    expect(consumer.num_pending).toBe(0);

    // The surviving worker is ready (connected to NATS) and counts its outcomes.
    const port = Number((await second.waitFor(/ops listener on :(\d+)/))[1]);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/mailstrata_nats_events_total\{outcome="duplicate"\} [1-9]/);
    expect(metrics).toMatch(/mailstrata_nats_events_total\{outcome="rejected"\} [1-9]/);
    process.stdout.write(`nats-intake: ${JSON.stringify({ total: TOTAL, seenAtKill, valid: VALID, deadLetters: letters.length })}\n`);
  });

  it('renders a template event through the tenant’s templates, like the send API (the surviving worker)', async () => {
    const [org] = await db.query<{ id: string }>(`SELECT id FROM organizations WHERE name = 'Intake org'`);
    const marker = randomBytes(4).toString('hex');
    const eventId = `reset-${marker}`;
    const event = {
      event_id: eventId,
      producer: 'accounts',
      org_id: org!.id,
      to: ['someone@customer.test'],
      reply_to: 'support@platform.test',
      template: 'password_reset',
      data: {
        link: `https://console.test/auth/v1/password-reset#token=${marker}`,
        expires_in_minutes: 30,
        email: 'someone@customer.test',
        org_name: `Acme ${marker}`,
      },
    };
    await bus.js.publish(bus.subject, JSON.stringify(event));
    // The subject is the built-in password_reset template's, with the event's data in it.
    const subject = `Reset your password for Acme ${marker}`;
    await waitFor(() => (smtp.accepted.get(subject) === 1 ? true : undefined), 30_000, 'the rendered password_reset email');
    const [message] = await db.query<{ id: string; template: string; reply_to: string; subject: string; status: string }>(
      `SELECT m.id, m.template, m.reply_to, m.subject, m.status FROM email_messages m
       JOIN email_events_seen e ON m.id = ANY (e.message_ids) WHERE e.event_id = $1`,
      [eventId],
    );
    expect(message).toMatchObject({ template: 'password_reset', reply_to: 'support@platform.test', subject });
  });
});
