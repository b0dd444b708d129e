/**
 * Which level's profile a scope uses. An organization's own profile wins only while its smtp_override
 * switch is on (a profile saved while the switch is off waits, unused); otherwise the partner's profile
 * applies, then the controller profile from the environment, and with none of them there is no SMTP
 * configuration. A profile wins as a whole: fields of two levels are never combined.
 */
import type { ScopeLevel } from './profile.model';

export interface ResolutionCandidates<P> {
  /** The level asked about: a partner scope never looks at an organization's profile. */
  level: ScopeLevel;
  /** The organization's smtp_override switch (org scopes only). */
  orgOverrideEnabled: boolean;
  /** The organization's own stored profile, if any (org scopes only). */
  orgProfile: P | null;
  /** The partner's stored profile, if any. */
  partnerProfile: P | null;
  /** Whether the environment configures a controller profile (FW_EVENT_SMTP_SERVER_ADDR). */
  controllerConfigured: boolean;
}

export type ResolutionWinner<P> =
  { source: 'org' | 'partner'; profile: P } | { source: 'controller'; profile: null } | { source: 'none'; profile: null };

export function resolveWinner<P>(c: ResolutionCandidates<P>): ResolutionWinner<P> {
  if (c.level === 'org' && c.orgOverrideEnabled && c.orgProfile !== null) return { source: 'org', profile: c.orgProfile };
  if (c.partnerProfile !== null) return { source: 'partner', profile: c.partnerProfile };
  return c.controllerConfigured ? { source: 'controller', profile: null } : { source: 'none', profile: null };
}
