/**
 * How delivery workers learn that email jobs are due, with the poll set to a minute so that only a
 * wake-up can explain a prompt delivery:
 * - a worker in the enqueuing process is woken the moment the caller's transaction commits, and not by
 *   one that rolls back;
 * - a worker in another process (the worker deployment) is woken through Postgres NOTIFY, coalesced:
 *   a burst of enqueues sends at most one NOTIFY per WAKE_UP_INTERVAL_MS, and the last one is sent
 *   after the last commit, so nothing of the burst is left waiting for the poll.
 * Coalescing matters because a NOTIFY inside every enqueueing transaction would put Postgres's
 * notification work (queue, signal every listener, each reads it) on the queue's hot path.
 */
import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { loadConfig } from '@mailstrata/config';
import { ChangeBus, CHANGE_CHANNEL, WAKE_UP_INTERVAL_MS } from '@mailstrata/database';
import { EMAIL_JOBS_TOPIC, EmailOutbox } from '@mailstrata/delivery';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../../apps/event-worker/src/worker.module';
import { startTestApp, TestApp } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { startSmtpServer, TestSmtpServer, waitFor } from '../support/smtp';

const LONG_POLL_MS = '60000';
const BURST = 60;
const CALLERS = 6;

describe('waking delivery workers', () => {
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  let listener: Client;
  const wakeUps: number[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await startSmtpServer();
    listener = new Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (msg) => {
      if (
        msg.channel === CHANGE_CHANNEL &&
        (JSON.parse(msg.payload ?? '{}') as { topic?: string; key?: string }).topic === EMAIL_JOBS_TOPIC
      )
        wakeUps.push(Date.now());
    });
    await listener.query(`LISTEN ${CHANGE_CHANNEL}`);
  });
  afterAll(async () => {
    await listener?.end();
    await smtp?.close();
    await db?.drop();
  });

  const env = (overrides: Record<string, string>) => ({
    FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
    FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
    FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
    FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.test',
    EMAIL_POLL_INTERVAL_MS: LONG_POLL_MS,
    ...overrides,
  });
  const enqueue = (app: TestApp, subject: string) =>
    app.app
      .get<DataSource>(getDataSourceToken())
      .transaction((m) =>
        app.app
          .get(EmailOutbox)
          .enqueue(m, { scope: { partnerId: null, orgId: null }, kind: 'wake_test', to: 'someone@customer.test', subject, text: subject }),
      );
  const received = (subject: string) => smtp.messages.filter((m) => m.subject === subject).length;

  describe('worker in the enqueuing process', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ db, env: env({}) });
    });
    afterAll(async () => app?.close());

    it('is woken on commit, not by a rolled-back transaction, and not again by its own NOTIFY', async () => {
      const heard: (string | null)[] = [];
      const unsubscribe = app.app
        .get(ChangeBus)
        .subscribe(EMAIL_JOBS_TOPIC, (event) => heard.push('key' in event ? (event.key ?? null) : null));
      try {
        await expect(
          app.app.get<DataSource>(getDataSourceToken()).transaction(async (m) => {
            await app.app.get(EmailOutbox).enqueue(m, {
              scope: { partnerId: null, orgId: null },
              kind: 'wake_test',
              to: 'someone@customer.test',
              subject: 'rolled back',
              text: 'never sent',
            });
            expect(heard).toEqual([]); // not before the commit
            throw new Error('caller fails after enqueueing');
          }),
        ).rejects.toThrow('caller fails');
        expect(heard).toEqual([]);

        const notified = wakeUps.length;
        await enqueue(app, 'local wake-up');
        expect(heard).toEqual([null]); // at once, on commit
        await waitFor(() => (received('local wake-up') === 1 ? true : undefined), 5_000, 'delivery woken in-process');
        expect(received('rolled back')).toBe(0);

        // Its NOTIFY to other replicas comes back to it too, and is not dispatched twice: once the test's own
        // listener has it, a marker NOTIFY sent after it reaches the app after it (one channel, commit order).
        await waitFor(() => (wakeUps.length > notified ? true : undefined), 5_000, "the replica's NOTIFY");
        await listener.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify({ topic: EMAIL_JOBS_TOPIC, key: 'marker' })]);
        await waitFor(() => (heard.includes('marker') ? true : undefined), 5_000, 'the marker');
        expect(heard).toEqual([null, 'marker']); // the commit's dispatch and the marker, not the replica's own NOTIFY
      } finally {
        unsubscribe();
      }
    });
  });

  describe('worker in another process', () => {
    let api: TestApp;
    let worker: INestApplicationContext;
    beforeAll(async () => {
      api = await startTestApp({ db, env: env({ WORKER_IN_PROCESS: 'false' }) });
      const workerEnv = { ...api.env };
      worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(loadConfig(workerEnv), db.url), { logger: false });
      await worker.init();
    });
    afterAll(async () => {
      await worker?.close();
      await api?.close();
    });

    it('is woken through one NOTIFY after the commit', async () => {
      const before = wakeUps.length;
      await enqueue(api, 'remote wake-up');
      await waitFor(() => (received('remote wake-up') === 1 ? true : undefined), 5_000, 'delivery woken by NOTIFY');
      expect(wakeUps.length).toBeGreaterThan(before);
    });

    it('coalesces the NOTIFYs of a burst and still delivers all of it promptly', async () => {
      const before = wakeUps.length;
      const started = Date.now();
      let next = 0;
      const caller = async () => {
        while (next < BURST) await enqueue(api, `burst ${next++}`);
      };
      await Promise.all(Array.from({ length: CALLERS }, caller));
      // Every job of the burst reaches the server long before the minute-long poll: the last NOTIFY came
      // after the last commit.
      await waitFor(
        () => (Array.from({ length: BURST }, (_, i) => received(`burst ${i}`)).every((n) => n === 1) ? true : undefined),
        10_000,
        'the whole burst delivered',
      );
      const sent = wakeUps.length - before;
      const window = wakeUps.at(-1)! - started;
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(sent).toBeLessThan(BURST);
      // One per interval at most (plus one for delivery jitter between the sender and this listener).
      expect(sent).toBeLessThanOrEqual(Math.floor(window / WAKE_UP_INTERVAL_MS) + 2);
    });
  });
});
