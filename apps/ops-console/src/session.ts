/** Who is signed in, and what the installation looks like; loaded once after sign-in. */
import { get } from './api';

export type Role = 'controller_admin' | 'partner_admin' | 'org_admin' | 'auditor';

export interface Me {
  id: string;
  email: string;
  role: Role;
  scope: { level: 'controller' | 'partner' | 'org'; partner_id: string | null; org_id: string | null };
  permissions: string[];
  session_expires_at: string;
}

export interface Settings {
  account_creation_strategy: 'AUTO' | 'VERIFY';
  controller_default: 'environment' | 'mail_catcher' | null;
  mail_catcher: boolean;
}

export interface Session {
  me: Me;
  settings: Settings;
}

export async function loadSession(): Promise<Session> {
  const [me, settings] = await Promise.all([get<Me>('/auth/v1/me'), get<Settings>('/console-api/v1/settings')]);
  return { me: me.data, settings: settings.data };
}

export const can = (me: Me, permission: string) => me.permissions.includes(permission);

export const ROLE_LABELS: Record<Role, string> = {
  controller_admin: 'Controller admin',
  partner_admin: 'Partner admin',
  org_admin: 'Organization admin',
  auditor: 'Auditor',
};
