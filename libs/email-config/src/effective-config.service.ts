/**
 * Resolution of the effective SMTP profile: org (only while the org's smtp_override switch is on) →
 * partner → controller (environment) → NO_SMTP_CONFIG. A profile wins as a whole; fields of two
 * levels are never combined.
 *
 * This is on the hot path of every system email and of GET …/effective, so what resolution reads is
 * cached per replica in one LRU bounded by entries (EMAIL_CONFIG_CACHE_MAX_ENTRIES): per organization
 * its partner, its switch and its own profile; per partner its profile (which also proves it exists).
 * An organization's entry never copies its partner's profile, so a partner change drops one entry, and
 * 100,000 organizations of one partner share one profile object. A miss costs one indexed statement
 * (SmtpProfileRepository.findEffectiveForOrg) that also fills the partner's entry. Lookups of ids that
 * do not exist are not cached.
 *
 * Each level's entry holds both of its routes: the secondary that applies is the one of the level that
 * supplies the primary, so a scope never pairs one level's primary with another level's secondary (and
 * a secondary without a primary at its level is never used).
 *
 * Every change to the rows behind an entry is announced on the change bus, by the writer and by
 * database triggers (API writes, cascades, hand-run SQL); a bus reconnect drops everything. So entries
 * live long (EMAIL_CONFIG_CACHE_TTL_SECONDS bounds only the damage of something unforeseen). The
 * controller profile is this process's environment, read at start: it is never cached from the
 * database, and a restart with other values starts with an empty cache. A generation counter keeps a
 * load that raced an invalidation from caching what it read before the change.
 */
import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { notFound } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { ChangeBus } from '@mailstrata/database';
import { ORGANIZATION_TOPIC } from '@mailstrata/identity';
import { SecretCipher } from '@mailstrata/secrets';
import { LRUCache } from 'lru-cache';
import { ControllerProfile } from './controller-profile';
import { EmailConfigErrors } from './errors';
import { decryptSecrets, refsOfEntity, scopeOfEntity, secretFlagsOfEntity, settingsOfEntity } from './profile-codec';
import { ConfigScope, EffectiveProfile, EffectiveRoute, flagsOf, ProfileSource, ResolvedSmtpProfile } from './profile.model';
import { CONTROLLER_PROFILE } from './ports';
import { resolveWinner } from './resolution-rules';
import { DEVELOPMENT_SENDER, EffectiveSender, resolveSender, SenderDefaults } from './sender';
import { NO_REFS, ownerOfScope, readRefs, SecretRefOwner, SecretRefReader, SecretRefs } from './secret-refs';
import { SMTP_CONFIG_PATH } from './smtp-config.validation';
import { SmtpSecrets, SmtpSettings } from './smtp-settings';
import { SmtpProfileEntity } from './smtp-profile.entity';
import { RouteProfiles, SmtpProfileRepository } from './smtp-profile.repository';

export const EMAIL_CONFIG_TOPIC = 'email_config';

export interface OrgInfo {
  partnerId: string;
  smtpOverrideEnabled: boolean;
}

/** A stored primary profile, its level's secondary, and what every scope they serve shows of them (built once per load). */
interface ProfileEntry {
  entity: SmtpProfileEntity;
  view: Omit<EffectiveProfile, 'scope'>;
  secondary: SmtpProfileEntity | null;
}

interface OrgEntry extends OrgInfo {
  kind: 'org';
  /** The org's own profile, when its switch is on and it has one. */
  own: ProfileEntry | null;
}

interface PartnerEntry {
  kind: 'partner';
  profile: ProfileEntry | null;
}

type Entry = OrgEntry | PartnerEntry;

export interface ResolveOptions {
  /** false: do not read secret reference files (their secrets stay null). Default true. */
  readSecretFiles?: boolean;
  /**
   * true: also decrypt (and read the files of) the secondary route, for a sender that may fail over.
   * Default false: a caller that needs one route pays for one (`secondarySecrets` null).
   */
  withSecondary?: boolean;
}

export function scopeKey(scope: Pick<ConfigScope, 'level' | 'partnerId' | 'orgId'>): string {
  return scope.level === 'org' ? `org:${scope.orgId}` : `partner:${scope.partnerId}`;
}

