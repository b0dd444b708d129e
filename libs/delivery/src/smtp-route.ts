/**
 * Where a profile becomes a route: the mapping from email-config's resolved profile (decrypted secrets
 * included) to the mailer's `SmtpTarget`, and the resolver the delivery worker (and the setup emails)
 * call at send time. Delivery sits above both libraries, so it reads email-config's resolution directly
 * and hands the mailer a target; neither of them knows about the other's side of this mapping.
 *
 * A resolved route carries its level's secondary route (when there is one) for the delivery's failover;
 * the secondary has its own cache key, so its pooled transport and its health are its own.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  CONTROLLER_PROFILE,
  EmailConfigErrors,
  ControllerProfile,
  EffectiveConfigService,
  EffectiveSender,
  ProfileSource,
  ResolvedSmtpProfile,
  ResolveOptions,
  SmtpSecrets,
  SmtpSettings,
} from '@mailstrata/email-config';
import { SmtpTarget } from '@mailstrata/mailer';
import type { DeliveryRoute } from './delivery-decision';

export type SmtpSource = 'controller' | 'partner' | 'org';

/** A target plus which level of the hierarchy supplied it. */
export interface ResolvedSmtpTarget extends SmtpTarget {
  source: SmtpSource;
  route: DeliveryRoute;
  /** The profile row that supplies the route; null for the controller's (environment) and unsaved candidates. */
  profileId: string | null;
  partnerId: string | null;
  orgId: string | null;
}

/** Whose effective profile is wanted: an org (partnerId given too), a partner, or the controller. */
export interface SmtpScope {
  partnerId: string | null;
  orgId: string | null;
}

export interface ProfileForTarget {
  source: ProfileSource;
  profileId?: string | null;
  profilePartnerId: string | null;
  profileOrgId: string | null;
  version: number | null;
  settings: SmtpSettings;
  secrets: SmtpSecrets;
  /** By the sender chain (EffectiveConfigService.senderFor); null: no link of it yields an address. */
  sender: EffectiveSender | null;
  /** A digest of secrets read from files; a rotated file gives a new one (and a new pooled transport). */
  secretsDigest?: string;
}

/** A route with its level's secondary (what the delivery worker resolves). */
export interface ResolvedRoutes {
  primary: ResolvedSmtpTarget;
  secondary: ResolvedSmtpTarget | null;
}

/** The mailer's cache key for a profile: one pooled transport and one health record per key (a secondary's is its own). */
export function profileKeyOf(
  p: Pick<ProfileForTarget, 'source' | 'profilePartnerId' | 'profileOrgId'>,
  route: DeliveryRoute = 'primary',
): string {
  const suffix = route === 'primary' ? '' : `:${route}`;
  if (p.source === 'org') return `org:${p.profileOrgId}${suffix}`;
  if (p.source === 'partner') return `partner:${p.profilePartnerId}${suffix}`;
  return `controller${suffix}`;
}

/** Maps a resolved profile to the mailer's target. The controller's env profile is trusted (unguarded). */
export function toSmtpTarget(p: ProfileForTarget, versionSuffix = '', route: DeliveryRoute = 'primary'): ResolvedSmtpTarget {
  const s = p.settings;
  if (!p.sender) {
    throw EmailConfigErrors.SMTP_SENDER_MISSING();
  }
  let auth: ResolvedSmtpTarget['auth'] = { type: 'none' };
  if (s.authType === 'basic') {
    auth = { type: 'basic', username: s.username ?? '', password: p.secrets.password ?? '' };
  } else if (s.authType === 'oauth2' && s.oauth2) {
    auth = {
      type: 'oauth2',
      ...(s.username ? { username: s.username } : {}),
      tokenEndpoint: s.oauth2.tokenEndpoint,
      clientId: s.oauth2.clientId,
      clientSecret: p.secrets.clientSecret ?? '',
      ...(s.oauth2.scope ? { scope: s.oauth2.scope } : {}),
      ...(s.oauth2.audience ? { audience: s.oauth2.audience } : {}),
      requestHeaders: p.secrets.requestHeaders ?? [],
    };
  }
  return {
    cacheKey: profileKeyOf(p, route),
    version: `${p.version ?? 'env'}${versionSuffix}`,
    ...(p.secretsDigest ? { secretsDigest: p.secretsDigest } : {}),
    host: s.host,
    port: s.port,
    tlsMode: s.tlsMode,
    insecure: s.useInsecure,
    ...(s.caCert ? { caCert: s.caCert } : {}),
    ...(s.clientCert && p.secrets.clientKey ? { clientCert: s.clientCert, clientKey: p.secrets.clientKey } : {}),
    auth,
    sender: { email: p.sender.email, ...(p.sender.name ? { name: p.sender.name } : {}) },
    retries: s.retries,
    guarded: p.source !== 'controller',
    source: p.source,
    route,
    profileId: p.profileId ?? null,
    partnerId: p.profilePartnerId,
    orgId: p.profileOrgId,
  };
}

