/** Domain shapes handed to the HTTP layer and to the mailer. Views are built from these, never from entities. */
import { createHash } from 'node:crypto';
import type { SecretRefs } from './secret-refs';
import type { EffectiveSender } from './sender';
import type { SmtpSecrets, SmtpSettings } from './smtp-settings';
import type { ProfileRoute, ProfileState } from './smtp-profile.entity';

export type ScopeLevel = 'partner' | 'org';
export type ProfileSource = 'org' | 'partner' | 'controller';

/** Whose profile a request is about. */
export interface ConfigScope {
  level: ScopeLevel;
  partnerId: string;
  orgId: string | null;
}

/** Which secrets a profile holds; never their values. */
export interface SecretFlags {
  passwordSet: boolean;
  clientSecretSet: boolean;
  clientKeySet: boolean;
}

/** A stored profile version without its secrets. */
export interface StoredProfile {
  id: string;
  scope: ConfigScope;
  route: ProfileRoute;
  state: ProfileState;
  settings: SmtpSettings;
  secretsSet: SecretFlags;
  /** Which secrets come from files, by name (names are not secrets). */
  secretRefs: SecretRefs;
  version: number;
  /** The version this one was derived from; `changedFields` names what differs from it. */
  basedOnVersion: number | null;
  changedFields: string[];
  etag: string;
  createdAt: Date;
  updatedAt: Date;
  /** When this version last became active; null for a draft never activated. */
  activatedAt: Date | null;
  /** Who saved this version. */
  updatedBy: { id: string | null; email: string | null; type: 'user' | 'service_account' | null };
}

/** One route of what a scope would use now, without secrets. */
export interface EffectiveRoute {
  source: ProfileSource;
  /** The profile that supplies it; null for the controller profile (environment). */
  profileId: string | null;
  profilePartnerId: string | null;
  profileOrgId: string | null;
  version: number | null;
  settings: SmtpSettings;
  secretsSet: SecretFlags;
  /** Who system emails through this profile come from, and which link of the sender chain said so; null: none. */
  sender: EffectiveSender | null;
}

/**
 * What a system email for a scope would use now, without secrets (the effective endpoint): the primary
 * route, and the secondary of the same level (a level's routes come as a pair; levels never mix).
 */
export interface EffectiveProfile extends EffectiveRoute {
  /** The scope asked about. */
  scope: { level: ScopeLevel; partnerId: string; orgId: string | null };
  /** The secondary route of the level that supplies the primary; null: none (failover is off). */
  secondary: EffectiveRoute | null;
}

/** The effective profile WITH decrypted secrets. Internal only: never map this to a response or a log. */
export interface ResolvedSmtpProfile extends EffectiveProfile {
  secrets: SmtpSecrets;
  /** A digest of the secrets read from files (changes when one is rotated); undefined when none is referenced. */
  secretsDigest?: string;
  /** The secondary route's secrets: null without a secondary, when not asked for (`withSecondary`), or when its file cannot be read now. */
  secondarySecrets: SmtpSecrets | null;
  secondarySecretsDigest?: string;
}

export function flagsOf(secrets: SmtpSecrets, refs?: SecretRefs): SecretFlags {
  return {
    passwordSet: secrets.password !== null || (refs?.password ?? null) !== null,
    clientSecretSet: secrets.clientSecret !== null || (refs?.clientSecret ?? null) !== null,
    clientKeySet: secrets.clientKey !== null || (refs?.clientKey ?? null) !== null,
  };
}

export function etagOf(id: string, version: number): string {
  return `"${id}.${version}"`;
}

/**
 * The ETag of a representation that shows more than the profile (its health): the profile's tag with a
 * digest of the rest, so a conditional GET never answers 304 over changed health. As a precondition
 * (If-Match) it still stands for the profile version alone: see `profileTagOf`.
 */
export function representationEtagOf(profileEtag: string, extra: unknown): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(extra ?? null))
    .digest('base64url')
    .slice(0, 12);
  return `${profileEtag.slice(0, -1)}.${digest}"`;
}

/** The profile tag inside a representation tag (`"<id>.<version>.<digest>"` → `"<id>.<version>"`); other tags unchanged. */
export function profileTagOf(tag: string): string {
  return tag.replace(/^"([^".]+\.\d+)\.[A-Za-z0-9_-]+"$/, '"$1"');
}
