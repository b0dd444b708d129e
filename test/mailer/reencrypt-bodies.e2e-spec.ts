/** Key rotation covers queued email bodies: after re-encryption a replica holding only the new key sends them. */
import { randomBytes } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import { EmailOutbox, reencryptQueuedBodies } from '@mailstrata/delivery';
import { parseKeyring, SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { startSmtpServer, TestSmtpServer } from '../support/smtp';

const KEY1 = `k1:${randomBytes(32).toString('base64')}`;
const KEY2 = `k2:${randomBytes(32).toString('base64')}`;

describe('re-encrypting queued email bodies', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    // No worker here: the job must stay queued while the key rotates.
    t = await startTestApp({ env: { SECRETS_ENCRYPTION_KEYS: KEY1, WORKER_IN_PROCESS: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('rewrites pending bodies under the new key, then a new-key-only worker delivers them', async () => {
    const dataSource = t.app.get<DataSource>(getDataSourceToken());
    const outbox = t.app.get(EmailOutbox);
    const id = await dataSource.transaction((m) =>
      outbox.enqueue(m, {
        scope: { partnerId: null, orgId: null },
        kind: 'password_setup',
        to: 'rot@x.test',
        subject: 'Rotation',
        text: 'link #token=abc',
      }),
    );
    const [before] = await t.db.query<{ body_ciphertext: string }>(`SELECT body_ciphertext FROM email_jobs WHERE id = $1`, [id]);
    expect(before!.body_ciphertext).toMatch(/^v1\.k1\./);

    const report = await reencryptQueuedBodies(dataSource, new SecretCipher(parseKeyring(`${KEY2},${KEY1}`)));
    expect(report).toEqual({ bodies: 1, rewritten: 1 });
    const [after] = await t.db.query<{ body_ciphertext: string }>(`SELECT body_ciphertext FROM email_jobs WHERE id = $1`, [id]);
    expect(after!.body_ciphertext).toMatch(/^v1\.k2\./);
    expect((await reencryptQueuedBodies(dataSource, new SecretCipher(parseKeyring(`${KEY2},${KEY1}`)))).rewritten).toBe(0);

    const worker = await startTestApp({
      db: t.db,
      env: {
        SECRETS_ENCRYPTION_KEYS: KEY2,
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(smtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        EMAIL_POLL_INTERVAL_MS: '25',
      },
    });
    try {
      const [mail] = await smtp.waitForMessages(1);
      expect(mail).toMatchObject({ to: 'rot@x.test', subject: 'Rotation', text: 'link #token=abc' });
    } finally {
      await worker.close();
    }
  });
});
