/** Explicit response mappers: only the fields named here can reach a response, and never a secret. */
import { EffectiveProfile, EffectiveRoute, SecretFlags, SecretRefs, SmtpSettings, StoredProfile, useTlsOf } from '@mailstrata/email-config';
import type { ProfileHealth } from '@mailstrata/delivery';

/**
 * `refs`: the profile's own secret references (file names, not secrets), shown on its own GET and only
 * when set, so a profile without references looks exactly as before they existed.
 */
export const smtpConfigView = (s: SmtpSettings, flags: SecretFlags, refs?: SecretRefs) => ({
  host: s.host,
  port: s.port,
  use_tls: useTlsOf(s),
  tls_mode: s.tlsMode,
  use_insecure: s.useInsecure,
  retries: s.retries,
  auth_type: s.authType,
  username: s.username,
  sender_email: s.senderEmail,
  sender_name: s.senderName,
  ca_cert: s.caCert,
  client_cert: s.clientCert,
  oauth2: s.oauth2
    ? {
        token_endpoint: s.oauth2.tokenEndpoint,
        client_id: s.oauth2.clientId,
        scope: s.oauth2.scope,
        audience: s.oauth2.audience,
        // Header values are secrets (often API keys): write-only, like client_secret.
        request_headers: s.oauth2.requestHeaderNames.map((name) => ({ name, value_set: true })),
        ...(refs?.clientSecret ? { client_secret_ref: refs.clientSecret } : {}),
      }
    : null,
  password_set: flags.passwordSet,
  client_secret_set: flags.clientSecretSet,
  client_key_set: flags.clientKeySet,
  ...(refs?.password ? { password_ref: refs.password } : {}),
  ...(refs?.clientKey ? { client_key_ref: refs.clientKey } : {}),
});

/**
 * What deliveries and test emails last saw with this very version of the profile; outcomes seen with an
 * earlier version (another host, other credentials) say nothing about this one and are not shown.
 */
export const healthView = (h: ProfileHealth | null, version: number) =>
  h && h.profileVersion === String(version)
    ? {
        last_success_at: h.lastSuccessAt?.toISOString() ?? null,
        last_failure_at: h.lastFailureAt?.toISOString() ?? null,
        last_failure: h.lastFailureAt ? { stage: h.lastFailureStage, smtp_code: h.lastFailureCode, code: h.lastFailureErrorCode } : null,
      }
    : { last_success_at: null, last_failure_at: null, last_failure: null };

export const profileView = (p: StoredProfile, health?: ProfileHealth | null) => ({
  email_config: {
    smtp_config: smtpConfigView(p.settings, p.secretsSet, p.secretRefs),
    ...(health === undefined ? {} : { health: healthView(health, p.version) }),
    metadata: {
      id: p.id,
      scope: p.scope.level,
      route: p.route,
      partner_id: p.scope.partnerId,
      org_id: p.scope.orgId,
      version: p.version,
      etag: p.etag,
      created_at: p.createdAt.toISOString(),
      updated_at: p.updatedAt.toISOString(),
      updated_by: { id: p.updatedBy.id, email: p.updatedBy.email },
    },
  },
});

const routeView = (e: EffectiveRoute) => ({
  source: e.source,
  profile: e.profileId === null ? null : { id: e.profileId, partner_id: e.profilePartnerId, org_id: e.profileOrgId, version: e.version },
  sender: e.sender ? { email: e.sender.email, name: e.sender.name, source: e.sender.source } : null,
  email_config: { smtp_config: smtpConfigView(e.settings, e.secretsSet) },
});

/** The primary route at the top (the seed's shape), its level's secondary beside it (null: no failover). */
const buildEffectiveView = (e: EffectiveProfile) => {
  const { source, ...primary } = routeView(e);
  return {
    source,
    scope: { level: e.scope.level, partner_id: e.scope.partnerId, org_id: e.scope.orgId },
    ...primary,
    secondary: e.secondary ? routeView(e.secondary) : null,
  };
};

// Everything in the view but its scope belongs to the profile, and the service hands every scope that
// one profile serves the same frozen settings object: so the rest is serialized once per profile (not
// once per organization, of which there may be 100,000 on one partner profile), and the hot path joins
// the stored text around the scope's.
const effectiveJsonParts = new WeakMap<SmtpSettings, { head: string; tail: string }>();

export function effectiveJson(e: EffectiveProfile): string {
  let parts = effectiveJsonParts.get(e.settings);
  if (parts === undefined) {
    const view = buildEffectiveView(e);
    const head = `{"source":${JSON.stringify(view.source)}`;
    // The same key order as the whole view: source, scope, then the rest.
    parts = {
      head,
      tail: JSON.stringify({
        source: view.source,
        profile: view.profile,
        sender: view.sender,
        email_config: view.email_config,
        secondary: view.secondary,
      }).slice(head.length),
    };
    effectiveJsonParts.set(e.settings, parts);
  }
  const scope = JSON.stringify({ level: e.scope.level, partner_id: e.scope.partnerId, org_id: e.scope.orgId });
  return `${parts.head},"scope":${scope}${parts.tail}`;
}

/** Who saved a version and what it is in the history; never a secret. */
const versionMetadata = (p: StoredProfile) => ({
  state: p.state,
  based_on_version: p.basedOnVersion,
  changed_fields: p.changedFields,
  activated_at: p.activatedAt?.toISOString() ?? null,
  created_by: { id: p.updatedBy.id, email: p.updatedBy.email, type: p.updatedBy.type },
});

/** One version in the GET profile's shape, with its place in the history in `metadata`. */
export const versionView = (p: StoredProfile) => {
  const view = profileView(p);
  return { email_config: { ...view.email_config, metadata: { ...view.email_config.metadata, ...versionMetadata(p) } } };
};

/** A line of the history: enough to choose a version, nothing secret (`*_set` flags only). */
export const versionSummaryView = (p: StoredProfile) => ({
  version: p.version,
  route: p.route,
  ...versionMetadata(p),
  created_at: p.createdAt.toISOString(),
  host: p.settings.host,
  port: p.settings.port,
  tls_mode: p.settings.tlsMode,
  auth_type: p.settings.authType,
  username: p.settings.username,
  sender_email: p.settings.senderEmail,
  password_set: p.secretsSet.passwordSet,
  client_secret_set: p.secretsSet.clientSecretSet,
  client_key_set: p.secretsSet.clientKeySet,
});
