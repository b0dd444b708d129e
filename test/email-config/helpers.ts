/** Tenants and sign-ins for the email-config suites (through the public API, like a real admin). */
import { ROOT_EMAIL, ROOT_PASSWORD, TestClient } from '../support/app';

export const PASSWORD = 'a-long-enough-password-1';

export interface Tenant {
  partnerId: string;
  partnerToken: string;
  orgId: string;
  orgToken: string;
}

let counter = 0;

export async function rootToken(client: TestClient): Promise<string> {
  return client.login(ROOT_EMAIL, ROOT_PASSWORD);
}

/** A partner with its admin, and one organization with its admin. */
export async function createTenant(client: TestClient, root: string, label = 'p'): Promise<Tenant> {
  counter += 1;
  const tag = `${label}${counter}-${Date.now().toString(36)}`;
  const partner = await client.post(
    '/auth/v1/partners',
    { name: `Partner ${tag}`, admin: { email: `admin@${tag}.partner.test`, password: PASSWORD } },
    root,
  );
  if (partner.status !== 201) throw new Error(`partner: ${partner.status} ${partner.text}`);
  const partnerToken = await client.login(`admin@${tag}.partner.test`, PASSWORD);
  const org = await client.post(
    '/auth/v1/organizations',
    { name: `Org ${tag}`, admin: { email: `admin@${tag}.org.test`, password: PASSWORD } },
    partnerToken,
  );
  if (org.status !== 201) throw new Error(`org: ${org.status} ${org.text}`);
  const orgToken = await client.login(`admin@${tag}.org.test`, PASSWORD);
  return { partnerId: partner.body.id, partnerToken, orgId: org.body.id, orgToken };
}

export async function setOverride(client: TestClient, token: string, orgId: string, enabled: boolean): Promise<void> {
  const res = await client.patch(`/auth/v1/organizations/${orgId}`, { smtp_override_enabled: enabled }, token);
  if (res.status !== 200) throw new Error(`override: ${res.status} ${res.text}`);
}

export const smtp = (overrides: Record<string, unknown> = {}) => ({
  email_config: {
    smtp_config: {
      username: 'mailer',
      password: 'pw-default-1',
      host: 'smtp.partner.test',
      port: 587,
      use_tls: true,
      use_insecure: false,
      retries: 3,
      ...overrides,
    },
  },
});

/** Polls until `check` returns true or the deadline passes; returns how long it took. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
