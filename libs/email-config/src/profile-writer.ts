/**
 * The one way a profile version is written: a transaction that takes the scope's advisory lock (so
 * concurrent writers serialise, version numbers never collide and a scope never gets two active
 * versions on a route), then inserts an immutable version row with its secrets encrypted for that row,
 * the audit event, and the change-bus announcement, all in that transaction. Internal to this library:
 * EmailConfigService (the seed's POST/PATCH/DELETE) and ProfileVersionsService (drafts, activation) use it.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEventDefinition, AuditWriter } from '@mailstrata/audit';
import { DomainError, validationFailed } from '@mailstrata/common';
import { ChangeBus } from '@mailstrata/database';
import { Actor } from '@mailstrata/identity';
import { DestinationRefusedError, MailerErrors } from '@mailstrata/mailer';
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource, EntityManager } from 'typeorm';
import { EMAIL_CONFIG_TOPIC, EffectiveConfigService, scopeKey } from './effective-config.service';
import { applyRefsToEntity, applyToEntity, decryptSecrets, refsOfEntity, settingsOfEntity } from './profile-codec';
import { ConfigScope } from './profile.model';
import { SMTP_DESTINATION_POLICY, SmtpDestinationPolicy } from './ports';
import { NO_REFS, ownerOfScope, readRefs, SecretRefReader, SecretRefs } from './secret-refs';
import { changedFields, checkClientKey, resolveCandidateCredentials, StoredProfileSecrets } from './secret-rules';
import { SMTP_CONFIG_PATH } from './smtp-config.validation';
import { PRIMARY_ROUTE, ProfileRoute, ProfileState, SmtpProfileEntity } from './smtp-profile.entity';
import { SmtpProfileRepository } from './smtp-profile.repository';
import { SmtpCandidate, SmtpSecrets, SmtpSettings } from './smtp-settings';

/** A validated candidate to save as the next version, with the version its omitted secrets may come from. */
export interface CandidateVersion extends Pick<NewVersion, 'base' | 'active' | 'route' | 'state' | 'event'> {
  candidate: SmtpCandidate;
  /** Save nothing (answer null) when the candidate equals `base` (a PATCH that changes nothing). */
  unlessUnchanged?: boolean;
}

/** What a new version holds and what it replaces. */
export interface NewVersion {
  /** The version it derives from (secrets' and changed fields' reference); null: none. */
  base: SmtpProfileEntity | null;
  /** The version in force now, which an `active` new version supersedes. */
  active: SmtpProfileEntity | null;
  settings: SmtpSettings;
  secrets: SmtpSecrets;
  /** Secret references standing in for secrets (none when omitted). */
  refs?: SecretRefs;
  /** The route of the scope it is a version of (primary when omitted). */
  route?: ProfileRoute;
  state: Extract<ProfileState, 'active' | 'draft'>;
  event: AuditEventDefinition<
    'scope' | 'route' | 'version' | 'based_on_version' | 'changed_fields' | 'host' | 'port' | 'tls_mode' | 'auth_type'
  >;
}

