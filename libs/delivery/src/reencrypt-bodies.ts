/**
 * Queued email bodies are encrypted with the secrets keyring too (they may carry a one-time link), so a
 * key rotation must rewrite them before the old key is dropped, or pending emails could not be sent.
 * Bodies of finished jobs are already deleted; only pending ones remain.
 */
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { bodyContext } from './email-outbox';

export interface BodyReencryptReport {
  bodies: number;
  rewritten: number;
}

export async function reencryptQueuedBodies(dataSource: DataSource, cipher: SecretCipher): Promise<BodyReencryptReport> {
  const rows: Array<{ id: string; body_ciphertext: string }> = await dataSource.query(
    `SELECT id, body_ciphertext FROM email_jobs WHERE body_ciphertext IS NOT NULL ORDER BY id`,
  );
  let rewritten = 0;
  for (const row of rows) {
    if (!cipher.isStale(row.body_ciphertext)) continue;
    const fresh = cipher.encrypt(cipher.decrypt(row.body_ciphertext, bodyContext(row.id)), bodyContext(row.id));
    // Only if the worker has not finished (and cleared) the job meanwhile.
    const [, updated]: [unknown, number] = await dataSource.query(
      `UPDATE email_jobs SET body_ciphertext = $3 WHERE id = $1 AND body_ciphertext = $2`,
      [row.id, row.body_ciphertext, fresh],
    );
    rewritten += updated;
  }
  return { bodies: rows.length, rewritten };
}
