/**
 * The scope's own SMTP profile as the seed's API sees it: read the active version, create-or-replace
 * (a new version, active at once), patch (a new version from the active one, active at once), delete
 * (the active version leaves force, its history stays), and the preparation of an unsaved candidate for
 * the verification endpoint. Every write goes through ProfileWriter: one transaction with the scope's
 * lock, the ETag precondition, the secret rules, the audit event and the change announcement. The API
 * names a route (`primary` unless told): a secondary needs a primary on the same scope, and a primary
 * cannot be deleted while its secondary exists, so a level's routes come as a pair or a primary alone
 * (the lock is per scope, not per route, so these checks hold under concurrent writers). Drafts and
 * activation: ProfileVersionsService.
 */
import { Injectable } from '@nestjs/common';
import { CommonErrors, DomainError } from '@mailstrata/common';
import { Actor } from '@mailstrata/identity';
import { EmailConfigCreated, EmailConfigDeleted, EmailConfigUpdated } from './email-config.events';
import { EmailConfigErrors } from './errors';
import { settingsOfEntity, storedProfileOf } from './profile-codec';
import { ConfigScope, etagOf, profileTagOf, StoredProfile } from './profile.model';
import { ProfileWriter } from './profile-writer';
import { resolveCandidateCredentials } from './secret-rules';
import { mergeSmtpPatch, validateSmtpConfig } from './smtp-config.validation';
import { PRIMARY_ROUTE, ProfileRoute, SmtpProfileEntity } from './smtp-profile.entity';
import { SmtpSecrets, SmtpSettings } from './smtp-settings';

/** HTTP preconditions, passed through as the raw header values. */
export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface WriteResult {
  profile: StoredProfile;
  created: boolean;
}

/** A validated candidate with its secrets resolved against the stored profile; internal only. */
export interface PreparedCandidate {
  settings: SmtpSettings;
  /** Referenced secrets included, read from their files. */
  secrets: SmtpSecrets;
  /** A digest of the referenced files' content, when there are any. */
  secretsDigest?: string;
}

