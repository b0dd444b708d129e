/**
 * Resolution of the effective SMTP profile: org (only while the org's smtp_override switch is on) →
 * partner → controller (environment) → NO_SMTP_CONFIG. A profile wins as a whole; fields of two
 * levels are never combined.
 *
 * This is on the hot path of every system email and of GET …/effective, so resolutions and the small
 * facts about organizations that scoping needs are cached per replica. Changes to a profile
 * (EMAIL_CONFIG_TOPIC) or to an organization's switch (ORGANIZATION_TOPIC) are published on the change
 * bus and drop the affected entries on every replica; a bus reconnect drops everything; a short TTL
 * bounds the damage of anything missed. A generation counter keeps a load that raced an invalidation
 * from caching what it read before the change.
 */
import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { ChangeBus } from '@mailstrata/database';
import { ORGANIZATION_TOPIC, OrganizationEntity, PartnerEntity } from '@mailstrata/identity';
import { SecretCipher } from '@mailstrata/secrets';
import { LRUCache } from 'lru-cache';
import { DataSource, IsNull } from 'typeorm';
import { ControllerProfile } from './controller-profile';
import { decryptSecrets, secretFlagsOfEntity, settingsOfEntity } from './profile-codec';
import { ConfigScope, EffectiveProfile, flagsOf, ProfileSource, ResolvedSmtpProfile } from './profile.model';
import { CONTROLLER_PROFILE } from './ports';
import { resolveWinner, ResolutionWinner } from './resolution-rules';
import { EffectiveSender, resolveSender, SenderDefaults } from './sender';
import { SmtpSettings } from './smtp-settings';
import { SmtpProfileEntity } from './smtp-profile.entity';

export const EMAIL_CONFIG_TOPIC = 'email_config';
const SAFETY_TTL_MS = 15_000;

export interface OrgInfo {
  partnerId: string;
  smtpOverrideEnabled: boolean;
}

interface Resolution {
  scope: ConfigScope;
  /** Which level won (resolution-rules.ts). */
  source: ResolutionWinner<SmtpProfileEntity>['source'];
  /** The winning stored profile, or null when the controller level (or nothing) applies. */
  profile: SmtpProfileEntity | null;
  /** Built once per cached resolution: the hot path hands out the same frozen object. */
  effective?: EffectiveProfile;
}

export function scopeKey(scope: Pick<ConfigScope, 'level' | 'partnerId' | 'orgId'>): string {
  return scope.level === 'org' ? `org:${scope.orgId}` : `partner:${scope.partnerId}`;
}

