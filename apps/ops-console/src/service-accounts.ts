/**
 * Service accounts over /auth/v1/service-accounts: what a list row holds, what a creator may grant (the
 * API's rule, mirrored so the form offers only what it would accept) and the curl example for a token.
 */
import { api, get } from './api';
import type { Me } from './session';

const PATH = '/auth/v1/service-accounts';

export interface ServiceAccount {
  id: string;
  name: string;
  partner_id: string | null;
  permissions: string[];
  created_at: string;
  created_by: { id: string; email: string };
  last_used_at: string | null;
}

/** The creation answer: the only one that ever carries the token. */
export interface CreatedServiceAccount extends ServiceAccount {
  token: string;
}

/** The closed set an account may hold, in the API's order, with what each one lets a component do. */
export const SERVICE_ACCOUNT_PERMISSIONS: readonly { name: string; does: string }[] = [
  { name: 'email:send', does: 'Send system emails (POST /event/v1/email/messages).' },
  { name: 'email:read', does: 'Read the delivery log of its emails.' },
  { name: 'partner:create', does: 'Create partners (provisioning); platform-wide accounts only.' },
  { name: 'partner:read', does: 'Read partners.' },
  { name: 'organization:read', does: 'Read organizations.' },
  { name: 'system_setting:read', does: 'Read SMTP profiles and settings.' },
  { name: 'audit:read', does: 'Read the audit log.' },
];

/** Every admin who manages accounts may hand these out, whether or not the role holds them. */
const ALWAYS_GRANTABLE = new Set(['email:send', 'email:read']);

/** What `me` may put on a new account: the API refuses anything else with 403 PERMISSION_NOT_GRANTABLE. */
export function grantablePermissions(me: Me, platformWide: boolean): string[] {
  return SERVICE_ACCOUNT_PERMISSIONS.map((p) => p.name).filter(
    (name) => (ALWAYS_GRANTABLE.has(name) || me.permissions.includes(name)) && (name !== 'partner:create' || platformWide),
  );
}

export async function listServiceAccounts(partnerId?: string | null): Promise<ServiceAccount[]> {
  return (await get<{ items: ServiceAccount[] }>(PATH, { partner_id: partnerId ?? undefined })).data.items;
}

export async function createServiceAccount(body: {
  name: string;
  permissions: string[];
  partner_id?: string;
}): Promise<CreatedServiceAccount> {
  return (await api<CreatedServiceAccount>('POST', PATH, { body })).data;
}

export async function revokeServiceAccount(id: string): Promise<void> {
  await api('DELETE', `${PATH}/${encodeURIComponent(id)}`);
}

/** Stands for the token wherever the token itself is not on screen. */
export const TOKEN_PLACEHOLDER = '$MAILSTRATA_TOKEN';

/** A curl call sending one system email with `token`, against this console's own origin. */
export function sendExample(origin: string, token: string, partnerId: string | null): string {
  const body = JSON.stringify({
    partner_id: partnerId ?? '<partner id>',
    to: ['ops@example.com'],
    template: 'generic',
    data: { subject: 'Hello from a service account', text: 'It works.' },
  });
  return [
    `curl -s -X POST ${origin}/event/v1/email/messages \\`,
    `  -H "Authorization: Bearer ${token}" \\`,
    `  --data-raw '${body}'`,
  ].join('\n');
}