function tags(header: string): string[] {
  return header
    .split(',')
    .map((t) => profileTagOf(t.trim().replace(/^W\//, '')))
    .filter((t) => t !== '');
}

function preconditionFailed(detail: string): DomainError {
  return CommonErrors.PRECONDITION_FAILED(detail);
}

/** RFC 9110 §13.1.1–2: `If-Match: *` needs a current profile; a tag list needs the current one among them. */
export function checkPreconditions(current: SmtpProfileEntity | null, p: Preconditions): void {
  const etag = current ? etagOf(current.id, current.version) : null;
  if (p.ifMatch !== undefined) {
    const list = tags(p.ifMatch);
    const ok = etag !== null && (list.includes('*') || list.includes(etag));
    if (!ok)
      throw preconditionFailed(
        etag ? 'The profile has changed since you read it (If-Match does not match its ETag).' : 'There is no profile to match If-Match.',
      );
  }
  if (p.ifNoneMatch !== undefined && etag !== null) {
    const list = tags(p.ifNoneMatch);
    if (list.includes('*') || list.includes(etag)) throw preconditionFailed('A profile already exists for this scope (If-None-Match).');
  }
}

@Injectable()
export class EmailConfigService {
  constructor(private readonly writer: ProfileWriter) {}

  /** The scope's own profile in force (no secrets). Throws 404 SMTP_PROFILE_NOT_FOUND. */
  async get(scope: ConfigScope, route: ProfileRoute = PRIMARY_ROUTE): Promise<StoredProfile> {
    const entity = await this.writer.repository.findActive(this.writer.dataSource.manager, scope, route);
    if (!entity) throw profileNotFound(scope, route);
    return storedProfileOf(entity);
  }

  /** POST: a new version of the scope's profile as a whole, active at once (created: no version was active). */
  async createOrReplace(
    actor: Actor,
    scope: ConfigScope,
    rawSmtpConfig: unknown,
    preconditions: Preconditions = {},
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<WriteResult> {
    const candidate = validateSmtpConfig(rawSmtpConfig);
    return this.writer.write(scope, route, async (manager, active) => {
      checkPreconditions(active, preconditions);
      if (!active && route !== PRIMARY_ROUTE && !(await this.writer.repository.findActive(manager, scope, PRIMARY_ROUTE))) {
        throw EmailConfigErrors.PRIMARY_ROUTE_REQUIRED();
      }
      const entity = await this.writer.insertCandidate(manager, actor, scope, {
        candidate,
        base: active,
        active,
        route,
        state: 'active',
        event: active ? EmailConfigUpdated : EmailConfigCreated,
      });
      return { profile: storedProfileOf(entity!), created: active === null };
    });
  }

  /** PATCH: merges the given fields onto the active version and, if anything changed, activates the result as a new version. */
  async patch(
    actor: Actor,
    scope: ConfigScope,
    rawPatch: unknown,
    preconditions: Preconditions = {},
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<WriteResult> {
    return this.writer.write(scope, route, async (manager, active) => {
      if (!active) throw profileNotFound(scope, route);
      checkPreconditions(active, preconditions);
      const candidate = validateSmtpConfig(mergeSmtpPatch(settingsOfEntity(active), rawPatch));
      const entity = await this.writer.insertCandidate(manager, actor, scope, {
        candidate,
        base: active,
        active,
        route,
        state: 'active',
        event: EmailConfigUpdated,
        unlessUnchanged: true,
      });
      return { profile: storedProfileOf(entity ?? active), created: false };
    });
  }

  /** DELETE: the active version leaves force (the level above applies at once); every version stays for a rollback. */
  async delete(actor: Actor, scope: ConfigScope, preconditions: Preconditions = {}, route: ProfileRoute = PRIMARY_ROUTE): Promise<void> {
    await this.writer.write(scope, route, async (manager, active) => {
      if (!active) throw profileNotFound(scope, route);
      checkPreconditions(active, preconditions);
      if (route === PRIMARY_ROUTE && (await this.writer.repository.findActive(manager, scope, 'secondary'))) {
        throw EmailConfigErrors.SECONDARY_ROUTE_EXISTS();
      }
      await this.writer.repository.setState(manager, active, 'superseded', new Date());
      await this.writer.audit.record(manager, EmailConfigDeleted, {
        outcome: 'success',
        actor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'smtp_profile', id: active.id },
        details: { scope: scope.level, route, version: active.version, host: active.host },
      });
      await this.writer.announce(manager, scope);
      return undefined;
    });
  }

  /**
   * For the verification endpoint: validates an unsaved `smtp_config` exactly like POST and applies the
   * same secret rules against the active version of the scope's `route` (a new destination must bring its own secrets).
   * Returns decrypted secrets: internal only. `path` prefixes field errors (e.g. `smtp_config`).
   */
  async prepareCandidate(
    scope: ConfigScope,
    rawSmtpConfig: unknown,
    path = 'smtp_config',
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<PreparedCandidate> {
    const candidate = validateSmtpConfig(rawSmtpConfig, path);
    const active = await this.writer.repository.findActive(this.writer.dataSource.manager, scope, route);
    const { secrets, refs } = resolveCandidateCredentials(candidate, active ? this.writer.storedSecrets(active) : null, path);
    return this.writer.withReferenced(scope, candidate.settings, secrets, refs, path);
  }
}

export function profileNotFound(scope: ConfigScope, route: ProfileRoute = PRIMARY_ROUTE): DomainError {
  return EmailConfigErrors.SMTP_PROFILE_NOT_FOUND(
    `This ${scope.level === 'org' ? 'organization' : 'partner'} has no ${route === PRIMARY_ROUTE ? '' : 'secondary '}SMTP profile of its own.`,
  );
}
