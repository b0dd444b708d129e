import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import { EffectiveConfigService, EmailConfigService, reencryptAllSecrets } from '@mailstrata/email-config';
import { parseKeyring, SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { createTenant, rootToken, smtp, Tenant } from './helpers';

const URL_ = '/event/v1/email/config';
const KEY1 = `k1:${randomBytes(32).toString('base64')}`;
const KEY2 = `k2:${randomBytes(32).toString('base64')}`;

/** Every text of every row of every table, to grep for a literal secret. */
async function wholeDatabase(t: TestApp): Promise<string> {
  const tables = await t.db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
  let text = '';
  for (const { table_name } of tables) {
    const rows = await t.db.query<{ j: string }>(`SELECT row_to_json(x)::text AS j FROM "${table_name}" x`);
    text += rows.map((r) => r.j).join('\n');
  }
  expect(text).toContain('smtp.partner.test'); // the dump does contain the profiles
  return text;
}

describe('email config: secrets', () => {
  let t: TestApp;
  let tenant: Tenant;
  const logs: string[] = [];
  let restoreStdout: () => void;

  beforeAll(async () => {
    // pino writes to fd 1 through process.stdout: capture everything the app logs at debug level.
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stdout.write;
    restoreStdout = () => (process.stdout.write = write);
    t = await startTestApp({ env: { LOG_LEVEL: 'debug', SECRETS_ENCRYPTION_KEYS: KEY1 } });
    tenant = await createTenant(t.client, await rootToken(t.client));
  });
  afterAll(async () => {
    restoreStdout();
    await t.close();
  });

  it('keeps an omitted secret only while the destination is unchanged', async () => {
    expect((await t.client.post(URL_, smtp({ password: 'literal-secret-A1' }), tenant.partnerToken)).status).toBe(201);

    // replace with the same destination, no password: kept
    const same = await t.client.post(
      URL_,
      { email_config: { smtp_config: { ...smtp().email_config.smtp_config, password: undefined, retries: 7 } } },
      tenant.partnerToken,
    );
    expect(same.status).toBe(200);
    expect(same.body.email_config.smtp_config).toMatchObject({ retries: 7, password_set: true });

    // every destination field, changed without the password: refused
    const changes: Array<Record<string, unknown>> = [
      { host: 'smtp.elsewhere.test' },
      { port: 2525 },
      { tls_mode: 'implicit', port: 587 },
      { username: 'someone-else' },
    ];
    for (const change of changes) {
      const res = await t.client.patch(URL_, { email_config: { smtp_config: change } }, tenant.partnerToken);
      expect([change, res.status, res.body.code]).toEqual([change, 400, 'SECRET_REQUIRED']);
      expect(res.body.errors[0].field).toBe('email_config.smtp_config.password');
      const replace = await t.client.post(
        URL_,
        { email_config: { smtp_config: { ...smtp().email_config.smtp_config, password: undefined, ...change } } },
        tenant.partnerToken,
      );
      expect([change, replace.status, replace.body.code]).toEqual([change, 400, 'SECRET_REQUIRED']);
    }
    // the same change with the password: accepted
    const moved = await t.client.patch(
      URL_,
      { email_config: { smtp_config: { host: 'smtp.elsewhere.test', password: 'literal-secret-B2' } } },
      tenant.partnerToken,
    );
    expect(moved.status).toBe(200);
    expect(moved.body.email_config.smtp_config).toMatchObject({ host: 'smtp.elsewhere.test', password_set: true });

    // the secret the mailer gets is the new one
    const resolved = await t.app.get(EffectiveConfigService).resolveForPartner(tenant.partnerId);
    expect(resolved.secrets.password).toBe('literal-secret-B2');
    expect(resolved.source).toBe('partner');

    // explicit null clears: with basic auth that leaves the profile without its required password
    const cleared = await t.client.patch(URL_, { email_config: { smtp_config: { password: null } } }, tenant.partnerToken);
    expect(cleared.status).toBe(400);
    expect(cleared.body.code).toBe('SECRET_REQUIRED');
    const noAuth = await t.client.patch(
      URL_,
      { email_config: { smtp_config: { auth_type: 'none', password: null } } },
      tenant.partnerToken,
    );
    expect(noAuth.status).toBe(200);
    expect(noAuth.body.email_config.smtp_config).toMatchObject({ auth_type: 'none', username: null, password_set: false });
    const row = await t.db.query<{ password_enc: string | null }>(
      `SELECT password_enc FROM smtp_profiles WHERE partner_id = $1 AND state = 'active'`,
      [tenant.partnerId],
    );
    expect(row[0]!.password_enc).toBeNull();
  });

  it('handles OAuth2 and client certificates with the same rules', async () => {
    const pems = await generate([{ name: 'commonName', value: 'client.test' }], { keySize: 2048 });
    const oauth = {
      host: 'smtp.office365.test',
      port: 587,
      use_tls: true,
      username: 'mailer@tenant.test',
      oauth2: {
        token_endpoint: 'https://login.tenant.test/token',
        client_id: 'app-1',
        client_secret: 'literal-client-secret-C3',
        scope: 'https://outlook.office.com/.default',
      },
      client_cert: pems.cert,
      client_key: pems.private,
    };
    const created = await t.client.post(URL_, { email_config: { smtp_config: oauth } }, tenant.partnerToken);
    expect(created.status).toBe(200);
    expect(created.body.email_config.smtp_config).toMatchObject({
      auth_type: 'oauth2',
      client_secret_set: true,
      client_key_set: true,
      password_set: false,
    });
    expect(created.body.email_config.smtp_config.oauth2).toEqual({
      token_endpoint: 'https://login.tenant.test/token',
      client_id: 'app-1',
      scope: 'https://outlook.office.com/.default',
      audience: null,
      request_headers: [],
    });
    expect(created.text).not.toContain('PRIVATE KEY');

    const newClient = await t.client.patch(
      URL_,
      { email_config: { smtp_config: { oauth2: { client_id: 'app-2' } } } },
      tenant.partnerToken,
    );
    expect(newClient.status).toBe(400);
    expect(newClient.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'email_config.smtp_config.client_key',
      'email_config.smtp_config.oauth2.client_secret',
    ]);
    const scopeOnly = await t.client.patch(URL_, { email_config: { smtp_config: { oauth2: { scope: 'other' } } } }, tenant.partnerToken);
    expect(scopeOnly.status).toBe(200);
    expect(scopeOnly.body.email_config.smtp_config).toMatchObject({ client_secret_set: true, client_key_set: true });

    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const mismatch = await t.client.patch(URL_, { email_config: { smtp_config: { client_key: otherKey } } }, tenant.partnerToken);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors[0]).toMatchObject({ field: 'email_config.smtp_config.client_key', rule: 'matchesClientCert' });

    const resolved = await t.app.get(EffectiveConfigService).resolveForPartner(tenant.partnerId);
    expect(resolved.secrets).toEqual({
      password: null,
      clientSecret: 'literal-client-secret-C3',
      clientKey: pems.private,
      requestHeaders: null,
    });
  });

  it('prepares an unsaved verification candidate with the same rules (borrowing only for the same destination)', async () => {
    const service = t.app.get(EmailConfigService);
    const scope = { level: 'partner' as const, partnerId: tenant.partnerId, orgId: null };
    const stored = (await t.client.get(URL_, tenant.partnerToken)).body.email_config.smtp_config;
    const same = {
      host: stored.host,
      port: stored.port,
      tls_mode: stored.tls_mode,
      username: stored.username,
      oauth2: { token_endpoint: stored.oauth2.token_endpoint, client_id: stored.oauth2.client_id },
      client_cert: stored.client_cert,
    };
    const borrowed = await service.prepareCandidate(scope, same);
    expect(borrowed.secrets.clientSecret).toBe('literal-client-secret-C3');
    await expect(service.prepareCandidate(scope, { ...same, host: 'smtp.attacker.test' })).rejects.toMatchObject({
      code: 'SECRET_REQUIRED',
      errors: expect.arrayContaining([expect.objectContaining({ field: 'smtp_config.oauth2.client_secret' })]),
    });
    await expect(service.prepareCandidate(scope, { host: 'bad host' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    // nothing was saved by preparing
    expect((await t.client.get(URL_, tenant.partnerToken)).body.email_config.smtp_config.host).toBe(stored.host);
  });

  it('binds each ciphertext to its row and field', async () => {
    const other = await createTenant(t.client, await rootToken(t.client), 'other');
    expect((await t.client.post(URL_, smtp({ password: 'literal-secret-D4' }), other.partnerToken)).status).toBe(201);
    const rows = await t.db.query<{ id: string; partner_id: string; oauth2_client_secret_enc: string }>(
      `SELECT id, partner_id, oauth2_client_secret_enc FROM smtp_profiles WHERE state = 'active'`,
    );
    const mine = rows.find((r) => r.partner_id === tenant.partnerId)!;
    expect(mine.oauth2_client_secret_enc).toMatch(/^v1\.k1\./);
    // copy tenant's client secret ciphertext into the other profile's password column
    await t.db.query(`UPDATE smtp_profiles SET password_enc = $1 WHERE partner_id = $2`, [mine.oauth2_client_secret_enc, other.partnerId]);
    const effective = t.app.get(EffectiveConfigService);
    effective.clear();
    await expect(effective.resolveForPartner(other.partnerId)).rejects.toThrow(/authentication failed/);
    // A DELETE keeps versions (for a rollback): the tampered rows go by hand, as they came.
    await t.db.query(`DELETE FROM smtp_profiles WHERE partner_id = $1`, [other.partnerId]);
  });

  it('re-encrypts every secret under the first key of a rotated keyring', async () => {
    const rotated = new SecretCipher(parseKeyring(`${KEY2},${KEY1}`));
    const dataSource = t.app.get(DataSource);
    // Every version is re-encrypted, not only those in force: any of them can be activated again.
    const [stored] = await t.db.query<{ rows: number; secrets: number }>(
      `SELECT count(*)::int AS rows, count(*) FILTER (WHERE coalesce(password_enc, client_key_enc, oauth2_client_secret_enc, oauth2_request_headers_enc) IS NOT NULL)::int AS secrets FROM smtp_profiles`,
    );
    expect(stored!.rows).toBeGreaterThan(1);
    const report = await reencryptAllSecrets(dataSource, rotated);
    expect(report).toEqual({ rows: stored!.rows, rewritten: stored!.secrets, keyId: 'k2' });
    const row = (
      await t.db.query<Record<string, string | null>>(
        `SELECT oauth2_client_secret_enc, client_key_enc FROM smtp_profiles WHERE partner_id = $1 AND state = 'active'`,
        [tenant.partnerId],
      )
    )[0]!;
    expect(row.oauth2_client_secret_enc).toMatch(/^v1\.k2\./);
    expect(row.client_key_enc).toMatch(/^v1\.k2\./);
    expect((await reencryptAllSecrets(dataSource, rotated)).rewritten).toBe(0);

    // a replica holding only the new key reads them
    const second = await startTestApp({ db: t.db, env: { SECRETS_ENCRYPTION_KEYS: KEY2 } });
    try {
      const resolved = await second.app.get(EffectiveConfigService).resolveForPartner(tenant.partnerId);
      expect(resolved.secrets.clientSecret).toBe('literal-client-secret-C3');
    } finally {
      await second.close();
    }
  });

  it('leaves no secret in plain text in any response, log line, audit event or column', async () => {
    const literals = ['literal-secret-A1', 'literal-secret-B2', 'literal-client-secret-C3', 'literal-secret-D4', 'pw-default-1'];
    const all = await wholeDatabase(t);
    const audits = JSON.stringify(await t.db.query(`SELECT * FROM audit_events`));
    const logText = logs.join('');
    expect(logText).toContain('/event/v1/email/config'); // debug logging did capture the requests
    const responses = [
      await t.client.get(URL_, tenant.partnerToken),
      await t.client.get(`${URL_}/effective`, tenant.orgToken),
      await t.client.get(`${URL_}/effective`, tenant.partnerToken),
    ].map((r) => r.text);
    for (const secret of literals) {
      expect([secret, all.includes(secret)]).toEqual([secret, false]);
      expect([secret, audits.includes(secret)]).toEqual([secret, false]);
      expect([secret, logText.includes(secret)]).toEqual([secret, false]);
      for (const text of responses) expect([secret, text.includes(secret)]).toEqual([secret, false]);
    }
    expect(all).not.toContain('BEGIN PRIVATE KEY');
    expect(logText).not.toContain('PRIVATE KEY');
  });
});
