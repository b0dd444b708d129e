/** Which level is in force for a scope, and the health of the profile that supplies it. */
import { ApiError, get } from './api';
import type { Level } from './components/ui';
import type { EffectiveView, ProfileHealth, ProfileView } from './smtp-form';

export interface RouteStatus {
  level: Level;
  effective: EffectiveView | null;
  health: ProfileHealth | null;
}

export async function routeStatus(scopeParams: Record<string, string | undefined>): Promise<RouteStatus> {
  let effective: EffectiveView;
  try {
    effective = (await get<EffectiveView>('/event/v1/email/config/effective', scopeParams)).data;
  } catch (e) {
    if (e instanceof ApiError && e.code === 'NO_SMTP_CONFIG') return { level: 'none', effective: null, health: null };
    throw e;
  }
  let health: ProfileHealth | null = null;
  if (effective.profile) {
    const params = effective.profile.org_id ? { org_id: effective.profile.org_id } : { partner_id: effective.profile.partner_id };
    try {
      health = (await get<ProfileView>('/event/v1/email/config', params)).data.email_config.health ?? null;
    } catch {
      // An org user may not read its partner's profile; the level in force is still known.
      health = null;
    }
  }
  return { level: effective.source, effective, health };
}
