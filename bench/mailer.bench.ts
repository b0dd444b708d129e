/**
 * Delivery section, all to one local SMTP sink (smtp-server, plain, not recording) in the same run:
 *  - raw pooled nodemailer: the ceiling;
 *  - the mailer's direct send through its cached pooled transport for a profile, with the egress guard
 *    checked on every send (goal ≥ 0.9 of raw); it composes the MIME text itself and hands nodemailer the
 *    finished message, so it runs faster than raw nodemailer composing its own;
 *  - the durable queue path in the real app: every email enqueued in its own caller transaction (job
 *    row + email.queued, committed durably: the embedded Postgres runs with fsync on) and
 *    delivered by the in-process worker (claim, resolve the profile, decrypt, send, job update +
 *    email.sent), timed from the first enqueue to the last job booked (goal ≥ 0.5 of raw);
 *  - raw, direct and queue are measured back to back in each of ROUNDS rounds; the ratios are the
 *    medians of the rounds' paired ratios, which resist the drift of a shared machine;
 *  - its two halves, to show where the time goes: callers enqueueing with no worker running, and a
 *    worker app draining the backlog they left with nothing enqueued meanwhile.
 * The SMTP sink, nodemailer and (for the queue) the app share this process and the machine's cores
 * with Postgres, for the baseline as for the queue.
 */
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { loadConfig } from '@mailstrata/config';
import { EmailDeliveryWorker, EmailOutbox } from '@mailstrata/delivery';
import { EgressPolicy, Mailer, OAuth2TokenClient, SmtpTarget } from '@mailstrata/mailer';
import nodemailer from 'nodemailer';
import { DataSource } from 'typeorm';
import { createApp } from '../apps/event-framework/src/bootstrap';
import { WorkerModule } from '../apps/event-worker/src/worker.module';
import { testEnv } from '../test/support/app';
import { createTestDatabase } from '../test/support/database';
import { startSmtpServer, TestSmtpServer } from '../test/support/smtp';
import { BenchSection, cpuPerItem, cpuTotals, Row } from './harness';

const MESSAGES = 4000;
const QUEUE_MESSAGES = 4000;
const CONCURRENCY = 64;
const POOL = 5;
const ROUNDS = 3;
const CALLERS = 8;

const message = (i: number) => ({
  to: `user${i}@customer.bench`,
  subject: `Bench message ${i}`,
  text: 'Hello from the delivery benchmark.\nLine two.',
});

export interface Measured {
  rate: number;
  /** CPU per message, this process and Postgres: where the time of a path goes. */
  cpu: string;
}

async function measure(count: number, work: () => Promise<unknown>): Promise<Measured> {
  const cpuBefore = cpuTotals();
  const started = performance.now();
  await work();
  const rate = count / ((performance.now() - started) / 1000);
  return { rate, cpu: cpuPerItem(cpuBefore, cpuTotals(), count) };
}

function pump(count: number, send: (i: number) => Promise<unknown>): Promise<Measured> {
  let next = 0;
  const lane = async () => {
    while (next < count) await send(next++);
  };
  return measure(count, () => Promise.all(Array.from({ length: CONCURRENCY }, lane)));
}

