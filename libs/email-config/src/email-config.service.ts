/**
 * The scope's own SMTP profile: read, create-or-replace, patch, delete, and the preparation of an
 * unsaved candidate for the verification endpoint. Every write runs in one transaction that takes a
 * per-scope advisory lock (so concurrent writers serialise and a scope never gets two active profiles on
 * a route), checks the ETag precondition, applies the secret rules, writes the audit event and publishes
 * the change. Every operation names a route (`primary` unless told): a secondary needs a primary on the
 * same scope, and a primary cannot be deleted while its secondary exists, so a level's routes always
 * come as a pair or a primary alone. The lock is per scope, not per route, so these checks hold under
 * concurrent writers. Rows are found through SmtpProfileRepository.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditWriter } from '@mailstrata/audit';
import { CommonErrors, DomainError } from '@mailstrata/common';
import { ChangeBus } from '@mailstrata/database';
import { DestinationRefusedError, MailerErrors } from '@mailstrata/mailer';
import { Actor } from '@mailstrata/identity';
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource, EntityManager } from 'typeorm';
import { EMAIL_CONFIG_TOPIC, EffectiveConfigService, scopeKey } from './effective-config.service';
import { EmailConfigCreated, EmailConfigDeleted, EmailConfigUpdated } from './email-config.events';
import { EmailConfigErrors } from './errors';
import { applyToEntity, decryptSecrets, settingsOfEntity, storedProfileOf } from './profile-codec';
import { ConfigScope, etagOf, profileTagOf, StoredProfile } from './profile.model';
import { SMTP_DESTINATION_POLICY, SmtpDestinationPolicy } from './ports';
import { changedFields, resolveCandidateSecrets, StoredProfileSecrets } from './secret-rules';
import { mergeSmtpPatch, SMTP_CONFIG_PATH, validateSmtpConfig } from './smtp-config.validation';
import { PRIMARY_ROUTE, ProfileRoute, SmtpProfileEntity } from './smtp-profile.entity';
import { SmtpProfileRepository } from './smtp-profile.repository';
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
  secrets: SmtpSecrets;
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
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    private readonly audit: AuditWriter,
    private readonly bus: ChangeBus,
    private readonly effective: EffectiveConfigService,
    private readonly repository: SmtpProfileRepository,
    @Optional() @Inject(SMTP_DESTINATION_POLICY) private readonly destinationPolicy: SmtpDestinationPolicy | undefined,
  ) {}

  /** The scope's own profile (no secrets). Throws 404 SMTP_PROFILE_NOT_FOUND. */
  async get(scope: ConfigScope, route: ProfileRoute = PRIMARY_ROUTE): Promise<StoredProfile> {
    const entity = await this.repository.findActive(this.dataSource.manager, scope, route);
    if (!entity) throw this.notFound(scope, route);
    return storedProfileOf(entity);
  }

  /** POST: creates (created=true) or replaces the scope's profile as a whole. */
  async createOrReplace(
    actor: Actor,
    scope: ConfigScope,
    rawSmtpConfig: unknown,
    preconditions: Preconditions = {},
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<WriteResult> {
    const candidate = validateSmtpConfig(rawSmtpConfig);
    await this.checkDestination(candidate.settings);
    return this.write(scope, route, async (manager, existing) => {
      checkPreconditions(existing, preconditions);
      if (!existing && route !== PRIMARY_ROUTE && !(await this.repository.findActive(manager, scope, PRIMARY_ROUTE))) {
        throw EmailConfigErrors.PRIMARY_ROUTE_REQUIRED();
      }
      const stored = existing ? this.storedSecrets(existing) : null;
      const secrets = resolveCandidateSecrets(candidate, stored);
      return this.save(manager, actor, scope, existing, stored, candidate.settings, secrets, route);
    });
  }

  /** PATCH: merges the given fields onto the stored profile, then validates the result like POST. */
  async patch(
    actor: Actor,
    scope: ConfigScope,
    rawPatch: unknown,
    preconditions: Preconditions = {},
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<WriteResult> {
    return this.write(scope, route, async (manager, existing) => {
      if (!existing) throw this.notFound(scope, route);
      checkPreconditions(existing, preconditions);
      const stored = this.storedSecrets(existing);
      const candidate = validateSmtpConfig(mergeSmtpPatch(stored.settings, rawPatch));
      const secrets = resolveCandidateSecrets(candidate, stored);
      if (changedFields(stored, { settings: candidate.settings, secrets }).length === 0) {
        return { profile: storedProfileOf(existing), created: false };
      }
      await this.checkDestination(candidate.settings);
      return this.save(manager, actor, scope, existing, stored, candidate.settings, secrets, route);
    });
  }

  /** DELETE: removes the scope's profile; the level above applies at once. */
  async delete(actor: Actor, scope: ConfigScope, preconditions: Preconditions = {}, route: ProfileRoute = PRIMARY_ROUTE): Promise<void> {
    await this.write(scope, route, async (manager, existing) => {
      if (!existing) throw this.notFound(scope, route);
      checkPreconditions(existing, preconditions);
      if (route === PRIMARY_ROUTE && (await this.repository.findActive(manager, scope, 'secondary'))) {
        throw EmailConfigErrors.SECONDARY_ROUTE_EXISTS();
      }
      await this.repository.remove(manager, existing);
      await this.audit.record(manager, EmailConfigDeleted, {
        outcome: 'success',
        actor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'smtp_profile', id: existing.id },
        details: { scope: scope.level, route, version: existing.version, host: existing.host },
      });
      await this.bus.publish(manager, { topic: EMAIL_CONFIG_TOPIC, key: scopeKey(scope) });
      return undefined;
    });
  }

  /**
   * For the verification endpoint: validates an unsaved `smtp_config` exactly like POST and applies the
   * same secret rules against the scope's stored profile (a new destination must bring its own secrets).
   * Returns decrypted secrets: internal only. `path` prefixes field errors (e.g. `smtp_config`).
   */
  async prepareCandidate(scope: ConfigScope, rawSmtpConfig: unknown, path = 'smtp_config'): Promise<PreparedCandidate> {
    const candidate = validateSmtpConfig(rawSmtpConfig, path);
    const existing = await this.repository.findActive(this.dataSource.manager, scope);
    const secrets = resolveCandidateSecrets(candidate, existing ? this.storedSecrets(existing) : null, path);
    return { settings: candidate.settings, secrets };
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async write<T>(
    scope: ConfigScope,
    route: ProfileRoute,
    work: (manager: EntityManager, existing: SmtpProfileEntity | null) => Promise<T>,
  ): Promise<T> {
    const result = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`smtp_profile:${scopeKey(scope)}`]);
      return work(manager, await this.repository.findActive(manager, scope, route));
    });
    // This replica need not wait for its own notification.
    this.effective.invalidateKey(scopeKey(scope));
    return result;
  }

  private async save(
    manager: EntityManager,
    actor: Actor,
    scope: ConfigScope,
    existing: SmtpProfileEntity | null,
    stored: StoredProfileSecrets | null,
    settings: SmtpSettings,
    secrets: SmtpSecrets,
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<WriteResult> {
    const now = new Date();
    const entity = existing ?? this.repository.newActive(manager, scope, randomUUID(), now, route);
    applyToEntity(this.cipher, entity, settings, secrets);
    entity.version += 1;
    entity.updatedAt = now;
    entity.updatedById = actor.id ?? null;
    entity.updatedByEmail = actor.email ?? null;
    await this.repository.save(manager, entity);
    await this.audit.record(manager, existing ? EmailConfigUpdated : EmailConfigCreated, {
      outcome: 'success',
      actor,
      partnerId: scope.partnerId,
      orgId: scope.orgId,
      resource: { type: 'smtp_profile', id: entity.id },
      details: {
        scope: scope.level,
        route,
        version: entity.version,
        changed_fields: changedFields(stored, { settings, secrets }),
        host: settings.host,
        port: settings.port,
        tls_mode: settings.tlsMode,
        auth_type: settings.authType,
      },
    });
    await this.bus.publish(manager, { topic: EMAIL_CONFIG_TOPIC, key: scopeKey(scope) });
    return { profile: storedProfileOf(entity), created: existing === null };
  }

  private storedSecrets(entity: SmtpProfileEntity): StoredProfileSecrets {
    return { settings: settingsOfEntity(entity), secrets: decryptSecrets(this.cipher, entity) };
  }

  /**
   * The egress guard at save: the SMTP host and, for OAuth2, the token endpoint (the client secret and
   * request headers go there, so it must not be an internal address either). The token endpoint's
   * refusal names its field; the answer stays the guard's uniform one otherwise.
   */
  private async checkDestination(settings: SmtpSettings): Promise<void> {
    if (!this.destinationPolicy) return;
    await namingField(this.destinationPolicy.check(settings.host, settings.port), (error) =>
      error instanceof DestinationRefusedError && error.refused === 'port' ? 'port' : 'host',
    );
    if (settings.oauth2) {
      await namingField(this.destinationPolicy.checkTokenEndpoint(settings.oauth2.tokenEndpoint), () => 'oauth2.token_endpoint');
    }
  }

  private notFound(scope: ConfigScope, route: ProfileRoute = PRIMARY_ROUTE): DomainError {
    return EmailConfigErrors.SMTP_PROFILE_NOT_FOUND(
      `This ${scope.level === 'org' ? 'organization' : 'partner'} has no ${route === PRIMARY_ROUTE ? '' : 'secondary '}SMTP profile of its own.`,
    );
  }
}

/** The guard's refusal, with the field of the request it concerns (so a form shows it beside that field). */
async function namingField(check: Promise<void>, field: (error: DomainError) => string): Promise<void> {
  try {
    await check;
  } catch (error) {
    if (!MailerErrors.SMTP_DESTINATION_REFUSED.is(error) || error.errors.length > 0) throw error;
    throw MailerErrors.SMTP_DESTINATION_REFUSED(error.detail, {
      errors: [
        {
          field: `${SMTP_CONFIG_PATH}.${field(error)}`,
          rule: 'egressAllowed',
          message: 'is not a destination this installation may connect to',
        },
      ],
    });
  }
}
