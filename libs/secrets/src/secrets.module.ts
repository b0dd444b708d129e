import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { loadOrCreateDevKeyring } from './dev-key';
import { parseKeyring } from './keyring';
import { SecretCipher } from './secret-cipher';

/** Builds the cipher from the configured keyring, or from the local development key (loudly). */
export function secretCipherFromConfig(config: Pick<AppConfig, 'secretsKeyring' | 'dataDir' | 'env'>, logger?: Logger): SecretCipher {
  if (config.secretsKeyring !== undefined) return new SecretCipher(parseKeyring(config.secretsKeyring));
  if (config.env === 'production') throw new Error('SECRETS_ENCRYPTION_KEYS: required when NODE_ENV=production');
  const dev = loadOrCreateDevKeyring(config.dataDir);
  logger?.warn(
    `SECRETS_ENCRYPTION_KEYS is not set: SMTP secrets are encrypted with a LOCAL DEVELOPMENT KEY ${dev.created ? 'just generated' : 'kept'} at ${dev.path}. ` +
      'Never use this outside development; set SECRETS_ENCRYPTION_KEYS=id:base64-32-bytes.',
  );
  return new SecretCipher(parseKeyring(dev.keyring));
}

/** Encryption of secrets at rest. Owns key handling; never logs plaintext or key material. */
@Module({
  providers: [
    {
      provide: SecretCipher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => secretCipherFromConfig(config, new Logger('Secrets')),
    },
  ],
  exports: [SecretCipher],
})
export class SecretsModule {}
