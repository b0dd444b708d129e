/**
 * Where email-config meets the mailer (written by the delivery issue): the mapping from a resolved
 * profile (decrypted secrets included) to the mailer's `SmtpTarget`, the SMTP_PROFILE_RESOLVER the
 * delivery worker calls at send time, and the egress policy bound as this library's save-time
 * SMTP_DESTINATION_POLICY. The mailer itself never imports this library.
 */
import { Inject, Injectable, Module, Optional } from '@nestjs/common';
import { EgressPolicy, MailerModule, ResolvedSmtpTarget, SmtpProfileResolver, SmtpScope } from '@mailstrata/mailer';
import { DomainError } from '@mailstrata/common';
import { ControllerProfile } from './controller-profile';
import { EffectiveConfigService } from './effective-config.service';
import { CONTROLLER_PROFILE, SMTP_DESTINATION_POLICY, SmtpDestinationPolicy } from './ports';
import { ProfileSource, ResolvedSmtpProfile } from './profile.model';
import { EffectiveSender } from './sender';
import { SmtpSecrets, SmtpSettings } from './smtp-settings';

export interface ProfileForTarget {
  source: ProfileSource;
  profilePartnerId: string | null;
  profileOrgId: string | null;
  version: number | null;
  settings: SmtpSettings;
  secrets: SmtpSecrets;
  /** By the sender chain (EffectiveConfigService.senderFor); null: no link of it yields an address. */
  sender: EffectiveSender | null;
}

/** The mailer's cache key for a profile: one pooled transport and one health record per key. */
export function profileKeyOf(p: Pick<ProfileForTarget, 'source' | 'profilePartnerId' | 'profileOrgId'>): string {
  if (p.source === 'org') return `org:${p.profileOrgId}`;
  if (p.source === 'partner') return `partner:${p.profilePartnerId}`;
  return 'controller';
}

/** Maps a resolved profile to the mailer's target. The controller's env profile is trusted (unguarded). */
export function toSmtpTarget(p: ProfileForTarget, versionSuffix = ''): ResolvedSmtpTarget {
  const s = p.settings;
  if (!p.sender) {
    throw DomainError.invalid(
      'SMTP_SENDER_MISSING',
      'No sender applies: the SMTP profile names no sender_email, its username is not an address, FW_EVENT_SMTP_SENDER_EMAIL is unset and the host of PUBLIC_URL cannot name no-reply@<host>.',
    );
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
    cacheKey: profileKeyOf(p),
    version: `${p.version ?? 'env'}${versionSuffix}`,
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
    partnerId: p.profilePartnerId,
    orgId: p.profileOrgId,
  };
}

/** SMTP_PROFILE_RESOLVER for the delivery worker: the scope's effective profile at send time. */
@Injectable()
export class EmailConfigSmtpResolver implements SmtpProfileResolver {
  constructor(
    private readonly effective: EffectiveConfigService,
    @Optional() @Inject(CONTROLLER_PROFILE) private readonly controller: ControllerProfile | null = null,
  ) {}

  async resolve(scope: SmtpScope): Promise<ResolvedSmtpTarget> {
    let resolved: ResolvedSmtpProfile | ProfileForTarget;
    if (scope.orgId) resolved = await this.effective.resolveForOrg(scope.orgId);
    else if (scope.partnerId) resolved = await this.effective.resolveForPartner(scope.partnerId);
    else if (this.controller) {
      resolved = {
        source: 'controller',
        profilePartnerId: null,
        profileOrgId: null,
        version: null,
        ...this.controller,
        sender: this.effective.senderFor(this.controller.settings, 'controller'),
      };
    } else {
      throw new DomainError(
        'NO_SMTP_CONFIG',
        'not_found',
        'No SMTP configuration applies: no controller defaults (FW_EVENT_SMTP_SERVER_ADDR).',
      );
    }
    return toSmtpTarget(resolved);
  }
}

/** Binds the mailer's egress guard as the save-time SMTP_DESTINATION_POLICY (pass to `EmailConfigModule.forRoot`). */
@Module({
  imports: [MailerModule],
  providers: [
    {
      provide: SMTP_DESTINATION_POLICY,
      inject: [EgressPolicy],
      useFactory: (egress: EgressPolicy): SmtpDestinationPolicy => ({
        check: (host, port) => egress.checkAtSave(host, port),
        checkTokenEndpoint: (url) => egress.checkUrlAtSave(new URL(url)),
      }),
    },
  ],
  exports: [SMTP_DESTINATION_POLICY],
})
export class SmtpDestinationPolicyModule {}