@Injectable()
export class EffectiveConfigService implements OnModuleInit {
  private readonly logger = new Logger(EffectiveConfigService.name);
  private readonly senderDefaults: SenderDefaults;
  /** Keyed by `scopeKey`: `org:<id>` → OrgEntry, `partner:<id>` → PartnerEntry. */
  private readonly entries: LRUCache<string, Entry>;
  private controllerView: Omit<EffectiveProfile, 'scope'> | undefined;
  private generation = 0;

  constructor(
    private readonly profiles: SmtpProfileRepository,
    private readonly bus: ChangeBus,
    private readonly cipher: SecretCipher,
    private readonly refReader: SecretRefReader,
    @Optional() @Inject(CONTROLLER_PROFILE) private readonly controller: ControllerProfile | null,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'controllerSmtp' | 'http' | 'emailConfigCache'>,
  ) {
    this.senderDefaults = {
      controllerEmail: config.controllerSmtp?.senderEmail,
      controllerName: config.controllerSmtp?.senderName,
      publicUrl: config.http.publicUrl,
    };
    this.entries = new LRUCache<string, Entry>({ max: config.emailConfigCache.maxEntries, ttl: config.emailConfigCache.ttlMs });
  }

  /** The sender of a profile at `level` by the sender chain (profile, username, controller, PUBLIC_URL). */
  senderFor(settings: SmtpSettings, level: ProfileSource): EffectiveSender | null {
    return resolveSender(settings, level, this.senderDefaults);
  }

  onModuleInit(): void {
    if (this.controller) {
      // Once per process: which address the controller's route sends from, and why that one.
      const sender = this.senderFor(this.controller.settings, 'controller');
      if (sender?.email === DEVELOPMENT_SENDER)
        this.logger.warn(
          { sender: sender.email, sender_source: sender.source },
          'controller SMTP route sender: PUBLIC_URL names no mail domain, so emails come from a development address; set FW_EVENT_SMTP_SENDER_EMAIL or PUBLIC_URL',
        );
      else if (sender) this.logger.log({ sender: sender.email, sender_source: sender.source }, 'controller SMTP route sender');
      else
        this.logger.warn(
          'controller SMTP route has no sender: set FW_EVENT_SMTP_SENDER_EMAIL (or a PUBLIC_URL whose host can name no-reply@<host>)',
        );
    }
    this.bus.subscribe(EMAIL_CONFIG_TOPIC, (event) => {
      if ('reset' in event || !event.key) this.clear();
      else this.invalidateKey(event.key);
    });
    this.bus.subscribe(ORGANIZATION_TOPIC, (event) => {
      if ('reset' in event || !event.key) this.clear();
      else this.invalidateKey(`org:${event.key}`);
    });
  }

