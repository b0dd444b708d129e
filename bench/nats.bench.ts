/**
 * NATS intake section: events published to JetStream (the real nats-server at 127.0.0.1:4222) → taken in
 * by the app's in-process intake (validate, then the send intake: event-id claim + message + job + audit
 * events in one statement, shared by the events taken in at the same time; ack after commit) → delivered by its worker to a local SMTP sink, timed from the first publish to the last job
 * booked sent. Beside it, raw pooled nodemailer to the same sink, measured right before in each of ROUNDS
 * rounds; the ratio is the median of the rounds' paired ratios. Goal ≥ 0.4 of raw.
 */
import { randomUUID } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import { loadConfig } from '@mailstrata/config';
import { EmailDeliveryWorker, NatsIntakeService } from '@mailstrata/delivery';
import { DataSource } from 'typeorm';
import { createApp } from '../apps/event-framework/src/bootstrap';
import { testEnv } from '../test/support/app';
import { createTestDatabase } from '../test/support/database';
import { openNatsTestBus } from '../test/support/nats';
import { startSmtpServer } from '../test/support/smtp';
import { BenchSection, cpuPerItem, cpuTotals, Row } from './harness';
import { Measured, rawRate, waitDelivered } from './mailer.bench';

const EVENTS = 3000;
const ROUNDS = 3;
const PUBLISH_BATCH = 500;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function run(): Promise<Row[]> {
  const sink = await startSmtpServer({ record: false });
  const bus = await openNatsTestBus('bench');
  const db = await createTestDatabase();
  try {
    const env = testEnv(db.url, {
      FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
      FW_EVENT_SMTP_SERVER_PORT: String(sink.port),
      FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.bench',
      EMAIL_POLL_INTERVAL_MS: '50',
      DATABASE_POOL_MAX: '20',
      ...bus.env,
    });
    const app = await createApp(loadConfig(env), db.url, { swaggerUi: false });
    try {
      await app.init();
      const dataSource = app.get<DataSource>(getDataSourceToken());
      const intake = app.get(NatsIntakeService);
      while (!intake.ready()) await new Promise((r) => setTimeout(r, 20));
      const [partner] = await dataSource.query(`INSERT INTO partners (name) VALUES ('NATS bench') RETURNING id`);
      const worker = app.get(EmailDeliveryWorker);
      let total = 0;
      // The intake acknowledges each event once its message has committed: nothing pending or unacknowledged
      // on the consumer means every event published so far is in the queue. Asked of NATS, not of the
      // Postgres being measured.
      const takenIn = async () => {
        const info = await bus.jsm.consumers.info(bus.stream, bus.consumer);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      };
      const publishAndDeliver = async (count: number): Promise<Measured> => {
        const cpuBefore = cpuTotals();
        const started = performance.now();
        for (let i = 0; i < count; i += PUBLISH_BATCH) {
          await Promise.all(
            Array.from({ length: Math.min(PUBLISH_BATCH, count - i) }, (_, j) =>
              bus.js.publish(
                bus.subject,
                JSON.stringify({
                  event_id: randomUUID(),
                  producer: 'bench',
                  partner_id: partner.id,
                  to: [`user${i + j}@customer.bench`],
                  subject: `Bench event ${i + j}`,
                  text: 'Hello from the NATS intake benchmark.\nLine two.',
                }),
              ),
            ),
          );
        }
        total += count;
        while (!(await takenIn())) await new Promise((r) => setTimeout(r, 10));
        await waitDelivered(dataSource, worker);
        const rate = count / ((performance.now() - started) / 1000);
        return { rate, cpu: cpuPerItem(cpuBefore, cpuTotals(), count) };
      };
      await rawRate(sink);
      await publishAndDeliver(200);
      const rounds: { raw: Measured; nats: Measured }[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const raw = await rawRate(sink);
        const nats = await publishAndDeliver(EVENTS);
        rounds.push({ raw, nats });
      }
      const [seen] = await dataSource.query(`SELECT count(*)::int AS n FROM email_events_seen`);
      if (seen.n !== total) throw new Error(`expected ${total} events taken in, found ${seen.n}`);
      const rawMean = mean(rounds.map((r) => r.raw.rate));
      return [
        {
          section: 'nats',
          metric: `NATS intake msg/s (publish→sent, + audit events)`,
          value: mean(rounds.map((r) => r.nats.rate)).toFixed(0),
          baseline: `${rawMean.toFixed(0)} raw`,
          ratio: median(rounds.map((r) => r.nats.rate / r.raw.rate)),
          goal: 0.4,
          note: rounds.at(-1)!.nats.cpu,
        },
        {
          section: 'nats',
          metric: `  rounds, nats/raw (${ROUNDS}×${EVENTS}; ratio above: median)`,
          value: rounds.map((r) => (r.nats.rate / r.raw.rate).toFixed(2)).join(' '),
        },
      ];
    } finally {
      await app.close();
    }
  } finally {
    await db.drop();
    await bus.close();
    await sink.close();
  }
}

export const natsBench: BenchSection = { name: 'nats', run };
