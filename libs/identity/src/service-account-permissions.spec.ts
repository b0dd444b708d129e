import { actorFor, principalHasPermission, ServiceAccountPrincipal, UserPrincipal } from './principal';
import { canGrantToServiceAccount, PERMISSIONS, SERVICE_ACCOUNT_PERMISSIONS } from './roles';

const account: ServiceAccountPrincipal = {
  kind: 'service_account',
  serviceAccountId: '7d4a3c1e-0000-4000-8000-000000000001',
  name: 'billing',
  partnerId: '7d4a3c1e-0000-4000-8000-000000000002',
  orgId: null,
  permissions: ['email:send'],
};

const admin: UserPrincipal = {
  kind: 'user',
  userId: '7d4a3c1e-0000-4000-8000-000000000003',
  email: 'admin@p.test',
  role: 'partner_admin',
  partnerId: account.partnerId,
  orgId: null,
  sessionId: 's',
  sessionExpiresAt: new Date(),
};

describe('service-account permissions', () => {
  it('lets controller and partner admins grant email:send and email:read', () => {
    for (const role of ['controller_admin', 'partner_admin'] as const) {
      expect(canGrantToServiceAccount(role, 'email:send')).toBe(true);
      expect(canGrantToServiceAccount(role, 'email:read')).toBe(true);
    }
  });

  it('refuses what the creator lacks, what is outside the closed set, and creators who may not manage accounts', () => {
    expect(canGrantToServiceAccount('partner_admin', 'partner:create')).toBe(false);
    expect(canGrantToServiceAccount('controller_admin', 'partner:create')).toBe(true);
    for (const permission of PERMISSIONS.filter((p) => !(SERVICE_ACCOUNT_PERMISSIONS as readonly string[]).includes(p))) {
      expect(canGrantToServiceAccount('controller_admin', permission)).toBe(false);
    }
    for (const role of ['org_admin', 'auditor'] as const) expect(canGrantToServiceAccount(role, 'email:send')).toBe(false);
  });

  it('checks a service account against its own permissions only', () => {
    expect(principalHasPermission(account, 'email:send')).toBe(true);
    expect(principalHasPermission(account, 'email:read')).toBe(false);
  });

  it('attributes audit events to the account by type, id and name, never as a user', () => {
    expect(actorFor(account, { ip: '10.0.0.1', userAgent: 'billing/1.0' })).toEqual({
      principal: account,
      type: 'service_account',
      id: account.serviceAccountId,
      name: 'billing',
      email: null,
      role: null,
      ip: '10.0.0.1',
      userAgent: 'billing/1.0',
    });
    expect(actorFor(admin, {})).toMatchObject({ type: 'user', id: admin.userId, email: admin.email, role: 'partner_admin' });
  });
});