export async function rawRate(sink: TestSmtpServer): Promise<Measured> {
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

async function mailerRate(sink: TestSmtpServer): Promise<Measured> {
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

/** Whether any job is queued or sending (`busy`): one probe of each partial index of unfinished jobs. */
export const UNFINISHED_JOBS_SQL = `SELECT EXISTS (SELECT 1 FROM email_jobs WHERE status = 'queued') OR EXISTS (SELECT 1 FROM email_jobs WHERE status = 'sending') AS busy`;

async function unfinished(dataSource: DataSource): Promise<boolean> {
  const [row] = await dataSource.query(UNFINISHED_JOBS_SQL);
  return row.busy as boolean;
}

/**
 * Resolves once every job is sent or failed; call it once every job to wait for has been enqueued. The
 * worker's drain resolves when it has booked everything due; the probe after it confirms. Polling the
 * table all along instead (the benches used to count the finished jobs every 10 ms) loads the Postgres
 * being measured, and more in each round as the table grows: the bench measured its own poll.
 */
export async function waitDelivered(dataSource: DataSource, worker: EmailDeliveryWorker): Promise<void> {
  await worker.drain();
  while (await unfinished(dataSource)) await new Promise((r) => setTimeout(r, 10));
}

interface QueueRates {
  /** Per round, back to back: raw nodemailer, the mailer's direct send, then enqueue → sent with the
   *  in-process worker running alongside the callers (the goal figure). */
  rounds: { raw: Measured; direct: Measured; endToEnd: Measured }[];
  /** Business transactions with one enqueue each, no worker running (what callers can put in). */
  enqueueOnly: Measured;
  /** A worker app draining a backlog, nothing enqueued meanwhile (what the worker can take out). */
  drainOnly: Measured;
  /** Jobs that needed more than one attempt: a round that stalls for a lease's length shows up here. */
  attemptedAgain: number;
}

/**
 * The durable queue in the real apps on one fresh database. Every email goes through the same path
 * production takes: `EmailOutbox.enqueue` in its own caller transaction (job row, `email.queued`,
 * wake-up), then the worker claims, resolves the controller profile, sends through the pooled
 * transport, and books the job with its `email.sent` event. Checked at the end: every job sent, two
 * audit events per email.
 */
async function queueRates(sink: TestSmtpServer): Promise<QueueRates> {
  const db = await createTestDatabase();
  const env = testEnv(db.url, {
    FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
    FW_EVENT_SMTP_SERVER_PORT: String(sink.port),
    FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
    FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.bench',
    EMAIL_POLL_INTERVAL_MS: '50',
    DATABASE_POOL_MAX: '20',
  });
  let total = 0;
  const enqueueAll = async (dataSource: DataSource, outbox: EmailOutbox, count: number) => {
    // Callers enqueue one email per business transaction, CALLERS at a time.
    let next = 0;
    const caller = async () => {
      while (next < count) {
        const i = next++;
        await dataSource.transaction((m) => outbox.enqueue(m, { scope: { partnerId: null, orgId: null }, kind: 'bench', ...message(i) }));
      }
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
    total += count;
  };
  const finished = async (dataSource: DataSource) => {
    const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM email_jobs WHERE finished_at IS NOT NULL`);
    return row.n as number;
  };
  try {
    // 1. Enqueue only, then 2. drain only: the HTTP app without its in-process worker (as when the
    //    worker runs as its own deployment) fills a backlog, then a worker app empties it.
    let enqueueOnly: Measured | undefined;
    let drainOnly: Measured | undefined;
    const api = await createApp(loadConfig({ ...env, WORKER_IN_PROCESS: 'false' }), db.url, { swaggerUi: false });
    try {
      await api.init();
      const dataSource = api.get<DataSource>(getDataSourceToken());
      const outbox = api.get(EmailOutbox);
      await enqueueAll(dataSource, outbox, 200);
      enqueueOnly = await measure(QUEUE_MESSAGES, () => enqueueAll(dataSource, outbox, QUEUE_MESSAGES));
      const workerConfig = loadConfig(env);
      const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(workerConfig, db.url), { logger: false });
      try {
        // The worker starts on the backlog (the warm-up 200 and the timed jobs) during init; timed
        // from the end of init, over what was still to do then, so start-up is not counted.
        await worker.init();
        const left = total - (await finished(dataSource));
        drainOnly = await measure(left, () => waitDelivered(dataSource, worker.get(EmailDeliveryWorker)));
      } finally {
        await worker.close();
      }
    } finally {
      await api.close();
    }

    // 3. End to end: the default single-command app, its worker delivering while callers enqueue. Each
    //    round measures its own raw and direct baselines right before, so the ratio is a paired one.
    const rounds: QueueRates['rounds'] = [];
    let attemptedAgain = 0;
    const app = await createApp(loadConfig(env), db.url, { swaggerUi: false });
    try {
      await app.init();
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const outbox = app.get(EmailOutbox);
      const worker = app.get(EmailDeliveryWorker);
      await enqueueAll(dataSource, outbox, 200);
      await waitDelivered(dataSource, worker);
      for (let round = 0; round < ROUNDS; round += 1) {
        const raw = await rawRate(sink);
        const direct = await mailerRate(sink);
        const endToEnd = await measure(QUEUE_MESSAGES, async () => {
          await enqueueAll(dataSource, outbox, QUEUE_MESSAGES);
          await waitDelivered(dataSource, worker);
        });
        rounds.push({ raw, direct, endToEnd });
      }
      const [notSent] = await dataSource.query(`SELECT count(*)::int AS n FROM email_jobs WHERE status <> 'sent'`);
      const [queued] = await dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'email.queued'`);
      const [sent] = await dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'email.sent'`);
      const [again] = await dataSource.query(`SELECT count(*)::int AS n FROM email_jobs WHERE attempts > 1`);
      attemptedAgain = again.n as number;
      if (notSent.n > 0) throw new Error(`${notSent.n} queued emails were not sent`);
      if (queued.n !== total || sent.n !== total)
        throw new Error(`expected ${total} queued and sent events, found ${queued.n} and ${sent.n}`);
    } finally {
      await app.close();
    }
    if (!enqueueOnly || !drainOnly) throw new Error('a queue measurement did not run');
    return { rounds, enqueueOnly, drainOnly, attemptedAgain };
  } finally {
    await db.drop();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function run(): Promise<Row[]> {
  const sink = await startSmtpServer({ record: false });
  try {
    // Warm-up: nodemailer's and the mailer's paths compiled before anything is timed.
    await rawRate(sink);
    await mailerRate(sink);
    const queue = await queueRates(sink);
    const { rounds } = queue;
    const rawMean = mean(rounds.map((r) => r.raw.rate));
    const directMean = mean(rounds.map((r) => r.direct.rate));
    const endToEndMean = mean(rounds.map((r) => r.endToEnd.rate));
    const last = rounds.at(-1)!;
    const baseline = `${rawMean.toFixed(0)} raw`;
    return [
      {
        section: 'mailer',
        metric: `raw pooled nodemailer msg/s (${POOL} conns, ${CONCURRENCY} in flight)`,
        value: rawMean.toFixed(0),
        note: last.raw.cpu,
      },
      {
        section: 'mailer',
        metric: `mailer.send via cached profile transport msg/s`,
        value: directMean.toFixed(0),
        baseline,
        ratio: median(rounds.map((r) => r.direct.rate / r.raw.rate)),
        goal: 0.9,
        note: last.direct.cpu,
      },
      {
        section: 'mailer',
        metric: `durable queue msg/s (enqueue→sent, + audit events)`,
        value: endToEndMean.toFixed(0),
        baseline,
        ratio: median(rounds.map((r) => r.endToEnd.rate / r.raw.rate)),
        goal: 0.5,
        note: last.endToEnd.cpu,
      },
      {
        section: 'mailer',
        metric: `  rounds, queue/raw (${ROUNDS}×${QUEUE_MESSAGES}; ratios above: medians)`,
        value: rounds.map((r) => (r.endToEnd.rate / r.raw.rate).toFixed(2)).join(' '),
        note: `jobs attempted more than once: ${queue.attemptedAgain}`,
      },
      {
        section: 'mailer',
        metric: `  the same against mailer.send (what durability costs)`,
        value: endToEndMean.toFixed(0),
        baseline: `${directMean.toFixed(0)} direct`,
        ratio: median(rounds.map((r) => r.endToEnd.rate / r.direct.rate)),
      },
      {
        section: 'mailer',
        metric: `  part: enqueue only, no worker (tx/s, ${CALLERS} callers)`,
        value: queue.enqueueOnly.rate.toFixed(0),
        note: queue.enqueueOnly.cpu,
      },
      {
        section: 'mailer',
        metric: `  part: drain only, worker app on a ${QUEUE_MESSAGES}-job backlog`,
        value: queue.drainOnly.rate.toFixed(0),
        baseline,
        ratio: queue.drainOnly.rate / rawMean,
        note: queue.drainOnly.cpu,
      },
    ];
  } finally {
    await sink.close();
  }
}

export const mailerBench: BenchSection = { name: 'mailer', run };
