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

/**
 * Whether a version is in force: `active` (at most one per scope and route), `draft` (saved, never in
 * force yet) or `superseded` (was in force; may be re-activated).
 */
export type ProfileState = 'active' | 'draft' | 'superseded';
export const PROFILE_STATES: readonly ProfileState[] = ['active', 'draft', 'superseded'];

/**
 * One immutable version of an SMTP profile of a scope: a partner's (org_id null) or an organization's.
 * A scope holds many (numbered per route; one active per route, drafts and superseded ones beside it),
 * so find them through SmtpProfileRepository, never by scope alone. Only `state` and `activatedAt`
 * change after a row is written. Secret columns end in `_enc` and hold only ciphertexts bound to this
 * row's id and the field name.
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

  /** The version number within the scope and route (1, 2, 3…). */
  @Column({ type: 'integer' })
  version: number;

  /** The version this one was derived from (its secrets' and changed fields' reference); null: none. */
  @Column({ name: 'based_on_version', type: 'integer', nullable: true })
  basedOnVersion: number | null;

  /** Names of the fields that differ from `basedOnVersion` (secrets by whether they changed). */
  @Column({ name: 'changed_fields', type: 'text', array: true })
  changedFields: string[];

  /** When this version last became active; null for a draft never activated. */
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'updated_by_id', type: 'uuid', nullable: true })
  updatedById: string | null;

  @Column({ name: 'updated_by_email', type: 'text', nullable: true })
  updatedByEmail: string | null;

  /** What kind of actor saved this version (a person or a service account); null for system writes. */
  @Column({ name: 'updated_by_type', type: 'text', nullable: true })
  updatedByType: 'user' | 'service_account' | null;
}
