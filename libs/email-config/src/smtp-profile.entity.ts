import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AuthType, TlsMode } from './smtp-settings';

/**
 * Stored oauth2 settings. The client secret and the request headers' values live encrypted in their own
 * columns; `request_headers` here holds the header names only. A `value` here is the plaintext of a row
 * written before header values were secrets: sealed into `oauth2_request_headers_enc` at start.
 */
export interface StoredOAuth2 {
  token_endpoint: string;
  client_id: string;
  scope: string | null;
  audience: string | null;
  request_headers?: Array<{ name: string; value?: string }>;
}

/** Which route of a scope a profile serves: every email goes by the primary; a secondary is a fallback. */
export type ProfileRoute = 'primary' | 'secondary';
export const PRIMARY_ROUTE: ProfileRoute = 'primary';

/** Whether a profile is in force. Only `active` exists yet; drafts and superseded versions will join it. */
export type ProfileState = 'active';

/**
 * An SMTP profile of a scope: a partner's (org_id null) or an organization's. A scope may hold several
 * (one active per route; rows not in force beside them), so find them through SmtpProfileRepository,
 * never by scope alone. Secret columns end in `_enc` and hold only ciphertexts bound to this row's id
 * and the field name.
 */
@Entity({ name: 'smtp_profiles' })
export class SmtpProfileEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'partner_id', type: 'uuid' })
  partnerId: string;

  @Column({ name: 'org_id', type: 'uuid', nullable: true })
  orgId: string | null;

  @Column({ type: 'text' })
  route: ProfileRoute;

  @Column({ type: 'text' })
  state: ProfileState;

  @Column({ type: 'text' })
  host: string;

  @Column({ type: 'integer' })
  port: number;

  @Column({ name: 'tls_mode', type: 'text' })
  tlsMode: TlsMode;

  @Column({ name: 'use_insecure', type: 'boolean' })
  useInsecure: boolean;

  @Column({ type: 'integer' })
  retries: number;

  @Column({ name: 'auth_type', type: 'text' })
  authType: AuthType;

  @Column({ type: 'text', nullable: true })
  username: string | null;

  @Column({ name: 'password_enc', type: 'text', nullable: true })
  passwordEnc: string | null;

  @Column({ name: 'sender_email', type: 'text', nullable: true })
  senderEmail: string | null;

  @Column({ name: 'sender_name', type: 'text', nullable: true })
  senderName: string | null;

  @Column({ name: 'ca_cert', type: 'text', nullable: true })
  caCert: string | null;

  @Column({ name: 'client_cert', type: 'text', nullable: true })
  clientCert: string | null;

  @Column({ name: 'client_key_enc', type: 'text', nullable: true })
  clientKeyEnc: string | null;

  @Column({ type: 'jsonb', nullable: true })
  oauth2: StoredOAuth2 | null;

  @Column({ name: 'oauth2_client_secret_enc', type: 'text', nullable: true })
  oauth2ClientSecretEnc: string | null;

  /** The token request's extra headers (names and values, as JSON), encrypted like the client secret. */
  @Column({ name: 'oauth2_request_headers_enc', type: 'text', nullable: true })
  oauth2RequestHeadersEnc: string | null;

  /** Secret references: file names under the tenant's secrets directory (not secrets; stored plain). */
  @Column({ name: 'password_ref', type: 'text', nullable: true })
  passwordRef: string | null;

  @Column({ name: 'oauth2_client_secret_ref', type: 'text', nullable: true })
  oauth2ClientSecretRef: string | null;

  @Column({ name: 'client_key_ref', type: 'text', nullable: true })
  clientKeyRef: string | null;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'updated_by_id', type: 'uuid', nullable: true })
  updatedById: string | null;

  @Column({ name: 'updated_by_email', type: 'text', nullable: true })
  updatedByEmail: string | null;
}
