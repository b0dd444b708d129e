/**
 * Which profile a caller acts on. Partner admin: its partner, or `?org_id=` of one of its orgs. Org
 * admin: its org, and its own profile only while the org's smtp_override switch is on. Controller
 * admin: must name `?partner_id=` or `?org_id=`. Ids outside the caller's tenant answer 404 exactly
 * like missing ones. Scoping for `effective` reads is served from the EffectiveConfigService caches (no
 * query when warm); scoping for the own profile reads the organization fresh, so the switch is exact.
 */
import { Injectable } from '@nestjs/common';
import { fieldError, notFound } from '@mailstrata/common';
import { EmailConfigErrors } from './errors';
import { Principal } from '@mailstrata/identity';
import { EffectiveConfigService } from './effective-config.service';
import { ConfigScope } from './profile.model';

export interface ScopeQuery {
  partnerId?: string;
  orgId?: string;
}

/** `own`: the scope's own profile (GET/POST/PATCH/DELETE, verification); `effective`: what applies. */
export type ScopePurpose = 'own' | 'effective';

@Injectable()
export class ConfigScopeResolver {
  constructor(private readonly effective: EffectiveConfigService) {}

  async resolve(principal: Principal, query: ScopeQuery, purpose: ScopePurpose): Promise<ConfigScope> {
    if (query.orgId !== undefined) {
      const info = await this.effective.orgInfo(query.orgId, { fresh: purpose === 'own' });
      const visible =
        info !== null &&
        (principal.orgId ? principal.orgId === query.orgId : principal.partnerId ? principal.partnerId === info.partnerId : true) &&
        (query.partnerId === undefined || query.partnerId === info.partnerId);
      if (!visible) throw notFound('Organization');
      return this.orgScope(principal, query.orgId, info.partnerId, info.smtpOverrideEnabled, purpose);
    }
    if (query.partnerId !== undefined) {
      const visible = principal.orgId === null && (principal.partnerId === null || principal.partnerId === query.partnerId);
      if (!visible || !(await this.effective.partnerExists(query.partnerId))) throw notFound('Partner');
      return { level: 'partner', partnerId: query.partnerId, orgId: null };
    }
    if (principal.orgId) {
      const info = await this.effective.orgInfo(principal.orgId, { fresh: purpose === 'own' });
      if (!info) throw notFound('Organization');
      return this.orgScope(principal, principal.orgId, info.partnerId, info.smtpOverrideEnabled, purpose);
    }
    if (principal.partnerId) return { level: 'partner', partnerId: principal.partnerId, orgId: null };
    throw EmailConfigErrors.SCOPE_REQUIRED(undefined, {
      errors: [fieldError('partner_id', 'required', 'or org_id is required for a controller-level caller')],
    });
  }

  private orgScope(principal: Principal, orgId: string, partnerId: string, enabled: boolean, purpose: ScopePurpose): ConfigScope {
    // Partner and controller admins may prepare an org profile before switching it on; org users may not.
    if (purpose === 'own' && principal.orgId !== null && !enabled) {
      throw EmailConfigErrors.SMTP_OVERRIDE_DISABLED();
    }
    return { level: 'org', partnerId, orgId };
  }
}