  /** Drops what a change at `key` (`partner:<id>` or `org:<id>`) affects. Also used locally after commit. */
  invalidateKey(key: string): void {
    this.generation += 1;
    // Organizations refer to their partner's entry by id, never by copy: one entry is all a change touches.
    this.entries.delete(key);
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /** How many entries the cache holds (bounded by EMAIL_CONFIG_CACHE_MAX_ENTRIES). */
  get cachedEntries(): number {
    return this.entries.size;
  }

  /**
   * Partner id and switch of an organization, or null if it does not exist. Cached; `fresh` reads the
   * database (writes use it, so a switch flipped a moment ago on this replica is honoured at once).
   */
  async orgInfo(orgId: string, options: { fresh?: boolean } = {}): Promise<OrgInfo | null> {
    if (options.fresh) return this.profiles.findOrg(orgId);
    return (await this.org(orgId))?.entry ?? null;
  }

  async partnerExists(partnerId: string): Promise<boolean> {
    return (await this.partner(partnerId)) !== null;
  }

  /** The effective profile for a scope, without secrets (for views). Throws NO_SMTP_CONFIG. */
  async effectiveFor(scope: ConfigScope): Promise<EffectiveProfile> {
    const winner = await this.winner(scope);
    return { ...this.viewOf(winner), scope: { level: scope.level, partnerId: scope.partnerId, orgId: scope.orgId } };
  }

  /**
   * Internal: the effective profile of an organization WITH decrypted secrets. Never return it over HTTP.
   * `readSecretFiles: false` leaves referenced secrets null (for callers that need the route, not its
   * credentials); otherwise a file that cannot be read throws SECRET_REF_UNAVAILABLE.
   */
  async resolveForOrg(orgId: string, options: ResolveOptions = {}): Promise<ResolvedSmtpProfile> {
    const info = await this.orgInfo(orgId);
    if (!info) throw notFound('Organization');
    return this.withSecrets({ level: 'org', partnerId: info.partnerId, orgId }, options);
  }

  /** Internal: the effective profile of a partner WITH decrypted secrets (see `resolveForOrg`). */
  async resolveForPartner(partnerId: string, options: ResolveOptions = {}): Promise<ResolvedSmtpProfile> {
    if (!(await this.partnerExists(partnerId))) throw notFound('Partner');
    return this.withSecrets({ level: 'partner', partnerId, orgId: null }, options);
  }

  private async withSecrets(scope: ConfigScope, options: ResolveOptions): Promise<ResolvedSmtpProfile> {
    const winner = await this.winner(scope);
    // The view first: with no level configured it throws NO_SMTP_CONFIG before secrets are looked for.
    const view = this.viewOf(winner);
    const readFiles = options.readSecretFiles ?? true;
    let secrets: { secrets: SmtpSecrets; secretsDigest?: string };
    if (!winner) secrets = readFiles ? this.controllerSecrets() : { secrets: this.controller!.secrets };
    else {
      const stored = decryptSecrets(this.cipher, winner.entity);
      const owner = ownerOfScope(scopeOfEntity(winner.entity));
      secrets = readFiles ? this.withReferenced(stored, refsOfEntity(winner.entity), owner) : { secrets: stored };
    }
    return {
      ...view,
      scope,
      ...secrets,
      ...(options.withSecondary ? this.secondaryWithSecrets(winner, readFiles) : { secondarySecrets: null }),
    };
  }

  /**
   * The secondary route's secrets (of the level that supplies the primary). A secondary whose referenced
   * file cannot be read now is left out, so the primary still delivers; failover resumes once it can be.
   */
  private secondaryWithSecrets(
    winner: ProfileEntry | null,
    readFiles: boolean,
  ): { secondarySecrets: SmtpSecrets | null; secondarySecretsDigest?: string } {
    if (!winner) return { secondarySecrets: this.controller!.secondary?.secrets ?? null };
    const second = winner.secondary;
    if (!second) return { secondarySecrets: null };
    const stored = decryptSecrets(this.cipher, second);
    if (!readFiles) return { secondarySecrets: stored };
    try {
      const read = this.withReferenced(stored, refsOfEntity(second), ownerOfScope(scopeOfEntity(second)));
      return { secondarySecrets: read.secrets, ...(read.secretsDigest ? { secondarySecretsDigest: read.secretsDigest } : {}) };
    } catch (error) {
      if (!EmailConfigErrors.SECRET_REF_UNAVAILABLE.is(error)) throw error;
      this.logger.warn(`the secondary route of ${scopeKey(scopeOfEntity(second))} is left out: a referenced secret cannot be read`);
      return { secondarySecrets: null };
    }
  }

  /**
   * Internal: the controller profile's secrets, referenced files read now. Throws NO_SMTP_CONFIG without a
   * controller profile and SECRET_REF_UNAVAILABLE when a referenced file cannot be read.
   */
  controllerSecrets(): { secrets: SmtpSecrets; secretsDigest?: string } {
    if (!this.controller) throw EmailConfigErrors.NO_SMTP_CONFIG('No controller SMTP configuration (FW_EVENT_SMTP_SERVER_ADDR).');
    return this.withReferenced(this.controller.secrets, this.controller.refs ?? NO_REFS, { kind: 'controller' });
  }

  /**
   * The referenced secrets read from their files on every resolution, so a rotated file is used at once.
   * A file that cannot be read fails the resolution (stage CONFIG for a delivery); its error names the
   * field and the reason, never the file's content.
   */
  private withReferenced(secrets: SmtpSecrets, refs: SecretRefs, owner: SecretRefOwner): { secrets: SmtpSecrets; secretsDigest?: string } {
    if (refs.password === null && refs.clientSecret === null && refs.clientKey === null) return { secrets };
    const read = readRefs(this.refReader, owner, refs, SMTP_CONFIG_PATH);
    if (read.errors.length > 0) {
      throw EmailConfigErrors.SECRET_REF_UNAVAILABLE(undefined, { errors: read.errors, extensions: { stage: 'CONFIG' } });
    }
    return { secrets: { ...secrets, ...read.values }, secretsDigest: read.digest };
  }

  /** What a scope's system emails use: a stored profile, or null for the controller level (or nothing). */
  private async winner(scope: ConfigScope): Promise<ProfileEntry | null> {
    const org = scope.level === 'org' && scope.orgId ? await this.org(scope.orgId) : undefined;
    if (org === null) throw notFound('Organization');
    // Nearly always a cache hit: an organization's miss fills its partner's entry in the same round trip.
    const partner = org?.partner ?? (await this.partner(org?.entry.partnerId ?? scope.partnerId));
    return resolveWinner({
      level: scope.level,
      orgOverrideEnabled: org?.entry.smtpOverrideEnabled ?? false,
      orgProfile: org?.entry.own ?? null,
      partnerProfile: partner?.profile ?? null,
      controllerConfigured: Boolean(this.controller),
    }).profile;
  }

  private viewOf(winner: ProfileEntry | null): Omit<EffectiveProfile, 'scope'> {
    if (winner) return winner.view;
    if (this.controller) {
      return (this.controllerView ??= Object.freeze({
        source: 'controller' as const,
        profileId: null,
        profilePartnerId: null,
        profileOrgId: null,
        version: null,
        settings: this.controller.settings,
        secretsSet: flagsOf(this.controller.secrets, this.controller.refs),
        sender: this.senderFor(this.controller.settings, 'controller'),
        secondary: this.controller.secondary
          ? Object.freeze({
              source: 'controller' as const,
              profileId: null,
              profilePartnerId: null,
              profileOrgId: null,
              version: null,
              settings: this.controller.secondary.settings,
              secretsSet: flagsOf(this.controller.secondary.secrets),
              sender: this.senderFor(this.controller.secondary.settings, 'controller'),
            })
          : null,
      }));
    }
    throw EmailConfigErrors.NO_SMTP_CONFIG(
      'No SMTP configuration applies here: no organization or partner profile, and no controller defaults (FW_EVENT_SMTP_SERVER_ADDR).',
    );
  }

  /** The org's entry; on a miss also the partner's entry read by the same statement. */
  private async org(orgId: string): Promise<{ entry: OrgEntry; partner?: PartnerEntry } | null> {
    const key = `org:${orgId}`;
    const hit = this.entries.get(key);
    if (hit?.kind === 'org') return { entry: hit };
    const generation = this.generation;
    const found = await this.profiles.findEffectiveForOrg(orgId);
    if (!found) return null;
    const entry: OrgEntry = {
      kind: 'org',
      partnerId: found.partnerId,
      smtpOverrideEnabled: found.smtpOverrideEnabled,
      own: this.entryOf(found.own),
    };
    const partnerKey = `partner:${found.partnerId}`;
    const cachedPartner = this.entries.get(partnerKey);
    const partner = cachedPartner?.kind === 'partner' ? cachedPartner : { kind: 'partner' as const, profile: this.entryOf(found.partner) };
    if (generation === this.generation) {
      this.entries.set(key, entry);
      if (partner !== cachedPartner) this.entries.set(partnerKey, partner);
    }
    return { entry, partner };
  }

  private async partner(partnerId: string): Promise<PartnerEntry | null> {
    const key = `partner:${partnerId}`;
    const hit = this.entries.get(key);
    if (hit?.kind === 'partner') return hit;
    const generation = this.generation;
    const found = await this.profiles.findEffectiveForPartner(partnerId);
    if (!found) return null;
    const entry: PartnerEntry = { kind: 'partner', profile: this.entryOf(found) };
    if (generation === this.generation) this.entries.set(key, entry);
    return entry;
  }

  /** A level's entry: null without a primary (a secondary alone is never used). */
  private entryOf(routes: RouteProfiles): ProfileEntry | null {
    if (!routes.primary) return null;
    const secondary = routes.secondary ? Object.freeze(this.routeViewOf(routes.secondary)) : null;
    const view = Object.freeze({ ...this.routeViewOf(routes.primary), secondary });
    return { entity: routes.primary, view, secondary: routes.secondary };
  }

  private routeViewOf(entity: SmtpProfileEntity): EffectiveRoute {
    const source = entity.orgId ? 'org' : 'partner';
    const settings = settingsOfEntity(entity);
    return {
      source,
      profileId: entity.id,
      profilePartnerId: entity.partnerId,
      profileOrgId: entity.orgId,
      version: entity.version,
      settings,
      secretsSet: secretFlagsOfEntity(entity),
      sender: this.senderFor(settings, source),
    };
  }
}