@Injectable()
export class ProfileWriter {
  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    readonly audit: AuditWriter,
    private readonly bus: ChangeBus,
    private readonly effective: EffectiveConfigService,
    readonly repository: SmtpProfileRepository,
    private readonly refReader: SecretRefReader,
    @Optional() @Inject(SMTP_DESTINATION_POLICY) private readonly destinationPolicy: SmtpDestinationPolicy | undefined,
  ) {}

  /**
   * Runs `work` in a transaction holding the scope's write lock (one for both routes), with the active
   * version of the scope's `route`.
   */
  async write<T>(
    scope: ConfigScope,
    route: ProfileRoute,
    work: (manager: EntityManager, active: SmtpProfileEntity | null) => Promise<T>,
  ): Promise<T> {
    const result = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`smtp_profile:${scopeKey(scope)}`]);
      return work(manager, await this.repository.findActive(manager, scope, route));
    });
    // This replica need not wait for its own notification.
    this.effective.invalidateKey(scopeKey(scope));
    return result;
  }

  /**
   * The one way a candidate becomes a version: the secret rules against `base` (omitted secrets and
   * references follow an unchanged destination only), its referenced files readable now, its destination
   * allowed, then `insertVersion`.
   */
  async insertCandidate(manager: EntityManager, actor: Actor, scope: ConfigScope, v: CandidateVersion): Promise<SmtpProfileEntity | null> {
    const { settings } = v.candidate;
    const stored = v.base ? this.storedSecrets(v.base) : null;
    const { secrets, refs } = resolveCandidateCredentials(v.candidate, stored);
    if (v.unlessUnchanged && changedFields(stored, { settings, secrets, refs }).length === 0) return null;
    this.readReferenced(scope, settings, refs, SMTP_CONFIG_PATH);
    await this.checkDestination(settings);
    return this.insertVersion(manager, actor, scope, { ...v, settings, secrets, refs });
  }

  /** Inserts the next version of the scope (superseding the active one when the new one is active), audited. */
  async insertVersion(manager: EntityManager, actor: Actor, scope: ConfigScope, v: NewVersion): Promise<SmtpProfileEntity> {
    const now = new Date();
    const stored = v.base ? this.storedSecrets(v.base) : null;
    const route = v.route ?? PRIMARY_ROUTE;
    const entity = this.repository.newVersion(manager, scope, {
      id: randomUUID(),
      version: await this.repository.nextVersionNumber(manager, scope, route),
      state: v.state,
      now,
      route,
    });
    // Encrypted for this row: a secret carried over from the base is re-encrypted, never copied.
    const refs = v.refs ?? NO_REFS;
    applyToEntity(this.cipher, entity, v.settings, v.secrets);
    applyRefsToEntity(entity, refs);
    entity.basedOnVersion = v.base?.version ?? null;
    entity.changedFields = changedFields(stored, { settings: v.settings, secrets: v.secrets, refs });
    entity.updatedById = actor.id ?? null;
    entity.updatedByEmail = actor.email ?? null;
    entity.updatedByType = actor.id ? (actor.type ?? 'user') : null;
    if (v.state === 'active' && v.active) await this.repository.setState(manager, v.active, 'superseded', now);
    await this.repository.insert(manager, entity);
    await this.audit.record(manager, v.event, {
      outcome: 'success',
      actor,
      partnerId: scope.partnerId,
      orgId: scope.orgId,
      resource: { type: 'smtp_profile', id: entity.id },
      details: {
        scope: scope.level,
        route,
        version: entity.version,
        based_on_version: entity.basedOnVersion,
        changed_fields: entity.changedFields,
        host: v.settings.host,
        port: v.settings.port,
        tls_mode: v.settings.tlsMode,
        auth_type: v.settings.authType,
      },
    });
    if (v.state === 'active') await this.announce(manager, scope);
    return entity;
  }

  /** Tells every replica that what the scope resolves to changed (the triggers say so too). */
  async announce(manager: EntityManager, scope: ConfigScope): Promise<void> {
    await this.bus.publish(manager, { topic: EMAIL_CONFIG_TOPIC, key: scopeKey(scope) });
  }

  storedSecrets(entity: SmtpProfileEntity): StoredProfileSecrets {
    return { settings: settingsOfEntity(entity), secrets: decryptSecrets(this.cipher, entity), refs: refsOfEntity(entity) };
  }

  /**
   * Every secret reference must name a readable, non-empty file inside the scope's own directory now:
   * otherwise 400 VALIDATION_FAILED naming the field and the reason (never the file's content). A
   * referenced client key must also be the key of client_cert. Returns what was read (internal only).
   */
  readReferenced(scope: ConfigScope, settings: SmtpSettings, refs: SecretRefs, path: string): ReturnType<typeof readRefs> {
    const read = readRefs(this.refReader, ownerOfScope(scope), refs, path);
    if (read.errors.length > 0) throw validationFailed(read.errors, 'A secret reference cannot be used.');
    if (settings.clientCert && read.values.clientKey !== undefined) {
      checkClientKey(settings.clientCert, read.values.clientKey, `${path}.client_key_ref`);
    }
    return read;
  }

  /** Settings with their secrets, referenced ones read from their files now (for a test email). Internal only. */
  withReferenced(
    scope: ConfigScope,
    settings: SmtpSettings,
    secrets: SmtpSecrets,
    refs: SecretRefs,
    path: string,
  ): { settings: SmtpSettings; secrets: SmtpSecrets; secretsDigest?: string } {
    const read = this.readReferenced(scope, settings, refs, path);
    return { settings, secrets: { ...secrets, ...read.values }, ...(read.digest ? { secretsDigest: read.digest } : {}) };
  }

  /**
   * The egress guard at save: the SMTP host and, for OAuth2, the token endpoint (the client secret and
   * request headers go there, so it must not be an internal address either). The token endpoint's
   * refusal names its field; the answer stays the guard's uniform one otherwise.
   */
  async checkDestination(settings: SmtpSettings): Promise<void> {
    if (!this.destinationPolicy) return;
    await namingFields(this.destinationPolicy.check(settings.host, settings.port), (error) =>
      error instanceof DestinationRefusedError ? error.refused : ['host'],
    );
    if (settings.oauth2) {
      await namingFields(this.destinationPolicy.checkTokenEndpoint(settings.oauth2.tokenEndpoint), () => ['oauth2.token_endpoint']);
    }
  }
}

/** The guard's refusal, with the fields of the request it concerns (so a form shows it beside each field). */
async function namingFields(check: Promise<void>, fields: (error: DomainError) => readonly string[]): Promise<void> {
  try {
    await check;
  } catch (error) {
    if (!MailerErrors.SMTP_DESTINATION_REFUSED.is(error) || error.errors.length > 0) throw error;
    throw MailerErrors.SMTP_DESTINATION_REFUSED(error.detail, {
      errors: fields(error).map((field) => ({
        field: `${SMTP_CONFIG_PATH}.${field}`,
        rule: 'egressAllowed',
        message: 'is not a destination this installation may connect to',
      })),
    });
  }
}
