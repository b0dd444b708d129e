/**
 * `npm run secrets:reencrypt`: rewrites every stored SMTP secret (and queued email body) under the first key of
 * SECRETS_ENCRYPTION_KEYS. Rotation: prepend the new key (`new:…,old:…`), roll the deployment, run this,
 * then drop the old key. Prints counts only — never a secret or a key.
 */
import 'reflect-metadata';
import { loadProcessConfigOrExit } from '@mailstrata/config';
import { ChangeBus, dataSourceOptions, ensureSchema, resolveDatabaseUrl } from '@mailstrata/database';
import { reencryptQueuedBodies } from '@mailstrata/delivery';
import { reencryptAllSecrets, SmtpProfileEntity } from '@mailstrata/email-config';
import { secretCipherFromConfig } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';

async function main(): Promise<void> {
  const config = loadProcessConfigOrExit('mailstrata-reencrypt');
  const cipher = secretCipherFromConfig(config);
  const database = await resolveDatabaseUrl(config, () => undefined);
  const dataSource = await new DataSource({ ...dataSourceOptions(database.url, 2), entities: [SmtpProfileEntity] }).initialize();
  try {
    await ensureSchema(dataSource, false);
    // Only publish() is used: it NOTIFYs inside each row's transaction so running replicas drop caches.
    const bus = new ChangeBus(dataSource, database.url);
    const report = await reencryptAllSecrets(dataSource, cipher, bus);
    process.stdout.write(`re-encrypted ${report.rewritten} of ${report.rows} SMTP profile(s) under key "${report.keyId}"\n`);
    const bodies = await reencryptQueuedBodies(dataSource, cipher);
    process.stdout.write(`re-encrypted ${bodies.rewritten} of ${bodies.bodies} queued email bod(ies)\n`);
  } finally {
    await dataSource.destroy();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`re-encryption failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