/**
 * A scope's effective route at send time (with decrypted secrets, for internal use only). Throws a
 * DomainError (e.g. `NO_SMTP_CONFIG`) when no level has a profile.
 */
@Injectable()
export class SmtpRouteResolver {
  constructor(
    private readonly effective: EffectiveConfigService,
    @Optional() @Inject(CONTROLLER_PROFILE) private readonly controller: ControllerProfile | null = null,
  ) {}

  /**
   * `readSecretFiles: false` for callers that need the route but send nothing now (intake checks that a
   * route exists): a secret file the operator has yet to mount must not refuse a message that would be
   * sent, or retried at stage CONFIG, later.
   */
  async resolve(scope: SmtpScope, options: ResolveOptions = {}): Promise<ResolvedSmtpTarget> {
    return toSmtpTarget(await this.resolveProfile(scope, options));
  }

  /** The primary route and, when its level has one, the secondary (for the delivery's failover). */
  async resolveRoutes(scope: SmtpScope): Promise<ResolvedRoutes> {
    const resolved = await this.resolveProfile(scope, { withSecondary: true });
    const second = this.secondaryOf(resolved);
    return { primary: toSmtpTarget(resolved), secondary: second ? toSmtpTarget(second, '', 'secondary') : null };
  }

  /** The secondary route of the level that supplied `resolved` (never another level's), or null. */
  private secondaryOf(resolved: ResolvedSmtpProfile | ProfileForTarget): ProfileForTarget | null {
    if ('secondarySecrets' in resolved) {
      const second = resolved.secondary;
      if (!second || !resolved.secondarySecrets) return null;
      return {
        source: second.source,
        profileId: second.profileId,
        profilePartnerId: second.profilePartnerId,
        profileOrgId: second.profileOrgId,
        version: second.version,
        settings: second.settings,
        secrets: resolved.secondarySecrets,
        ...(resolved.secondarySecretsDigest ? { secretsDigest: resolved.secondarySecretsDigest } : {}),
        sender: second.sender,
      };
    }
    const own = resolved.source === 'controller' ? this.controller?.secondary : null;
    if (!own) return null;
    return {
      source: 'controller',
      profilePartnerId: null,
      profileOrgId: null,
      version: null,
      settings: own.settings,
      secrets: own.secrets,
      sender: this.effective.senderFor(own.settings, 'controller'),
    };
  }

  private async resolveProfile(scope: SmtpScope, options: ResolveOptions = {}): Promise<ResolvedSmtpProfile | ProfileForTarget> {
    let resolved: ResolvedSmtpProfile | ProfileForTarget;
    if (scope.orgId) resolved = await this.effective.resolveForOrg(scope.orgId, options);
    else if (scope.partnerId) resolved = await this.effective.resolveForPartner(scope.partnerId, options);
    else if (this.controller) {
      resolved = {
        source: 'controller',
        profilePartnerId: null,
        profileOrgId: null,
        version: null,
        settings: this.controller.settings,
        // Read now: a password reference's file may have been rotated since start.
        ...(options.readSecretFiles === false ? { secrets: this.controller.secrets } : this.effective.controllerSecrets()),
        sender: this.effective.senderFor(this.controller.settings, 'controller'),
      };
    } else {
      throw EmailConfigErrors.NO_SMTP_CONFIG('No SMTP configuration applies: no controller defaults (FW_EVENT_SMTP_SERVER_ADDR).');
    }
    return resolved;
  }
}
