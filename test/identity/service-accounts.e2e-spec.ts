/**
 * Service accounts end to end on two replicas of one database: creation by controller and partner
 * admins, the token on `GET /auth/v1/me`, listing without secrets, revocation seen by both replicas,
 * tenancy (foreign partners answer 404), permissions a caller may not grant, audit attribution to the
 * account, and the token kept out of logs, audit rows, list answers and the database.
 */
import { createHash } from 'node:crypto';
import { CapturedLogs, captureStdout } from '../support/logs';
import { startTestApp, TestApp } from '../support/app';
import { waitFor } from '../support/wait';
import { buildWorld, PASSWORD, World } from '../support/world';

const URL = '/auth/v1/service-accounts';
const TOKEN = /^mst_[A-Za-z0-9_-]{43}$/;

describe('service accounts', () => {
  let a: TestApp;
  let b: TestApp;
  let w: World;
  let logs: CapturedLogs;
  /** Every token handed out in this suite, to look for in logs and rows at the end. */
  const issued: string[] = [];

  beforeAll(async () => {
    logs = captureStdout();
    // Debug logging: the most the service ever writes, and still no token may appear in it.
    a = await startTestApp({ env: { LOG_LEVEL: 'debug' } });
    b = await startTestApp({ db: a.db, env: { LOG_LEVEL: 'debug' } });
    a.app.flushLogs();
    b.app.flushLogs();
    w = await buildWorld(a.client, 'sa');
  });
  afterAll(async () => {
    logs?.restore();
    await b?.close();
    await a?.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function create(creator: string, body: Record<string, unknown>) {
    const res = await a.client.post(URL, body, creator);
    if (res.status === 201) issued.push(res.body.token);
    return res;
  }

  it('lives from creation to revocation: token works on both replicas, lists without secrets, and is refused everywhere once revoked', async () => {
    const created = await create(w.root.token, { name: 'alerting', permissions: ['email:send', 'email:read', 'audit:read'] });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(TOKEN);
    expect(created.body).toMatchObject({
      name: 'alerting',
      partner_id: null,
      permissions: ['email:send', 'email:read', 'audit:read'],
      created_by: { id: w.root.id, email: w.root.email },
      last_used_at: null,
    });
    expect(Object.keys(created.body).sort()).toEqual([
      'created_at',
      'created_by',
      'id',
      'last_used_at',
      'name',
      'partner_id',
      'permissions',
      'token',
    ]);
    const id = created.body.id as string;

    for (const replica of [a, b]) {
      const me = await replica.client.get('/auth/v1/me', undefined, bearer(token));
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        kind: 'service_account',
        id,
        name: 'alerting',
        email: null,
        role: null,
        scope: { level: 'controller', partner_id: null, org_id: null },
        permissions: ['email:send', 'email:read', 'audit:read'],
        session_expires_at: null,
      });
    }
    // A service account has no cookie: its token in the rsid cookie is not a session.
    expect((await a.client.get('/auth/v1/me', token)).status).toBe(401);

    // The use shows up in the list (written off the request path, so awaited, not assumed).
    const listed = await waitFor(
      async () => {
        const res = await a.client.get(URL, w.root.token);
        const item = res.body.items.find((i: { id: string }) => i.id === id);
        return item?.last_used_at ? res : undefined;
      },
      5000,
      'last_used_at',
    );
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(token);
    expect(listed.text).not.toContain('token');
    expect(listed.text).not.toContain(createHash('sha256').update(token).digest('hex'));

    // Both replicas have the account cached before the revocation.
    const revoked = await a.client.delete(`${URL}/${id}`, w.root.token);
    expect(revoked.status).toBe(204);
    expect((await a.client.get('/auth/v1/me', undefined, bearer(token))).status).toBe(401);
    // Well under the 30 s cache TTL: only the change notification can explain B's 401.
    const started = Date.now();
    await waitFor(
      async () => (await b.client.get('/auth/v1/me', undefined, bearer(token))).status === 401 || undefined,
      2000,
      'revocation on the other replica',
    );
    expect(Date.now() - started).toBeLessThan(2000);
    const refused = await b.client.get('/auth/v1/me', undefined, bearer(token));
    expect(refused.body.code).toBe('SESSION_INVALID');

    expect((await a.client.delete(`${URL}/${id}`, w.root.token)).status).toBe(404);
    expect((await a.client.get(URL, w.root.token)).body.items.map((i: { id: string }) => i.id)).not.toContain(id);

    const events = await a.db.query<{ type: string; actor_type: string; actor_id: string; resource_id: string; details: any }>(
      `SELECT type, actor_type, actor_id, resource_id, details FROM audit_events WHERE resource_type = 'service_account' AND resource_id = $1 ORDER BY seq`,
      [id],
    );
    expect(events).toEqual([
      {
        type: 'service_account.created',
        actor_type: 'user',
        actor_id: w.root.id,
        resource_id: id,
        details: { name: 'alerting', permissions: ['email:send', 'email:read', 'audit:read'] },
      },
      { type: 'service_account.revoked', actor_type: 'user', actor_id: w.root.id, resource_id: id, details: { name: 'alerting' } },
    ]);
  });

  it('stores only the SHA-256 of the token', async () => {
    const created = await create(w.root.token, { name: 'stored', permissions: ['email:read'] });
    const token = created.body.token as string;
    const [row] = await a.db.query<Record<string, unknown>>(`SELECT * FROM service_accounts WHERE id = $1`, [created.body.id]);
    expect(row!.token_hash).toEqual(createHash('sha256').update(token).digest());
    const text = JSON.stringify(row);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(4));
  });

  it('lets a partner admin manage its own partner’s accounts only', async () => {
    const admin = w.partnerA.admin.token;
    const foreign = await create(admin, { name: 'x', partner_id: w.partnerB.id, permissions: ['email:send'] });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('NOT_FOUND');

    const own = await create(admin, { name: 'billing', partner_id: w.partnerA.id, permissions: ['email:send', 'system_setting:read'] });
    expect(own.status).toBe(201);
    expect(own.body.partner_id).toBe(w.partnerA.id);
    const implicit = await create(admin, { name: 'alerts', permissions: ['email:read'] });
    expect(implicit.status).toBe(201);
    expect(implicit.body.partner_id).toBe(w.partnerA.id);
    expect((await create(admin, { name: 'ALERTS', permissions: ['email:read'] })).status).toBe(409);

    const rootOwn = await create(w.root.token, { name: 'b-sender', partner_id: w.partnerB.id, permissions: ['email:send'] });
    expect(rootOwn.status).toBe(201);

    const mine = await a.client.get(URL, admin);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((i: { name: string }) => i.name).sort()).toEqual(['alerts', 'billing']);
    expect((await a.client.get(`${URL}?partner_id=${w.partnerB.id}`, admin)).status).toBe(404);
    const forB = await a.client.get(`${URL}?partner_id=${w.partnerB.id}`, w.root.token);
    expect(forB.body.items.map((i: { name: string }) => i.name)).toEqual(['b-sender']);

    // Another partner's account: 404 to list, revoke and see, exactly like a missing one.
    expect((await a.client.delete(`${URL}/${rootOwn.body.id}`, admin)).status).toBe(404);
    expect((await a.client.get('/auth/v1/me', undefined, bearer(rootOwn.body.token))).status).toBe(200);
    expect((await a.client.delete(`${URL}/${own.body.id}`, admin)).status).toBe(204);
  });

  it('refuses permissions the creator may not grant, and unknown ones', async () => {
    const lacking = await create(w.partnerA.admin.token, { name: 'provisioner', permissions: ['email:send', 'partner:create'] });
    expect(lacking.status).toBe(403);
    expect(lacking.body).toMatchObject({ code: 'PERMISSION_NOT_GRANTABLE' });
    expect(lacking.body.errors).toEqual([expect.objectContaining({ field: 'permissions[1]', rule: 'grantable' })]);

    // Creating partners is the platform's: a partner's account could never use it, even one the controller creates.
    const forPartner = await create(w.root.token, {
      name: 'partner-provisioner',
      partner_id: w.partnerA.id,
      permissions: ['email:send', 'partner:create'],
    });
    expect(forPartner.status).toBe(403);
    expect(forPartner.body).toMatchObject({
      code: 'PERMISSION_NOT_GRANTABLE',
      detail: 'partner:create is for platform-wide accounts only.',
    });
    expect(forPartner.body.errors).toEqual([expect.objectContaining({ field: 'permissions[1]', rule: 'grantable' })]);
    expect((await a.client.get(`${URL}?partner_id=${w.partnerA.id}`, w.root.token)).body.items).not.toContainEqual(
      expect.objectContaining({ name: 'partner-provisioner' }),
    );

    for (const permissions of [
      ['system_setting:modify'],
      ['user:create'],
      ['service_account:manage'],
      [],
      ['email:send', 'email:send'],
      'email:send',
    ]) {
      const res = await create(w.root.token, { name: 'bad', permissions });
      expect({ permissions, status: res.status, code: res.body.code }).toEqual({ permissions, status: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('permissions');
    }
    expect((await create(w.orgA1.admin.token, { name: 'org', permissions: ['email:read'] })).status).toBe(403);
    expect((await create(w.partnerA.auditor.token, { name: 'aud', permissions: ['email:read'] })).status).toBe(403);
  });

  it('scopes a partner token to its partner: another partner’s resources answer 404, its own answer', async () => {
    const created = await create(w.partnerA.admin.token, {
      name: 'reader',
      permissions: ['system_setting:read', 'audit:read', 'organization:read'],
    });
    const auth = bearer(created.body.token);

    const effectiveOther = await a.client.get(`/event/v1/email/config/effective?partner_id=${w.partnerB.id}`, undefined, auth);
    expect(effectiveOther.status).toBe(404);
    const orgOther = await a.client.get(`/event/v1/email/config/effective?org_id=${w.orgB1.id}`, undefined, auth);
    expect(orgOther.status).toBe(404);
    expect((await a.client.get(`/opsauditlogs?partner_id=${w.partnerB.id}`, undefined, auth)).status).toBe(404);
    expect((await a.client.get(`/event/v1/auditlog?org_id=${w.orgB1.id}`, undefined, auth)).status).toBe(404);

    expect((await a.client.get(`/event/v1/auditlog?org_id=${w.orgA1.id}`, undefined, auth)).status).toBe(200);
    const orgs = await a.client.get('/auth/v1/organizations', undefined, auth);
    expect(orgs.status).toBe(200);
    expect(orgs.body.items.map((o: { partner_id: string }) => o.partner_id)).toEqual([w.partnerA.id, w.partnerA.id]);

    // What it was not given answers 403 like the role matrix; managing accounts and users is for people.
    const denied = await a.client.post('/event/v1/email/config', { email_config: { smtp_config: { host: 'x.test' } } }, undefined, auth);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    expect(denied.body.detail).toContain('system_setting:modify');
    expect((await a.client.get(URL, undefined, auth)).status).toBe(403);
    expect(
      (await a.client.post('/auth/v1/users', { email: 'x@y.test', role: 'auditor', password: PASSWORD }, undefined, auth)).status,
    ).toBe(403);
    expect((await a.client.post('/auth/v1/logout', undefined, undefined, auth)).status).toBe(403);
  });

  it('names the service account as the actor of what it does', async () => {
    const created = await create(w.root.token, { name: 'billing-provisioner', permissions: ['partner:create'] });
    const res = await a.client.post(
      '/auth/v1/partners',
      { name: 'Provisioned', admin: { email: 'admin@provisioned.sa.test', password: PASSWORD } },
      undefined,
      bearer(created.body.token),
    );
    expect(res.status).toBe(201);
    const log = await a.client.get(`/opsauditlogs?partner_id=${res.body.id}&timefrom=now-1h`, w.root.token);
    expect(log.status).toBe(200);
    const event = log.body.items.find((e: { type: string }) => e.type === 'partner.created');
    expect(event.actor).toMatchObject({
      type: 'service_account',
      id: created.body.id,
      name: 'billing-provisioner',
      email: null,
      role: null,
    });
    const userEvent = log.body.items.find((e: { type: string }) => e.type === 'account.user.created');
    expect(userEvent.actor).toMatchObject({ type: 'service_account', id: created.body.id });
  });

  it('never writes a token into a log line or an audit row', async () => {
    expect(issued.length).toBeGreaterThan(5);
    const logged = logs.text();
    expect(logged.length).toBeGreaterThan(0);
    const audit = JSON.stringify(await a.db.query(`SELECT * FROM audit_events`));
    for (const token of issued) {
      expect(logged).not.toContain(token.slice(4));
      expect(audit).not.toContain(token.slice(4));
    }
  });
});
