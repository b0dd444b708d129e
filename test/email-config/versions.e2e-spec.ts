/**
 * Versions, drafts and rollback in the real app against real SMTP servers: a draft on server B is not
 * in force (system emails keep landing on A) but can be tested by version; activating it moves the
 * route to B, on this replica and on another one; re-activating version 1 moves it back; a delete keeps
 * the history so a rollback still works; ETag preconditions, unknown and foreign versions, field errors,
 * the secret rule for drafts, and one audit row per change.
 */
import { startTestApp, TestApp } from '../support/app';
import { startSmtpServer, testCertificates, TestSmtpServer, waitFor } from '../support/smtp';
import { createTenant, rootToken, Tenant } from './helpers';

const CONFIG = '/event/v1/email/config';
const VERSIONS = `${CONFIG}/versions`;
const EFFECTIVE = `${CONFIG}/effective`;
const VERIFY = `${CONFIG}/verification`;
const MESSAGES = '/event/v1/email/messages';

describe('email config versions: draft → test → activate → rollback', () => {
  let t: TestApp;
  let replica: TestApp;
  let serverA: TestSmtpServer;
  let serverB: TestSmtpServer;
  let controllerSmtp: TestSmtpServer;
  let root: string;
  let tenant: Tenant;
  let other: Tenant;
  let serviceToken: string;
  const certs = testCertificates();

  const profileOn = (server: TestSmtpServer, password: string | undefined, extra: Record<string, unknown> = {}) => ({
    host: '127.0.0.1',
    port: server.port,
    tls_mode: 'starttls',
    ca_cert: certs.caCert,
    username: 'mailer',
    ...(password !== undefined ? { password } : {}),
    sender_email: 'noreply@partner.test',
    retries: 1,
    ...extra,
  });
  const asPartner = (method: 'get' | 'post' | 'delete', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    method === 'post'
      ? t.client.post(url, body, tenant.partnerToken, headers)
      : method === 'get'
        ? t.client.get(url, tenant.partnerToken, headers)
        : t.client.delete(url, tenant.partnerToken, headers);
  const effectivePort = async (app: TestApp = t) => {
    const res = await app.client.get(EFFECTIVE, tenant.partnerToken);
    return res.status === 200 ? (res.body.email_config.smtp_config.port as number) : -res.status;
  };
  /** A system email of the tenant from a platform component (a service account) through the send API and the in-process worker. */
  const systemEmailLandsOn = async (server: TestSmtpServer, subject: string) => {
    const before = [serverA, serverB, controllerSmtp].map((s) => s.messages.length);
    const sent = await t.client.post(
      MESSAGES,
      { partner_id: tenant.partnerId, to: ['someone@customer.test'], subject, text: 'Hello' },
      undefined,
      { authorization: `Bearer ${serviceToken}` },
    );
    expect(sent.status).toBe(202);
    await waitFor(() => server.messages.some((m) => m.subject === subject), 10_000, `"${subject}" on port ${server.port}`);
    // …and nowhere else.
    [serverA, serverB, controllerSmtp].forEach((s, i) => {
      if (s !== server) expect(s.messages.length).toBe(before[i]);
    });
  };
  const audits = async () =>
    t.db.query<{ type: string; details: Record<string, unknown>; actor_email: string }>(
      `SELECT type, details, actor_email FROM audit_events WHERE partner_id = $1 AND type LIKE 'email.config.%' ORDER BY seq`,
      [tenant.partnerId],
    );

  beforeAll(async () => {
    serverA = await startSmtpServer({ tls: 'starttls', users: { mailer: 'password-of-a-1' } });
    serverB = await startSmtpServer({ tls: 'starttls', users: { mailer: 'password-of-b-2' } });
    controllerSmtp = await startSmtpServer();
    t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(controllerSmtp.port),
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: [serverA.port, serverB.port].join(','),
        EMAIL_RETRY_BASE_MS: '40',
        EMAIL_POLL_INTERVAL_MS: '25',
        VERIFICATION_RATE_LIMIT_PER_MINUTE: '100',
      },
    });
    replica = await startTestApp({ db: t.db, env: t.env });
    root = await rootToken(t.client);
    tenant = await createTenant(t.client, root, 'vers');
    other = await createTenant(t.client, root, 'versx');
    const account = await t.client.post(
      '/auth/v1/service-accounts',
      { name: 'alerting', permissions: ['email:send'] },
      tenant.partnerToken,
    );
    expect(account.status).toBe(201);
    serviceToken = account.body.token as string;
  });
  afterAll(async () => {
    await replica?.close();
    await t?.close();
    await Promise.all([serverA, serverB, controllerSmtp].map((s) => s?.close()));
  });

  it('a draft is not in force until activated, is tested by version, and a rollback restores version 1', async () => {
    // v1 on A, saved and activated at once by the seed's POST.
    const v1 = await asPartner('post', CONFIG, { email_config: { smtp_config: profileOn(serverA, 'password-of-a-1') } });
    expect(v1.status).toBe(201);
    expect(v1.body.email_config.metadata.version).toBe(1);
    const etag1 = v1.headers.etag as string;
    expect(await effectivePort(replica)).toBe(serverA.port); // the other replica's cache is warm now

    // A draft for B must bring B's password: stored secrets never follow a new destination.
    const noSecret = await asPartner('post', VERSIONS, { email_config: { smtp_config: profileOn(serverB, undefined) } });
    expect(noSecret.status).toBe(400);
    expect(noSecret.body).toMatchObject({
      code: 'SECRET_REQUIRED',
      errors: [expect.objectContaining({ field: 'email_config.smtp_config.password', rule: 'secretRequired' })],
    });

    const draft = await asPartner('post', VERSIONS, { email_config: { smtp_config: profileOn(serverB, 'password-of-b-2') } });
    expect(draft.status).toBe(201);
    expect(draft.headers.location).toBe(`${VERSIONS}/2`);
    expect(draft.body.email_config.metadata).toMatchObject({
      version: 2,
      state: 'draft',
      based_on_version: 1,
      changed_fields: ['port', 'password'],
      activated_at: null,
      created_by: { email: expect.stringContaining('@'), type: 'user' },
    });
    expect(draft.body.email_config.smtp_config).toMatchObject({ port: serverB.port, password_set: true });
    expect(draft.text).not.toContain('password-of-b-2');

    // Nothing in force changed: the profile, the effective route and a system email all stay on A.
    expect((await asPartner('get', CONFIG)).body.email_config.metadata.version).toBe(1);
    expect(await effectivePort()).toBe(serverA.port);
    await systemEmailLandsOn(serverA, 'while v2 is a draft');
    expect(serverA.authAttempts.at(-1)).toMatchObject({ username: 'mailer', ok: true });

    // The draft tested by version: its own server and its own password.
    const tested = await asPartner('post', VERIFY, { recipient_email: 'qa@partner.test', subject: 'testing v2', version: 2 });
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ status: 'sent', version: 2, candidate: true, port: serverB.port, accepted: ['qa@partner.test'] });
    expect((await serverB.waitForMessages(1))[0]).toMatchObject({ subject: 'testing v2', authUser: 'mailer' });
    expect(await effectivePort()).toBe(serverA.port);

    // The history, newest first, without secrets.
    const list = await asPartner('get', VERSIONS);
    expect(list.status).toBe(200);
    expect(list.body.versions).toMatchObject([
      { version: 2, state: 'draft', port: serverB.port, password_set: true, changed_fields: ['port', 'password'] },
      { version: 1, state: 'active', port: serverA.port, password_set: true, based_on_version: null },
    ]);
    expect(list.text).not.toMatch(/password-of-/);
    expect((await asPartner('get', `${VERSIONS}?limit=1&before=2`)).body.versions.map((v: { version: number }) => v.version)).toEqual([1]);

    // Activation with a stale or unknown ETag is refused, and changes nothing.
    const stale = await asPartner('post', `${VERSIONS}/2/activate`, undefined, { 'if-match': '"00000000-0000-4000-8000-000000000000.1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    expect(await effectivePort()).toBe(serverA.port);

    // Activate v2: B is in force, here and on the other replica, and system emails go there.
    const activated = await asPartner('post', `${VERSIONS}/2/activate`, undefined, { 'if-match': etag1 });
    expect(activated.status).toBe(200);
    expect(activated.body.email_config.metadata).toMatchObject({ version: 2 });
    const etag2 = activated.headers.etag as string;
    expect(etag2).not.toBe(etag1);
    expect((await asPartner('get', CONFIG)).body.email_config.metadata.version).toBe(2);
    expect(await effectivePort()).toBe(serverB.port);
    await waitFor(async () => (await effectivePort(replica)) === serverB.port, 2_000, 'the other replica to see v2');
    await systemEmailLandsOn(serverB, 'after activating v2');

    // The old ETag is stale now; rollback to v1 with the current one.
    expect((await asPartner('post', `${VERSIONS}/1/activate`, undefined, { 'if-match': etag1 })).status).toBe(412);
    const rolledBack = await asPartner('post', `${VERSIONS}/1/activate`, undefined, { 'if-match': etag2 });
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.email_config.metadata.version).toBe(1);
    expect(await effectivePort()).toBe(serverA.port);
    await waitFor(async () => (await effectivePort(replica)) === serverA.port, 2_000, 'the other replica to see v1 again');
    await systemEmailLandsOn(serverA, 'after the rollback');
    const states = (await asPartner('get', VERSIONS)).body.versions.map((v: { version: number; state: string }) => [v.version, v.state]);
    expect(states).toEqual([
      [2, 'superseded'],
      [1, 'active'],
    ]);
    // Activating what is in force already is a no-op (no audit row).
    expect((await asPartner('post', `${VERSIONS}/1/activate`, undefined, { 'if-match': '*' })).status).toBe(200);

    expect((await audits()).map((a) => [a.type, a.details.version, a.details.from_version, a.details.rollback])).toEqual([
      ['email.config.created', 1, undefined, undefined],
      ['email.config.draft_created', 2, undefined, undefined],
      ['email.config.activated', 2, 1, false],
      ['email.config.activated', 1, 2, true],
    ]);
    const verification = await t.db.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE partner_id = $1 AND type = 'email.verification.succeeded'`,
      [tenant.partnerId],
    );
    expect(verification.map((r) => r.details)).toEqual([expect.objectContaining({ version: 2, candidate: true, port: serverB.port })]);
    expect(JSON.stringify(await audits())).not.toMatch(/password-of-/);
  });

  it('a delete keeps the history: the level above takes over, and a rollback brings a version back', async () => {
    const current = await asPartner('get', CONFIG);
    expect((await asPartner('delete', CONFIG, undefined, { 'if-match': current.headers.etag as string })).status).toBe(204);
    expect((await asPartner('get', CONFIG)).status).toBe(404);
    const viaController = await t.client.get(EFFECTIVE, tenant.partnerToken);
    expect(viaController.body.source).toBe('controller');
    await systemEmailLandsOn(controllerSmtp, 'after the delete');

    // If-Match needs a profile in force; If-None-Match: * is the precondition for "none is".
    expect((await asPartner('post', `${VERSIONS}/2/activate`, undefined, { 'if-match': '*' })).status).toBe(412);
    const back = await asPartner('post', `${VERSIONS}/2/activate`, undefined, { 'if-none-match': '*' });
    expect(back.status).toBe(200);
    expect(await effectivePort()).toBe(serverB.port);
    await systemEmailLandsOn(serverB, 'after the rollback past a delete');
    const last = (await audits()).slice(-2);
    expect(last.map((a) => [a.type, a.details.version, a.details.from_version ?? null, a.details.rollback ?? null])).toEqual([
      ['email.config.deleted', 1, null, null],
      ['email.config.activated', 2, null, true],
    ]);
  });

  it('PATCH and drafts based on a version carry the secret to the new row while the destination stays', async () => {
    const patched = await t.client.request('PATCH', CONFIG, {
      body: { email_config: { smtp_config: { retries: 3 } } },
      cookie: tenant.partnerToken,
    });
    expect(patched.status).toBe(200);
    const patchedVersion = patched.body.email_config.metadata.version as number;
    expect(patchedVersion).toBe(3);
    const v3 = (await asPartner('get', `${VERSIONS}/3`)).body.email_config.metadata;
    expect(v3).toMatchObject({ state: 'active', based_on_version: 2, changed_fields: ['retries'] });

    // A partial draft on version 1 (server A): its password is re-encrypted for the new row and works.
    const partial = await asPartner('post', VERSIONS, { based_on: 1, email_config: { smtp_config: { sender_name: 'Partner Mail' } } });
    expect(partial.status).toBe(201);
    expect(partial.body.email_config.metadata).toMatchObject({
      version: 4,
      state: 'draft',
      based_on_version: 1,
      changed_fields: ['sender_name'],
    });
    expect(partial.body.email_config.smtp_config).toMatchObject({ port: serverA.port, password_set: true });
    const before = serverA.messages.length;
    const tested = await asPartner('post', VERIFY, { recipient_email: 'qa@partner.test', subject: 'testing v4', version: 4 });
    expect(tested.status).toBe(200);
    await waitFor(() => serverA.messages.length > before, 10_000, 'v4 test on A');
    expect(serverA.messages.at(-1)).toMatchObject({ subject: 'testing v4', authUser: 'mailer' });
    expect(await effectivePort()).toBe(serverB.port); // still v3 in force

    // Moving a based-on draft to another server needs that server's secret again.
    const moved = await asPartner('post', VERSIONS, { based_on: 1, email_config: { smtp_config: { port: serverB.port } } });
    expect(moved.status).toBe(400);
    expect(moved.body.code).toBe('SECRET_REQUIRED');
    // The ciphertexts of each version are bound to its own row.
    const rows = await t.db.query<{ id: string; version: number; password_enc: string }>(
      `SELECT id, version, password_enc FROM smtp_profiles WHERE partner_id = $1 AND org_id IS NULL AND version IN (1, 4)`,
      [tenant.partnerId],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]!.password_enc).not.toBe(rows[1]!.password_enc);
  });

  it('unknown versions are 404, foreign scopes 404, bad input 400 naming the field', async () => {
    for (const res of [
      await asPartner('get', `${VERSIONS}/99`),
      await asPartner('post', `${VERSIONS}/99/activate`, undefined, { 'if-match': '*' }),
      await asPartner('post', VERIFY, { version: 99 }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('SMTP_PROFILE_VERSION_NOT_FOUND');
    }
    // Another partner's admin: the tenant's scope does not exist for it, and its own has no versions.
    const foreign = [
      await t.client.get(`${VERSIONS}?partner_id=${tenant.partnerId}`, other.partnerToken),
      await t.client.get(`${VERSIONS}/1?org_id=${tenant.orgId}`, other.partnerToken),
      await t.client.post(`${VERSIONS}/1/activate?partner_id=${tenant.partnerId}`, undefined, other.partnerToken),
      await t.client.post(`${VERIFY}?partner_id=${tenant.partnerId}`, { version: 1 }, other.partnerToken),
      await t.client.get(`${VERSIONS}/1`, other.partnerToken),
    ];
    expect(foreign.map((r) => r.status)).toEqual([404, 404, 404, 404, 404]);
    expect((await t.client.get(VERSIONS, other.partnerToken)).body.versions).toEqual([]);
    // An org admin cannot test its partner's drafts (only the scope's owner may).
    expect((await t.client.post(`${VERIFY}?partner_id=${tenant.partnerId}`, { version: 4 }, tenant.orgToken)).status).toBe(404);
    // The controller admin names the scope and sees the same history.
    expect((await t.client.get(`${VERSIONS}?partner_id=${tenant.partnerId}`, root)).body.versions[0].version).toBe(4);

    const bad = [
      [await asPartner('get', `${VERSIONS}/abc`), 'version'],
      [await asPartner('get', `${VERSIONS}/0`), 'version'],
      [await asPartner('get', `${VERSIONS}/99999999999`), 'version'],
      [await asPartner('get', `${VERSIONS}?limit=0`), 'limit'],
      [await asPartner('get', `${VERSIONS}?before=x`), 'before'],
      [await asPartner('post', VERSIONS, { email_config: { smtp_config: profileOn(serverA, 'x') }, based_on: 'one' }), 'based_on'],
      [await asPartner('post', VERIFY, { version: 1.5 }), 'version'],
      [await asPartner('post', VERIFY, { version: 1, smtp_config: profileOn(serverA, 'x') }), 'version'],
    ] as const;
    for (const [res, field] of bad) {
      expect([res.status, res.body.errors?.[0]?.field]).toEqual([400, field]);
    }
    const missingBase = await asPartner('post', VERSIONS, { based_on: 42, email_config: { smtp_config: {} } });
    expect(missingBase.status).toBe(404);
    expect(missingBase.body).toMatchObject({
      code: 'SMTP_PROFILE_VERSION_NOT_FOUND',
      errors: [{ field: 'based_on', rule: 'versionExists' }],
    });
    // A draft with an invalid profile names the field like POST does, and writes nothing.
    const count = async () =>
      (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM smtp_profiles WHERE partner_id = $1`, [tenant.partnerId]))[0]!.n;
    const rowsBefore = await count();
    const invalid = await asPartner('post', VERSIONS, { email_config: { smtp_config: profileOn(serverA, 'x', { port: 70000 }) } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'email_config.smtp_config.port' })]));
    expect(await count()).toBe(rowsBefore);
  });
});
