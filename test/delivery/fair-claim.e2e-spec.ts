/**
 * The claim statement's order on a small queue, with no worker running (WORKER_IN_PROCESS=false): jobs
 * enqueued through the product's outbox for two partners and the platform, claimed by the repository
 * directly. Each tenant's first job goes before any tenant's second; what the shares leave is filled in
 * due order; and a job whose lease ran out comes first.
 */
import { EmailOutbox } from '@mailstrata/delivery';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { auditRow } from '@mailstrata/audit';
import { EmailSent } from '../../libs/delivery/src/email-delivery.events';
import { EmailJobRepository } from '../../libs/delivery/src/email-job.repository';
import { startTestApp, TestApp } from '../support/app';
import { waitFor } from '../support/wait';
import { createTenant, rootToken } from '../email-config/helpers';

describe('fair claim order', () => {
  let t: TestApp;
  let outbox: EmailOutbox;
  let jobs: EmailJobRepository;
  let dataSource: DataSource;
  let a: string;
  let b: string;

  beforeAll(async () => {
    // A controller route lets the send API admit messages; nothing is delivered (no worker runs).
    t = await startTestApp({
      env: {
        WORKER_IN_PROCESS: 'false',
        FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.test',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
      },
    });
    outbox = t.app.get(EmailOutbox);
    dataSource = t.app.get<DataSource>(getDataSourceToken());
    // The worker's own repository class on the app's connection (the worker is not running here).
    jobs = new EmailJobRepository(dataSource);
    const root = await rootToken(t.client);
    a = (await createTenant(t.client, root, 'fair-a')).partnerId;
    b = (await createTenant(t.client, root, 'fair-b')).partnerId;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** One transaction per job, in this order, so each has its own due time. */
  const enqueue = async (list: [partnerId: string | null, subject: string][]) => {
    for (const [partnerId, subject] of list) {
      await dataSource.transaction((m) =>
        outbox.enqueue(m, { scope: { partnerId, orgId: null }, kind: 'fairness_test', to: 'user@customer.test', subject, text: 'hi' }),
      );
    }
  };
  const subjects = async (workerId: string, batch: number, leaseMs = 60_000) =>
    (await jobs.claim(workerId, batch, leaseMs)).map((j) => j.subject);

  it('takes each tenant’s next job before any tenant’s second, fills the rest in due order, and reclaims expired leases first', async () => {
    await enqueue([
      [a, 'a1'],
      [a, 'a2'],
      [a, 'a3'],
      [a, 'a4'],
      [a, 'a5'],
      [a, 'a6'],
      [b, 'b1'],
      [b, 'b2'],
      [null, 'p1'],
    ]);

    // Three tenants, batch 4: a1, b1, p1 (each tenant's first, oldest tenant first), then a2 (oldest second).
    expect(await subjects('w1', 4)).toEqual(['a1', 'b1', 'p1', 'a2']);
    // A and B left; shares of 2: a3, b2, then a4; the fourth comes from what is left in due order.
    expect(await subjects('w1', 4)).toEqual(['a3', 'b2', 'a4', 'a5']);

    // A lease that runs out: its job is claimed again before anything that is merely due.
    expect(await subjects('w2', 1, 1)).toEqual(['a6']);
    await enqueue([[b, 'b3']]);
    const reclaimed = await waitFor(async () => {
      const [row] = await t.db.query<{ expired: boolean }>(
        `SELECT locked_until < now() AS expired FROM email_jobs WHERE subject = 'a6' AND status = 'sending'`,
      );
      return row?.expired ? subjects('w3', 2) : undefined;
    });
    expect(reclaimed).toEqual(['a6', 'b3']);
    expect(await subjects('w3', 4)).toEqual([]);

    const [a6] = await t.db.query<{ attempts: number; locked_by: string }>(
      `SELECT attempts, locked_by FROM email_jobs WHERE subject = 'a6'`,
    );
    expect(a6).toEqual({ attempts: 2, locked_by: 'w3' });
  });

  it('renews leases without waiting on a job that is being booked, so a renewal and a booking never deadlock', async () => {
    await enqueue([
      [null, 'r1'],
      [null, 'r2'],
    ]);
    const claimed = (await jobs.claim('w-renew', 2, 60_000)).map((j) => j.id);
    expect(claimed).toHaveLength(2);
    // A booking holds one job, then takes the other. A renewal that waited on the held one (while
    // holding the other, as its plan may have it) would deadlock with the booking; one that never waits
    // renews the free job before the booking takes it, and answers that it still holds just that one.
    const [first, second] = claimed as [string, string];
    const booking = new Client({ connectionString: t.db.url });
    await booking.connect();
    try {
      await booking.query('BEGIN');
      await booking.query(`UPDATE email_jobs SET status = 'sent', finished_at = now() WHERE id = $1`, [second]);

      let renewed: string[] | undefined;
      const renewal = jobs.renew('w-renew', claimed, 60_000).then((ids) => (renewed = ids));
      // Either the renewal is done, or it waits on the booked row.
      await waitFor(async () => {
        if (renewed) return true;
        const [row] = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return row!.n > 0;
      });
      await booking.query(`UPDATE email_jobs SET status = 'sent', finished_at = now() WHERE id = $1`, [first]);
      await booking.query('COMMIT');

      expect(await renewal).toEqual([first]);
    } finally {
      await booking.end();
    }
  });

  it('books a worker’s jobs of two messages exactly once when Postgres aborts the booking as a deadlock', async () => {
    const root = await rootToken(t.client);
    // Two messages of two recipients each; this worker holds one job of each (another worker would hold the rest).
    const messages: string[] = [];
    for (const subject of ['deadlock-1', 'deadlock-2']) {
      const res = await t.client.post(
        '/event/v1/email/messages',
        { partner_id: b, to: ['one@customer.test', 'two@customer.test'], subject, text: 'hi' },
        root,
      );
      expect(res.status).toBe(202);
      messages.push(res.body.id as string);
    }
    const [low, high] = [...messages].sort() as [string, string];
    const held = await t.db.query<{ id: string; email_message_id: string; recipient: string }>(
      `UPDATE email_jobs SET status = 'sending', locked_by = 'w-book', locked_until = now() + interval '1 minute', attempts = 1
       WHERE id IN (SELECT DISTINCT ON (email_message_id) id FROM email_jobs WHERE email_message_id = ANY($1::uuid[]) ORDER BY email_message_id, recipient)
       RETURNING id, email_message_id, recipient`,
      [messages],
    );
    expect(held).toHaveLength(2);

    // Another transaction holds the later message; the booking takes the earlier one and waits for it.
    // That transaction then asks for the earlier message: a cycle, and Postgres aborts the booking,
    // which waited first. Run again, the booking must still book both jobs, once.
    const other = new Client({ connectionString: t.db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM email_messages WHERE id = $1 FOR NO KEY UPDATE', [high]);
      const booking = jobs.bookSent(
        'w-book',
        held.map((job) => ({
          jobId: job.id,
          messageId: `<${job.id}@bench.test>`,
          source: 'controller',
          route: 'primary' as const,
          smtpCode: 250,
          attempt: 1,
          host: '127.0.0.1',
          version: 'env',
          reply: '250 OK',
          event: auditRow(EmailSent, {
            outcome: 'success',
            actor: null,
            partnerId: b,
            orgId: null,
            resource: { type: 'email_job', id: job.id },
            details: { job_id: job.id, recipient: job.recipient, attempt: 1 },
          }),
        })),
      );
      await waitFor(async () => {
        const [row] = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return row!.n > 0;
      });
      const otherLow = other.query('SELECT 1 FROM email_messages WHERE id = $1 FOR NO KEY UPDATE', [low]);
      await otherLow;
      await other.query('COMMIT');
      await booking;
    } finally {
      await other.end();
    }

    const jobsAfter = await t.db.query<{ status: string; locked_by: string | null }>(
      `SELECT status, locked_by FROM email_jobs WHERE id = ANY($1::uuid[])`,
      [held.map((job) => job.id)],
    );
    expect(jobsAfter).toEqual([
      { status: 'sent', locked_by: null },
      { status: 'sent', locked_by: null },
    ]);
    const counts = await t.db.query<{ id: string; recipients_sent: number }>(
      `SELECT id, recipients_sent FROM email_messages WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [messages],
    );
    expect(counts).toEqual([
      { id: low, recipients_sent: 1 },
      { id: high, recipients_sent: 1 },
    ]);
    const [events] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'email.sent' AND resource_id = ANY($1::text[])`,
      [held.map((job) => job.id)],
    );
    expect(events!.n).toBe(2);
  });
});
