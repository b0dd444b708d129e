/**
 * @mailstrata/secrets — encryption of secrets at rest (AES-256-GCM, versioned keyring, associated data
 * binding each ciphertext to its table, row and field). Consumers inject `SecretCipher`.
 */
export { SecretsModule, secretCipherFromConfig } from './secrets.module';
export { SecretCipher, SecretDecryptionError } from './secret-cipher';
export type { SecretContext } from './secret-cipher';
export { parseKeyring, KeyringError, KEY_BYTES } from './keyring';
export type { Keyring, KeyringKey } from './keyring';
export { loadOrCreateDevKeyring, DEV_KEY_FILE } from './dev-key';
