/**
 * Send API section: system emails handed to the service over HTTP and delivered, against raw pooled
 * nodemailer to the same local SMTP sink (smtp-server, plain, not recording) in the same run. The API
 * runs as a process of its own (as `npm start` runs it: access logs on, audit on, the in-process
 * worker) with the sink as its controller SMTP. Each message is one `POST /event/v1/email/messages`
 * (a signed-in partner admin, one recipient, an Idempotency-Key each) answered 202; it counts once
 * the delivery log shows it `sent` (the worker booked it with its attempt and email.sent). Raw and
 * API are measured back to back in each of ROUNDS rounds; the ratio is the median of the paired ratios.
 */
import { Client } from 'pg';
import nodemailer from 'nodemailer';
import { createTestDatabase } from '../test/support/database';
import { startSmtpServer, TestSmtpServer } from '../test/support/smtp';
import { BenchSection, httpJson, processCpuSeconds, Row } from './harness';
import { ServerProcess, startService } from './processes';
import { serviceEnv } from './http.bench';

const MESSAGES = 1000;
const ROUNDS = 3;
const CONCURRENCY = 16;
const POOL = 5;
const PASSWORD = 'bench-passphrase-2026';
/** How often the delivery log is counted while waiting for a round's messages to be sent. */
const POLL_MS = 20;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const message = (i: number) => ({
  to: `user${i}@customer.bench`,
  subject: `Bench message ${i}`,
  text: 'Hello from the send API benchmark.\nLine two.',
});

async function pump(count: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

async function rawRate(sink: TestSmtpServer): Promise<number> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, pool: true, maxConnections: POOL, ignoreTLS: true });
  try {
    await pump(100, (i) => transport.sendMail({ from: 'noreply@controller.bench', ...message(i) }));
    const started = performance.now();
    await pump(MESSAGES, (i) => transport.sendMail({ from: 'noreply@controller.bench', ...message(i) }));
    return MESSAGES / ((performance.now() - started) / 1000);
  } finally {
    transport.close();
  }
}

/** Messages per second end to end (the figure), of the 202 answers alone, and the service's CPU per message. */
async function apiRate(
  api: ServerProcess,
  cookie: string,
  partnerId: string,
  db: Client,
  round: number,
): Promise<{ sent: number; accepted: number; serviceCpuMs: number }> {
  const sentBefore = Number((await db.query(`SELECT count(*) AS n FROM email_messages WHERE status = 'sent'`)).rows[0].n);
  const cpuBefore = processCpuSeconds(api.pid);
  const started = performance.now();
  await pump(MESSAGES, async (i) => {
    const res = await fetch(`${api.base}/event/v1/email/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `rsid=${cookie}`, 'idempotency-key': `bench-${round}-${i}` },
      body: JSON.stringify({ partner_id: partnerId, to: [message(i).to], subject: message(i).subject, text: message(i).text }),
    });
    if (res.status !== 202) throw new Error(`send: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  });
  const accepted = MESSAGES / ((performance.now() - started) / 1000);
  // Each poll counts the whole table in Postgres, which shares the machine with the service: every 5 ms
  // it took a noticeable share of a core while the worker finished the round. 20 ms adds at most that
  // to a round of seconds, and only ever lowers the figure.
  for (;;) {
    const sent = Number((await db.query(`SELECT count(*) AS n FROM email_messages WHERE status = 'sent'`)).rows[0].n);
    if (sent - sentBefore >= MESSAGES) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const sentRate = MESSAGES / ((performance.now() - started) / 1000);
  return { sent: sentRate, accepted, serviceCpuMs: ((processCpuSeconds(api.pid) - cpuBefore) * 1000) / MESSAGES };
}

async function run(): Promise<Row[]> {
  const db = await createTestDatabase();
  const sink = await startSmtpServer({ record: false });
  let api: ServerProcess | undefined;
  const client = new Client({ connectionString: db.url });
  try {
    api = await startService(db.url, {
      ...serviceEnv(),
      FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
      FW_EVENT_SMTP_SERVER_PORT: String(sink.port),
      FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.bench',
      EMAIL_SEND_QUOTA_PER_MINUTE: '10000000',
      EMAIL_SEND_QUOTA_PER_HOUR: '100000000',
    });
    await client.connect();
    const root = (
      await httpJson(api.base, 'POST', '/auth/v1/login', { email: 'root@controller.bench', password: 'controller-secret-9000' })
    ).cookie as string;
    const partner = await httpJson(
      api.base,
      'POST',
      '/auth/v1/partners',
      { name: 'Bench', admin: { email: 'admin@bench.test', password: PASSWORD } },
      root,
    );
    const admin = (await httpJson(api.base, 'POST', '/auth/v1/login', { email: 'admin@bench.test', password: PASSWORD })).cookie as string;
    // Warm-up: JIT, pools, prepared statements on both sides.
    await rawRate(sink);
    await apiRate(api, admin, partner.body.id as string, client, -1);
    const rounds: { raw: number; api: number; accepted: number; serviceCpuMs: number }[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const raw = await rawRate(sink);
      const measured = await apiRate(api, admin, partner.body.id as string, client, round);
      rounds.push({ raw, api: measured.sent, accepted: measured.accepted, serviceCpuMs: measured.serviceCpuMs });
    }
    const rawRps = median(rounds.map((r) => r.raw));
    return [
      { section: 'send-api', metric: `raw pooled nodemailer msg/s (${POOL} conns, ${CONCURRENCY} in flight)`, value: rawRps.toFixed(0) },
      {
        section: 'send-api',
        metric: `POST …/email/messages → sent msg/s (HTTP 202, audit on, ${CONCURRENCY} callers; median of ${ROUNDS}×${MESSAGES})`,
        value: median(rounds.map((r) => r.api)).toFixed(0),
        baseline: `${rawRps.toFixed(0)} raw`,
        ratio: median(rounds.map((r) => r.api / r.raw)),
        goal: 0.4,
      },
      { section: 'send-api', metric: '  rounds, api/raw', value: rounds.map((r) => (r.api / r.raw).toFixed(2)).join(' ') },
      {
        section: 'send-api',
        metric: '  rounds, 202 answers/s (until the last 202)',
        value: rounds.map((r) => r.accepted.toFixed(0)).join(' '),
      },
      {
        section: 'send-api',
        metric: '  rounds, service CPU ms per message (HTTP, intake, worker)',
        value: rounds.map((r) => r.serviceCpuMs.toFixed(2)).join(' '),
      },
    ];
  } finally {
    await client.end().catch(() => undefined);
    await api?.stop();
    await sink.close();
    await db.drop();
  }
}

export const sendApiBench: BenchSection = { name: 'send-api', run };
