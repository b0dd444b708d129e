/**
 * Rewrites every stored secret under the keyring's current (first) key. Run after prepending a new key
 * to SECRETS_ENCRYPTION_KEYS; once it reports zero stale ciphertexts the old key can be removed.
 * Row by row, each in its own short transaction with a row lock, so it can run beside live traffic.
 * It also seals OAuth2 request header values still stored in plaintext (see `sealPlaintextRequestHeaders`).
 */
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
  const rewritten = await rewriteRows(dataSource, cipher, ids, bus);
  return { rows: ids.length, rewritten, keyId: cipher.currentKeyId };
}

/**
 * Encrypts OAuth2 request header values written before they were secrets (plaintext in the oauth2 JSON)
 * and leaves only their names there. Run at every start (EmailConfigModule) and by `secrets:reencrypt`;
 * a no-op once no row holds plaintext. Returns how many rows it sealed.
 */
export async function sealPlaintextRequestHeaders(
  dataSource: DataSource,
  cipher: SecretCipher,
  bus?: Pick<ChangeBus, 'publish'>,
): Promise<number> {
  const ids: Array<{ id: string }> = await dataSource.query(
    `SELECT id FROM smtp_profiles WHERE jsonb_path_exists(oauth2, '$.request_headers[*].value') ORDER BY id`,
  );
  return rewriteRows(dataSource, cipher, ids, bus);
}

async function rewriteRows(
  dataSource: DataSource,
  cipher: SecretCipher,
  ids: Array<{ id: string }>,
  bus: Pick<ChangeBus, 'publish'> | undefined,
): Promise<number> {
  let rewritten = 0;
  for (const { id } of ids) {
    await dataSource.transaction(async (manager) => {
      const entity = await manager.findOne(SmtpProfileEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!entity || !reencryptEntity(cipher, entity)) return;
      await manager.update(
        SmtpProfileEntity,
        { id },
        {
          passwordEnc: entity.passwordEnc,
          clientKeyEnc: entity.clientKeyEnc,
          oauth2ClientSecretEnc: entity.oauth2ClientSecretEnc,
          oauth2RequestHeadersEnc: entity.oauth2RequestHeadersEnc,
          oauth2: entity.oauth2,
        },
      );
      if (bus) await bus.publish(manager, { topic: EMAIL_CONFIG_TOPIC, key: scopeKey(scopeOfEntity(entity)) });
      rewritten += 1;
    });
  }
  return rewritten;
}

/** Seals plaintext request header values at start, before the app serves (idempotent across replicas). */
@Injectable()
export class RequestHeaderSealer implements OnApplicationBootstrap {
  private readonly logger = new Logger('RequestHeaderSealer');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    private readonly bus: ChangeBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const sealed = await sealPlaintextRequestHeaders(this.dataSource, this.cipher, this.bus);
    if (sealed > 0) this.logger.log({ profiles: sealed }, 'encrypted OAuth2 request header values stored in plaintext');
  }
}
