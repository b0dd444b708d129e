/**
 * Job leases with two replicas (two apps, each with its in-process worker, on one database) and a real SMTP
 * server that takes longer to accept a message than a lease lasts. The worker sending it renews the lease
 * while it lives, so the other replica never reclaims the job: the message reaches the server once.
 */
import { randomBytes } from 'node:crypto';
import { EMAIL_DELIVERY_OPTIONS, EmailOutbox } from '@mailstrata/delivery';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { SlowSmtpServer, startSlowSmtpServer } from '../support/slow-smtp';
import { waitFor } from '../support/wait';

const LEASE_MS = 1_000;
/** Well over two leases: without renewal the other replica reclaims the job and sends it again meanwhile. */
const ACK_DELAY_MS = 3_500;

describe('job leases: a send slower than the lease', () => {
  let db: TestDatabase;
  let smtp: SlowSmtpServer;
  const apps: TestApp[] = [];

  const replica = async () => {
    const app = await startTestApp({
      db,
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.test',
        SECRETS_ENCRYPTION_KEYS: keys,
      },
      overrides: [{ provide: EMAIL_DELIVERY_OPTIONS, useValue: { leaseMs: LEASE_MS, pollIntervalMs: 50 } }],
    });
    apps.push(app);
    return app;
  };
  const keys = `k1:${randomBytes(32).toString('base64')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSlowSmtpServer(ACK_DELAY_MS);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await smtp?.close();
    await db?.drop();
  });

  it('is renewed by its live worker and reaches the server once, while another replica polls', async () => {
    const first = await replica();
    const dataSource = first.app.get<DataSource>(getDataSourceToken());
    const jobId = await dataSource.transaction((m) =>
      first.app.get(EmailOutbox).enqueue(m, {
        scope: { partnerId: null, orgId: null },
        kind: 'lease_test',
        to: 'user@customer.test',
        subject: 'slow one',
        text: 'takes a while',
      }),
    );
    // The first replica has it on the wire; the second starts polling for due and expired jobs.
    await waitFor(() => (smtp.inFlight() === 1 ? true : undefined), 10_000, 'the message on the wire');
    await replica();

    const row = await waitFor(
      async () => {
        const [j] = await db.query<{ status: string; attempts: number; locked_by: string | null }>(
          'SELECT status, attempts, locked_by FROM email_jobs WHERE id = $1',
          [jobId],
        );
        return j?.status === 'sent' ? j : undefined;
      },
      20_000,
      'the job booked as sent',
    );
    expect(row).toMatchObject({ status: 'sent', attempts: 1, locked_by: null });
    expect(smtp.dataReceived()).toBe(1);
    expect(smtp.inFlight()).toBe(0);
    expect([...smtp.accepted.entries()]).toEqual([['slow one', 1]]);
    const [sent] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'email.sent'`);
    expect(sent.n).toBe(1);
  });
});
