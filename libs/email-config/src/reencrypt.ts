/**
 * Rewrites every stored secret under the keyring's current (first) key. Run after prepending a new key
 * to SECRETS_ENCRYPTION_KEYS; once it reports zero stale ciphertexts the old key can be removed.
 * Row by row, each in its own short transaction with a row lock, so it can run beside live traffic.
 */
import { ChangeBus } from '@mailstrata/database';
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { EMAIL_CONFIG_TOPIC, scopeKey } from './effective-config.service';
import { reencryptEntity, scopeOfEntity } from './profile-codec';
import { SmtpProfileEntity } from './smtp-profile.entity';

export interface ReencryptReport {
  rows: number;
  rewritten: number;
  keyId: string;
}

export async function reencryptAllSecrets(
  dataSource: DataSource,
  cipher: SecretCipher,
  bus?: Pick<ChangeBus, 'publish'>,
): Promise<ReencryptReport> {
  const ids: Array<{ id: string }> = await dataSource.query(`SELECT id FROM smtp_profiles ORDER BY id`);
  let rewritten = 0;
  for (const { id } of ids) {
    await dataSource.transaction(async (manager) => {
      const entity = await manager.findOne(SmtpProfileEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!entity || !reencryptEntity(cipher, entity)) return;
      await manager.update(
        SmtpProfileEntity,
        { id },
        { passwordEnc: entity.passwordEnc, clientKeyEnc: entity.clientKeyEnc, oauth2ClientSecretEnc: entity.oauth2ClientSecretEnc },
      );
      if (bus) await bus.publish(manager, { topic: EMAIL_CONFIG_TOPIC, key: scopeKey(scopeOfEntity(entity)) });
      rewritten += 1;
    });
  }
  return { rows: ids.length, rewritten, keyId: cipher.currentKeyId };
}
