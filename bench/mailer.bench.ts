/**
 * Delivery section, all to one local SMTP sink (smtp-server, plain, not recording) in the same run:
 *  - raw pooled nodemailer: the ceiling;
 *  - the mailer's direct send through its cached pooled transport for a profile, with the egress guard
 *    checked on every send (goal ≥ 0.9 of raw);
 *  - the durable queue path in the real app: enqueue in transactions (job row + email.queued) and
 *    delivery by the in-process worker (claim, resolve the profile, send, job update + email.sent), timed
 *    from the first enqueue to the last job finished (goal ≥ 0.5 of raw).
 */
import { join } from 'node:path';
import { getDataSourceToken } from '@nestjs/typeorm';
import { loadConfig } from '@mailstrata/config';
import { startEmbeddedPostgres } from '@mailstrata/database';
import { EgressPolicy, EmailOutbox, Mailer, OAuth2TokenClient, SmtpTarget } from '@mailstrata/mailer';
import nodemailer from 'nodemailer';
import { DataSource } from 'typeorm';
import { createApp } from '../apps/event-framework/src/bootstrap';
import { testEnv } from '../test/support/app';
import { createTestDatabase } from '../test/support/database';
import { startSmtpServer, TestSmtpServer } from '../test/support/smtp';
import { BenchSection, Row } from './harness';

const MESSAGES = 4000;
const QUEUE_MESSAGES = 4000;
const CONCURRENCY = 64;
const POOL = 5;
const ROUNDS = 3;

const message = (i: number) => ({
  to: `user${i}@customer.bench`,
  subject: `Bench message ${i}`,
  text: 'Hello from the delivery benchmark.\nLine two.',
});

async function pump(count: number, send: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return count / ((performance.now() - started) / 1000);
}

async function rawRate(sink: TestSmtpServer): Promise<number> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: sink.port,
    pool: true,
    maxConnections: POOL,
    maxMessages: Infinity,
    ignoreTLS: true,
  });
  try {
    await pump(200, (i) => transport.sendMail({ from: 'noreply@partner.bench', ...message(i) }));
    return await pump(MESSAGES, (i) => transport.sendMail({ from: 'noreply@partner.bench', ...message(i) }));
  } finally {
    transport.close();
  }
}

async function mailerRate(sink: TestSmtpServer): Promise<number> {
  const mailer = new Mailer(new EgressPolicy(['127.0.0.1/32'], [sink.port]), new OAuth2TokenClient(), { maxConnections: POOL });
  const target: SmtpTarget = {
    cacheKey: 'partner:bench',
    version: '1',
    host: '127.0.0.1',
    port: sink.port,
    tlsMode: 'none',
    insecure: false,
    auth: { type: 'none' },
    sender: { email: 'noreply@partner.bench', name: 'Bench' },
    retries: 3,
    guarded: true,
  };
  try {
    await pump(200, (i) => mailer.send(target, message(i)));
    return await pump(MESSAGES, (i) => mailer.send(target, message(i)));
  } finally {
    mailer.onApplicationShutdown();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function run(): Promise<Row[]> {
  const sink = await startSmtpServer({ record: false });
  let stopPg: (() => Promise<void>) | undefined;
  try {
    const raw: number[] = [];
    const direct: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      raw.push(await rawRate(sink));
      direct.push(await mailerRate(sink));
    }

    if (!process.env.MAILSTRATA_TEST_ADMIN_URL) {
      if (process.env.TEST_DATABASE_URL) process.env.MAILSTRATA_TEST_ADMIN_URL = process.env.TEST_DATABASE_URL;
      else {
        const pg = await startEmbeddedPostgres({ dataDir: join(process.cwd(), '.data', `bench-mailer-${process.pid}`), unsafeFast: false });
        process.env.MAILSTRATA_TEST_ADMIN_URL = pg.url;
        stopPg = () => pg.stop();
      }
    }
    const db = await createTestDatabase();
    const config = loadConfig(
      testEnv(db.url, {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(sink.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.bench',
        EMAIL_POLL_INTERVAL_MS: '50',
        DATABASE_POOL_MAX: '20',
      }),
    );
    const app = await createApp(config, db.url, { swaggerUi: false });
    let queueRate = 0;
    try {
      await app.init();
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const outbox = app.get(EmailOutbox);
      const enqueueAll = async (count: number) => {
        // Callers enqueue one email per business transaction; 8 callers at a time.
        let next = 0;
        const caller = async () => {
          while (next < count) {
            const i = next++;
            await dataSource.transaction((m) =>
              outbox.enqueue(m, { scope: { partnerId: null, orgId: null }, kind: 'bench', ...message(i) }),
            );
          }
        };
        await Promise.all(Array.from({ length: 8 }, caller));
      };
      const waitDone = async (total: number) => {
        for (;;) {
          const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM email_jobs WHERE finished_at IS NOT NULL`);
          if (row.n >= total) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      await enqueueAll(200);
      await waitDone(200);
      const started = performance.now();
      await enqueueAll(QUEUE_MESSAGES);
      await waitDone(200 + QUEUE_MESSAGES);
      queueRate = QUEUE_MESSAGES / ((performance.now() - started) / 1000);
      const [failed] = await dataSource.query(`SELECT count(*)::int AS n FROM email_jobs WHERE status <> 'sent'`);
      const [events] = await dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE type IN ('email.queued', 'email.sent')`);
      if (failed.n > 0) throw new Error(`${failed.n} queued emails were not sent`);
      if (events.n !== 2 * (200 + QUEUE_MESSAGES))
        throw new Error(`expected ${2 * (200 + QUEUE_MESSAGES)} audit events, found ${events.n}`);
    } finally {
      await app.close();
      await db.drop();
    }
    const rawRateMean = mean(raw);
    return [
      { section: 'mailer', metric: `raw pooled nodemailer msg/s (${POOL} conns, ${CONCURRENCY} in flight)`, value: rawRateMean.toFixed(0) },
      {
        section: 'mailer',
        metric: 'mailer.send via cached profile transport msg/s',
        value: mean(direct).toFixed(0),
        baseline: `${rawRateMean.toFixed(0)} raw`,
        ratio: mean(direct) / rawRateMean,
        goal: 0.9,
      },
      {
        section: 'mailer',
        metric: `durable queue msg/s (enqueue→sent, + audit events)`,
        value: queueRate.toFixed(0),
        baseline: `${rawRateMean.toFixed(0)} raw`,
        ratio: queueRate / rawRateMean,
        goal: 0.5,
      },
    ];
  } finally {
    await sink.close();
    await stopPg?.();
  }
}

export const mailerBench: BenchSection = { name: 'mailer', run };
