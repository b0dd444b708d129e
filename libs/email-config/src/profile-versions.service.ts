/**
 * The history of a scope's profile and what can be done with it: list the versions, read one, save a
 * draft (a version not in force), and activate a version — a draft, or an earlier version again (a
 * rollback) — in one transaction with the ETag of the version in force as precondition. A draft
 * borrows stored secrets only from the version it is based on and only while the destination is
 * unchanged (secret-rules); an activated version brings its own secrets, encrypted for its own row, so
 * activation never moves a secret. Never returns a secret except through `prepareVersion` (internal).
 */
import { Injectable } from '@nestjs/common';
import { fieldError } from '@mailstrata/common';
import { Actor } from '@mailstrata/identity';
import { EntityManager } from 'typeorm';
import { Preconditions, PreparedCandidate, checkPreconditions } from './email-config.service';
import { EmailConfigActivated, EmailConfigDraftCreated } from './email-config.events';
import { EmailConfigErrors } from './errors';
import { refsOfEntity, settingsOfEntity, storedProfileOf } from './profile-codec';
import { ConfigScope, StoredProfile } from './profile.model';
import { ProfileWriter } from './profile-writer';
import { NO_REFS } from './secret-refs';
import { mergeSmtpPatch, validateSmtpConfig } from './smtp-config.validation';
import { PRIMARY_ROUTE, ProfileRoute, SmtpProfileEntity } from './smtp-profile.entity';

/** Newest first; `before` (a version number) pages further back. */
export interface VersionPage {
  limit: number;
  before?: number;
}

export interface ActivationResult {
  profile: StoredProfile;
  /** False when the version was already in force (nothing written, nothing audited). */
  changed: boolean;
}

export interface DraftInput {
  /** A whole `smtp_config` (no `basedOn`), or the fields to change on version `basedOn`. */
  smtpConfig: unknown;
  basedOn?: number;
}

export const MAX_VERSION_PAGE = 100;

@Injectable()
export class ProfileVersionsService {
  constructor(private readonly writer: ProfileWriter) {}

  async list(scope: ConfigScope, page: VersionPage, route: ProfileRoute = PRIMARY_ROUTE): Promise<StoredProfile[]> {
    const limit = Math.min(Math.max(page.limit, 1), MAX_VERSION_PAGE);
    const rows = await this.writer.repository.listVersions(this.writer.dataSource.manager, scope, { ...page, limit }, route);
    return rows.map(storedProfileOf);
  }

  /** One version of the scope (any state). Throws 404 SMTP_PROFILE_VERSION_NOT_FOUND. */
  async get(scope: ConfigScope, version: number, route: ProfileRoute = PRIMARY_ROUTE): Promise<StoredProfile> {
    return storedProfileOf(await this.find(scope, version, route));
  }

  /**
   * Saves a draft: the whole `smtp_config` validated like POST with the active version as its base, or,
   * with `basedOn`, the given fields merged onto that version (like PATCH). Nothing in force changes.
   */
  async saveDraft(actor: Actor, scope: ConfigScope, input: DraftInput, route: ProfileRoute = PRIMARY_ROUTE): Promise<StoredProfile> {
    return this.writer.write(scope, route, async (manager, active) => {
      const base = input.basedOn === undefined ? active : await this.find(scope, input.basedOn, route, 'based_on', manager);
      const stored = base ? this.writer.storedSecrets(base) : null;
      const candidate = validateSmtpConfig(
        input.basedOn !== undefined && stored ? mergeSmtpPatch(stored.settings, input.smtpConfig) : input.smtpConfig,
      );
      const entity = await this.writer.insertCandidate(manager, actor, scope, {
        candidate,
        base,
        active,
        route,
        state: 'draft',
        event: EmailConfigDraftCreated,
      });
      return storedProfileOf(entity!);
    });
  }

  /**
   * Puts version `version` in force: the active one (if any) is superseded in the same transaction.
   * Preconditions apply to the version in force now (If-Match: its ETag or `*`; If-None-Match: `*` when
   * none may be). Activating the version already in force changes nothing.
   */
  async activate(
    actor: Actor,
    scope: ConfigScope,
    version: number,
    preconditions: Preconditions = {},
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<ActivationResult> {
    return this.writer.write(scope, route, async (manager, active) => {
      checkPreconditions(active, preconditions);
      const target = await this.find(scope, version, route, undefined, manager);
      if (target.state === 'active') return { profile: storedProfileOf(target), changed: false };
      const settings = settingsOfEntity(target);
      // The egress rules, and the files its secret references name, may have changed since it was saved.
      await this.writer.checkDestination(settings);
      this.writer.readReferenced(scope, settings, refsOfEntity(target), 'version');
      const previousState = target.state;
      const now = new Date();
      if (active) await this.writer.repository.setState(manager, active, 'superseded', now);
      await this.writer.repository.setState(manager, target, 'active', now);
      await this.writer.audit.record(manager, EmailConfigActivated, {
        outcome: 'success',
        actor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'smtp_profile', id: target.id },
        details: {
          scope: scope.level,
          route,
          version: target.version,
          from_version: active?.version ?? null,
          previous_state: previousState,
          rollback: previousState === 'superseded',
          host: settings.host,
          port: settings.port,
          tls_mode: settings.tlsMode,
          auth_type: settings.authType,
        },
      });
      await this.writer.announce(manager, scope);
      return { profile: storedProfileOf(target), changed: true };
    });
  }

  /** For the verification endpoint: a version's settings WITH its decrypted secrets. Internal only. */
  async prepareVersion(
    scope: ConfigScope,
    version: number,
    route: ProfileRoute = PRIMARY_ROUTE,
  ): Promise<PreparedCandidate & { profile: StoredProfile }> {
    const entity = await this.find(scope, version, route, 'version');
    const { settings, secrets, refs } = this.writer.storedSecrets(entity);
    return { ...this.writer.withReferenced(scope, settings, secrets, refs ?? NO_REFS, 'version'), profile: storedProfileOf(entity) };
  }

  private async find(
    scope: ConfigScope,
    version: number,
    route: ProfileRoute,
    field?: string,
    manager: EntityManager = this.writer.dataSource.manager,
  ): Promise<SmtpProfileEntity> {
    const entity = await this.writer.repository.findVersion(manager, scope, version, route);
    if (!entity) {
      throw EmailConfigErrors.SMTP_PROFILE_VERSION_NOT_FOUND(
        `This ${scope.level === 'org' ? 'organization' : 'partner'} has no SMTP profile version ${version}.`,
        field ? { errors: [fieldError(field, 'versionExists', 'must name a version of this scope’s profile')] } : undefined,
      );
    }
    return entity;
  }
}