@Injectable()
export class EffectiveConfigService implements OnModuleInit {
  private readonly logger = new Logger(EffectiveConfigService.name);
  private readonly senderDefaults: SenderDefaults;
  private readonly resolutions = new LRUCache<string, Resolution>({ max: 50_000, ttl: SAFETY_TTL_MS });
  private readonly orgs = new LRUCache<string, OrgInfo>({ max: 100_000, ttl: SAFETY_TTL_MS });
  private readonly partners = new LRUCache<string, true>({ max: 20_000, ttl: SAFETY_TTL_MS });
  private generation = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: ChangeBus,
    private readonly cipher: SecretCipher,
    @Optional() @Inject(CONTROLLER_PROFILE) private readonly controller: ControllerProfile | null,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'controllerSmtp' | 'http'>,
  ) {
    this.senderDefaults = {
      controllerEmail: config.controllerSmtp?.senderEmail,
      controllerName: config.controllerSmtp?.senderName,
      publicUrl: config.http.publicUrl,
    };
  }

  /** The sender of a profile at `level` by the sender chain (profile, username, controller, PUBLIC_URL). */
  senderFor(settings: SmtpSettings, level: ProfileSource): EffectiveSender | null {
    return resolveSender(settings, level, this.senderDefaults);
  }

  onModuleInit(): void {
    if (this.controller) {
      // Once per process: which address the controller's route sends from, and why that one.
      const sender = this.senderFor(this.controller.settings, 'controller');
      if (sender) this.logger.log({ sender: sender.email, sender_source: sender.source }, 'controller SMTP route sender');
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
      if ('reset' in event || !event.key) return this.clear();
      this.generation += 1;
      this.orgs.delete(event.key);
      this.resolutions.delete(`org:${event.key}`);
    });
  }

  /** Drops what a profile change at `key` (`partner:<id>` or `org:<id>`) affects. Also used locally after commit. */
  invalidateKey(key: string): void {
    this.generation += 1;
    this.resolutions.delete(key);
    if (key.startsWith('partner:')) {
      const partnerId = key.slice('partner:'.length);
      for (const [k, v] of this.resolutions.entries()) if (v.scope.partnerId === partnerId) this.resolutions.delete(k);
    }
  }

  clear(): void {
    this.generation += 1;
    this.resolutions.clear();
    this.orgs.clear();
    this.partners.clear();
  }

  /**
   * Partner id and switch of an organization, or null if it does not exist. Cached; `fresh` reads the
   * database (writes use it, so a switch flipped a moment ago on this replica is honoured at once).
   */
  async orgInfo(orgId: string, options: { fresh?: boolean } = {}): Promise<OrgInfo | null> {
    const hit = options.fresh ? undefined : this.orgs.get(orgId);
    if (hit) return hit;
    const generation = this.generation;
    const org = await this.dataSource.manager.findOne(OrganizationEntity, {
      where: { id: orgId },
      select: { id: true, partnerId: true, smtpOverrideEnabled: true },
    });
    if (!org) return null;
    const info = { partnerId: org.partnerId, smtpOverrideEnabled: org.smtpOverrideEnabled };
    if (generation === this.generation) this.orgs.set(orgId, info);
    return info;
  }

  async partnerExists(partnerId: string): Promise<boolean> {
    if (this.partners.get(partnerId)) return true;
    const found = await this.dataSource.manager.exists(PartnerEntity, { where: { id: partnerId } });
    if (found) this.partners.set(partnerId, true);
    return found;
  }

  /** The effective profile for a scope, without secrets (for views). Throws NO_SMTP_CONFIG. */
  async effectiveFor(scope: ConfigScope): Promise<EffectiveProfile> {
    const resolution = await this.resolution(scope);
    resolution.effective ??= Object.freeze(this.build(resolution));
    return resolution.effective;
  }

  private build({ scope, source, profile }: Resolution): EffectiveProfile {
    if (profile) {
      return {
        source: profile.orgId ? 'org' : 'partner',
        scope,
        profileId: profile.id,
        profilePartnerId: profile.partnerId,
        profileOrgId: profile.orgId,
        version: profile.version,
        settings: settingsOfEntity(profile),
        secretsSet: secretFlagsOfEntity(profile),
        sender: this.senderFor(settingsOfEntity(profile), profile.orgId ? 'org' : 'partner'),
      };
    }
    if (source === 'controller' && this.controller) {
      return {
        source: 'controller',
        scope,
        profileId: null,
        profilePartnerId: null,
        profileOrgId: null,
        version: null,
        settings: this.controller.settings,
        secretsSet: flagsOf(this.controller.secrets),
        sender: this.senderFor(this.controller.settings, 'controller'),
      };
    }
    throw new DomainError(
      'NO_SMTP_CONFIG',
      'not_found',
      'No SMTP configuration applies here: no organization or partner profile, and no controller defaults (FW_EVENT_SMTP_SERVER_ADDR).',
    );
  }

  /** Internal: the effective profile of an organization WITH decrypted secrets. Never return it over HTTP. */
  async resolveForOrg(orgId: string): Promise<ResolvedSmtpProfile> {
    const info = await this.orgInfo(orgId);
    if (!info) throw DomainError.notFound('Organization');
    return this.withSecrets({ level: 'org', partnerId: info.partnerId, orgId });
  }

  /** Internal: the effective profile of a partner WITH decrypted secrets. */
  async resolveForPartner(partnerId: string): Promise<ResolvedSmtpProfile> {
    if (!(await this.partnerExists(partnerId))) throw DomainError.notFound('Partner');
    return this.withSecrets({ level: 'partner', partnerId, orgId: null });
  }

  private async withSecrets(scope: ConfigScope): Promise<ResolvedSmtpProfile> {
    const effective = await this.effectiveFor(scope);
    const resolution = await this.resolution(scope);
    const secrets = resolution.profile ? decryptSecrets(this.cipher, resolution.profile) : this.controller!.secrets;
    return { ...effective, secrets };
  }

  private async resolution(scope: ConfigScope): Promise<Resolution> {
    const key = scopeKey(scope);
    const hit = this.resolutions.get(key);
    if (hit) return hit;
    const generation = this.generation;
    const resolution = await this.load(scope);
    if (generation === this.generation) this.resolutions.set(key, resolution);
    return resolution;
  }

  private async load(scope: ConfigScope): Promise<Resolution> {
    const repo = this.dataSource.getRepository(SmtpProfileEntity);
    const info = scope.level === 'org' && scope.orgId ? await this.orgInfo(scope.orgId) : null;
    const orgOverrideEnabled = info?.smtpOverrideEnabled ?? false;
    // Reads only what can change the outcome: the org's own profile while its switch is on, the partner's when that is absent.
    const orgProfile = orgOverrideEnabled && scope.orgId ? await repo.findOneBy({ orgId: scope.orgId }) : null;
    const partnerProfile = orgProfile ? null : await repo.findOneBy({ partnerId: scope.partnerId, orgId: IsNull() });
    const winner = resolveWinner({
      level: scope.level,
      orgOverrideEnabled,
      orgProfile,
      partnerProfile,
      controllerConfigured: this.controller !== null && this.controller !== undefined,
    });
    return { scope, ...winner };
  }
}
