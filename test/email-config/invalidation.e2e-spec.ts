/**
 * Every way the rows behind a cached resolution can change reaches a second replica whose cache entries
 * would otherwise live for a day: only the change bus can explain a fresh answer there. Each case warms
 * B first, changes the data on A (through the API) or behind both (hand-run SQL, cascades), and reads
 * `/effective` on B.
 */
import { EffectiveConfigService } from '@mailstrata/email-config';
import { startTestApp, TestApp } from '../support/app';
import { createTenant, eventually, rootToken, setOverride, smtp, Tenant } from './helpers';

const EFFECTIVE = '/event/v1/email/config/effective';
const CONFIG = '/event/v1/email/config';
const LONG_LIVED = { EMAIL_CONFIG_CACHE_TTL_SECONDS: '86400', FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.test' };

describe('email config: every write path invalidates the other replica’s long-lived cache', () => {
  let a: TestApp;
  let b: TestApp;
  let root: string;
  let tenant: Tenant;
  beforeAll(async () => {
    a = await startTestApp({ env: LONG_LIVED });
    b = await startTestApp({ db: a.db, env: LONG_LIVED });
    root = await rootToken(a.client);
    tenant = await createTenant(a.client, root);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  /** What B answers for the org (as its partner admin) or, with `partner`, for the partner (as controller admin). */
  const onB = async (query: string, token = tenant.partnerToken) => {
    const res = await b.client.get(`${EFFECTIVE}?${query}`, token);
    return res.status === 200 ? (res.body.email_config.smtp_config.host as string) : `${res.status} ${res.body.code}`;
  };
  const orgOnB = () => onB(`org_id=${tenant.orgId}`);
  const becomes = async (read: () => Promise<string>, expected: string) => {
    await eventually(async () => (await read()) === expected, 3000).catch(async () => {
      throw new Error(`B still answers ${await read()}, expected ${expected}`);
    });
  };

  it('profile create, patch and delete; switch on and off; org profile', async () => {
    expect(await orgOnB()).toBe('smtp.controller.test'); // B caches the controller answer
    expect((await a.client.post(CONFIG, smtp({ host: 'one.partner.test' }), tenant.partnerToken)).status).toBe(201);
    await becomes(orgOnB, 'one.partner.test');

    const patch = { email_config: { smtp_config: { host: 'two.partner.test', password: 'x-pass-2' } } };
    expect((await a.client.patch(CONFIG, patch, tenant.partnerToken)).status).toBe(200);
    await becomes(orgOnB, 'two.partner.test');

    expect((await a.client.post(`${CONFIG}?org_id=${tenant.orgId}`, smtp({ host: 'org.tenant.test' }), tenant.partnerToken)).status).toBe(
      201,
    );
    expect(await orgOnB()).toBe('two.partner.test'); // switch still off
    await setOverride(a.client, tenant.partnerToken, tenant.orgId, true);
    await becomes(orgOnB, 'org.tenant.test');
    await setOverride(a.client, tenant.partnerToken, tenant.orgId, false);
    await becomes(orgOnB, 'two.partner.test');

    expect((await a.client.delete(CONFIG, tenant.partnerToken)).status).toBe(204);
    await becomes(orgOnB, 'smtp.controller.test');
  });

  it('changes made by hand in SQL: a profile row, the switch, an organization deleted with its profile', async () => {
    expect((await a.client.post(CONFIG, smtp({ host: 'sql.partner.test' }), tenant.partnerToken)).status).toBe(201);
    await becomes(orgOnB, 'sql.partner.test');

    await a.db.query(`UPDATE smtp_profiles SET host = 'edited.partner.test' WHERE partner_id = $1 AND org_id IS NULL`, [tenant.partnerId]);
    await becomes(orgOnB, 'edited.partner.test');

    await a.db.query(`UPDATE organizations SET smtp_override_enabled = true WHERE id = $1`, [tenant.orgId]);
    await becomes(orgOnB, 'org.tenant.test');

    await a.db.query(`DELETE FROM users WHERE org_id = $1`, [tenant.orgId]);
    await a.db.query(`DELETE FROM organizations WHERE id = $1`, [tenant.orgId]);
    await becomes(orgOnB, '404 NOT_FOUND');
  });

  it('a partner deleted behind the API is gone on B too', async () => {
    const other = await createTenant(a.client, root, 'gone');
    const partnerOnB = () => onB(`partner_id=${other.partnerId}`, root);
    expect(await partnerOnB()).toBe('smtp.controller.test');
    await a.db.query(`DELETE FROM users WHERE partner_id = $1`, [other.partnerId]);
    await a.db.query(`DELETE FROM organizations WHERE partner_id = $1`, [other.partnerId]);
    await a.db.query(`DELETE FROM partners WHERE id = $1`, [other.partnerId]);
    await becomes(partnerOnB, '404 NOT_FOUND');
  });

  it('the controller profile is each replica’s environment at start, never cached from the database', async () => {
    const other = await createTenant(a.client, root, 'env');
    expect(await onB(`partner_id=${other.partnerId}`, root)).toBe('smtp.controller.test');
    const c = await startTestApp({ db: a.db, env: { ...LONG_LIVED, FW_EVENT_SMTP_SERVER_ADDR: 'smtp.restarted.test' } });
    try {
      const res = await c.client.get(`${EFFECTIVE}?partner_id=${other.partnerId}`, await rootToken(c.client));
      expect(res.body.email_config.smtp_config.host).toBe('smtp.restarted.test');
    } finally {
      await c.close();
    }
  });

  it('holds no more entries than EMAIL_CONFIG_CACHE_MAX_ENTRIES however many organizations are read', async () => {
    const c = await startTestApp({ db: a.db, env: { ...LONG_LIVED, EMAIL_CONFIG_CACHE_MAX_ENTRIES: '100' } });
    try {
      const many = await createTenant(a.client, root, 'many');
      await a.db.query(
        `INSERT INTO organizations (partner_id, name, smtp_override_enabled)
         SELECT $1, 'bulk-' || g, g % 10 = 0 FROM generate_series(1, 300) g`,
        [many.partnerId],
      );
      const ids = (await a.db.query<{ id: string }>(`SELECT id FROM organizations WHERE partner_id = $1`, [many.partnerId])).map(
        (r) => r.id,
      );
      const effective = c.app.get(EffectiveConfigService);
      for (const id of ids) expect((await effective.resolveForOrg(id)).settings.host).toBe('smtp.controller.test');
      expect(ids.length).toBe(301);
      expect(effective.cachedEntries).toBe(100);
    } finally {
      await c.close();
    }
  });
});
