/** Partners and organizations the caller can see, and the scope a page works on. */
import { get } from './api';
import type { Me } from './session';

export interface Partner {
  id: string;
  name: string;
  created_at: string;
}

export interface Organization {
  id: string;
  partner_id: string;
  name: string;
  smtp_override_enabled: boolean;
  created_at: string;
  updated_at: string;
}

export async function listPartners(): Promise<Partner[]> {
  return (await get<{ items: Partner[] }>('/auth/v1/partners')).data.items;
}

export async function listOrganizations(partnerId?: string | null): Promise<Organization[]> {
  return (await get<{ items: Organization[] }>('/auth/v1/organizations', { partner_id: partnerId ?? undefined })).data.items;
}

/**
 * The scope a page works on: an org admin or org auditor is always in its org; partner users in their
 * partner (optionally one of its orgs); a controller admin names a partner (and optionally an org).
 */
export interface Scope {
  partnerId: string | null;
  orgId: string | null;
}

const PARTNER_KEY = 'mailstrata.console.partner';

/** A controller admin's partner choice survives pages whose links do not carry it (this tab only). */
function rememberedPartner(fromQuery: string | null): string | null {
  try {
    if (fromQuery) sessionStorage.setItem(PARTNER_KEY, fromQuery);
    return fromQuery ?? sessionStorage.getItem(PARTNER_KEY);
  } catch {
    return fromQuery;
  }
}

export function forgetPartner(): void {
  try {
    sessionStorage.removeItem(PARTNER_KEY);
  } catch {
    // storage unavailable: nothing remembered
  }
}

export function scopeOf(me: Me, query: URLSearchParams): Scope {
  if (me.scope.org_id) return { partnerId: me.scope.partner_id, orgId: me.scope.org_id };
  const partnerId = me.scope.partner_id ?? rememberedPartner(query.get('partner_id'));
  return { partnerId, orgId: query.get('org_id') };
}

/** Query parameters that keep the scope in links. */
export function scopeQuery(me: Me, scope: Scope): Record<string, string | null> {
  return { partner_id: me.scope.level === 'controller' ? scope.partnerId : null, org_id: me.scope.org_id ? null : scope.orgId };
}

/** The API's scope parameters for an email-config call on `scope`. */
export function apiScope(scope: Scope): Record<string, string | undefined> {
  return scope.orgId ? { org_id: scope.orgId } : { partner_id: scope.partnerId ?? undefined };
}
