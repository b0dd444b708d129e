/**
 * Secret references in the real app against a real SMTP server that requires AUTH: a partner profile's
 * password comes from a file in the partner's directory under SMTP_SECRET_REFS_DIR; rewriting the file
 * (and a Kubernetes-style atomic `..data` swap) is picked up by the next test email and the next queued
 * email without a restart; names that climb out, absolute paths, symlinks out of the directory and
 * another partner's file are refused at save; a file removed after save fails sends at stage CONFIG,
 * and no file content ever reaches a response, an audit event or a log line.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpRouteResolver } from '@mailstrata/delivery';
import { startTestApp, TestApp } from '../support/app';
import { CapturedLogs, captureStdout } from '../support/logs';
import { startOAuth2Server, startSmtpServer, testCertificates, TestOAuth2Server, TestSmtpServer, waitFor } from '../support/smtp';
import { createTenant, rootToken, setOverride, Tenant } from './helpers';

const URL_ = '/event/v1/email/config';
const VERIFY = `${URL_}/verification`;
const MESSAGES = '/event/v1/email/messages';
// Every password this suite ever writes into a file: none may show up anywhere but the SMTP server.
const CLIENT_SECRETS = ['client-secret-file-S1', 'client-secret-file-S2'];
const PASSWORDS = [
  'file-pass-one-K1',
  'file-pass-two-K2',
  'file-pass-three-K3',
  'file-pass-four-K4',
  'ctl-pass-C1',
  'ctl-pass-C2',
  'backup-pass-B1',
];

describe('email config: secret references', () => {
  let t: TestApp;
  let logs: CapturedLogs;
  let server: TestSmtpServer;
  // OAuth2 behind mutual TLS: client_secret_ref and client_key_ref, in an organization's directory.
  let idp: TestOAuth2Server;
  let xoauth: TestSmtpServer;
  const idpOptions = { clientId: 'app', clientSecret: CLIENT_SECRETS[0]! };
  let refsDir: string;
  let root: string;
  let a: Tenant;
  let b: Tenant;
  // The server reads this object on every AUTH: changing it is changing the accepted password.
  const users: Record<string, string> = { mailer: PASSWORDS[0]!, ctl: PASSWORDS[4]! };
  const certs = testCertificates();

  const partnerDir = (tenant: Tenant) => join(refsDir, 'partners', tenant.partnerId);
  const profile = (overrides: Record<string, unknown> = {}) => ({
    email_config: {
      smtp_config: {
        host: '127.0.0.1',
        port: server.port,
        tls_mode: 'starttls',
        ca_cert: certs.caCert,
        username: 'mailer',
        sender_email: 'noreply@refs.test',
        retries: 1,
        ...overrides,
      },
    },
  });
  const verify = (tenant: Tenant) => t.client.post(VERIFY, { recipient_email: 'someone@customer.test' }, tenant.partnerToken);
  const submit = (tenant: Tenant, subject: string, to = 'someone@customer.test') =>
    t.client.post(MESSAGES, { partner_id: tenant.partnerId, to: [to], subject, text: 'Hi' }, tenant.partnerToken);
  const queue = async (tenant: Tenant, subject: string, to?: string): Promise<string> => {
    const res = await submit(tenant, subject, to);
    expect(res.status).toBe(202);
    return res.body.id as string;
  };
  const okAuths = () => server.authAttempts.filter((x) => x.ok).length;
  /**
   * Queues a message and waits for it to be sent over a connection that logged in anew: a pooled
   * connection that logged in with the old password must not carry it on as if nothing had changed.
   */
  const sentWithFreshLogin = async (tenant: Tenant, subject: string) => {
    const before = okAuths();
    expect((await settled(tenant, await queue(tenant, subject))).status).toBe('sent');
    expect([subject, okAuths() > before]).toEqual([subject, true]);
  };
  const settled = async (tenant: Tenant, id: string) =>
    waitFor(async () => {
      const res = await t.client.get(`${MESSAGES}/${id}`, tenant.partnerToken);
      return res.body.status === 'sent' || res.body.status === 'failed' ? res.body : undefined;
    }, 15_000);

  beforeAll(async () => {
    refsDir = mkdtempSync(join(tmpdir(), 'mailstrata-secret-refs-'));
    // late@ is refused once with a 451, so its message is retried: the file is removed in between.
    server = await startSmtpServer({ tls: 'starttls', users, failures: { rcptToFor: { 'late@refs.test': { code: 451, times: 1 } } } });
    idp = await startOAuth2Server(idpOptions);
    xoauth = await startSmtpServer({ tls: 'starttls', requireClientCert: true, xoauth2: (_user, token) => idp.isValid(token) });
    // The controller's own password, from <dir>/controller/ (checked at start).
    mkdirSync(join(refsDir, 'controller'));
    writeFileSync(join(refsDir, 'controller', 'ctl-password'), PASSWORDS[4]!);
    logs = captureStdout();
    t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
        FW_EVENT_SMTP_SERVER_PORT: String(server.port),
        FW_EVENT_SMTP_SERVER_USERNAME: 'ctl',
        FW_EVENT_SMTP_SERVER_PASSWORD_REF: 'ctl-password',
        FW_EVENT_SMTP_SERVER_CA_CERT: certs.caCert,
        FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
        LOG_LEVEL: 'debug',
        SMTP_SECRET_REFS_DIR: refsDir,
        SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
        SMTP_ALLOWED_PORTS: `${server.port},${xoauth.port}`,
        // The first retry comes 200–400 ms after a failure: time enough to change the file in between.
        EMAIL_RETRY_BASE_MS: '400',
        EMAIL_POLL_INTERVAL_MS: '25',
      },
    });
    root = await rootToken(t.client);
    a = await createTenant(t.client, root, 'refa');
    b = await createTenant(t.client, root, 'refb');
    mkdirSync(partnerDir(a), { recursive: true });
    mkdirSync(partnerDir(b), { recursive: true });
  });
  afterAll(async () => {
    logs?.restore();
    await t?.close();
    await Promise.all([server, xoauth, idp].map((x) => x?.close()));
    rmSync(refsDir, { recursive: true, force: true });
  });

  it('sends with the password read from the partner’s file, and shows the reference but never the secret', async () => {
    writeFileSync(join(partnerDir(a), 'smtp-password'), `${PASSWORDS[0]}\n`);
    const saved = await t.client.post(URL_, profile({ password_ref: 'smtp-password' }), a.partnerToken);
    expect(saved.status).toBe(201);
    const got = await t.client.get(URL_, a.partnerToken);
    expect(got.body.email_config.smtp_config).toMatchObject({ password_ref: 'smtp-password', password_set: true });
    expect(got.body.email_config.smtp_config).not.toHaveProperty('client_key_ref');
    const [created] = await t.db.query<{ details: { changed_fields: string[] } }>(
      `SELECT details FROM audit_events WHERE type = 'email.config.created' AND partner_id = $1`,
      [a.partnerId],
    );
    expect(created.details.changed_fields).toEqual(expect.arrayContaining(['host', 'password_ref']));
    expect(created.details.changed_fields).not.toContain('password');

    const res = await verify(a);
    expect([res.status, res.body.status]).toEqual([200, 'sent']);
    expect(server.authAttempts.at(-1)).toEqual({ method: 'PLAIN', username: 'mailer', ok: true });

    const sent = await settled(a, await queue(a, 'first'));
    expect(sent.status).toBe('sent');
  });

  it('follows a rewritten file, then a Kubernetes ..data swap, with no restart (test emails and pooled deliveries)', async () => {
    const dir = partnerDir(a);
    // 1. rewritten in place
    writeFileSync(join(dir, 'smtp-password'), PASSWORDS[1]!);
    users.mailer = PASSWORDS[1]!;
    expect((await verify(a)).body.status).toBe('sent');
    await sentWithFreshLogin(a, 'after rewrite');

    // 2. the layout of a Kubernetes Secret volume: smtp-password -> ..data/smtp-password, ..data -> ..v3
    mkdirSync(join(dir, '..v3'));
    writeFileSync(join(dir, '..v3', 'smtp-password'), PASSWORDS[2]!);
    symlinkSync('..v3', join(dir, '..data'));
    symlinkSync('..data/smtp-password', join(dir, 'link.tmp'));
    renameSync(join(dir, 'link.tmp'), join(dir, 'smtp-password'));
    users.mailer = PASSWORDS[2]!;
    await sentWithFreshLogin(a, 'after mount');

    // 3. the kubelet's atomic update: a new directory, a new ..data link renamed over the old one
    mkdirSync(join(dir, '..v4'));
    writeFileSync(join(dir, '..v4', 'smtp-password'), PASSWORDS[3]!);
    symlinkSync('..v4', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..v3'), { recursive: true });
    users.mailer = PASSWORDS[3]!;
    await sentWithFreshLogin(a, 'after swap');
    expect((await verify(a)).body.status).toBe('sent');
    expect(server.messages.map((m) => m.subject)).toEqual(expect.arrayContaining(['first', 'after rewrite', 'after mount', 'after swap']));
    // no attempt with a stale password: every AUTH the server saw succeeded
    expect(server.authAttempts.filter((x) => !x.ok)).toEqual([]);
  });

  it('refuses at save ../ names, absolute paths, symlinks out of the directory and another partner’s file', async () => {
    writeFileSync(join(refsDir, 'outside-secret'), 'outside-content-X1');
    writeFileSync(join(partnerDir(b), 'b-password'), 'b-content-X2');
    symlinkSync(join(refsDir, 'outside-secret'), join(partnerDir(a), 'escape'));
    symlinkSync(join(partnerDir(b), 'b-password'), join(partnerDir(a), 'neighbour'));
    const cases: Array<[string, string]> = [
      ['../outside-secret', 'secretRefName'],
      [`../${b.partnerId}/b-password`, 'secretRefName'],
      [join(refsDir, 'outside-secret'), 'secretRefName'],
      ['escape', 'secretRefInside'],
      ['neighbour', 'secretRefInside'],
      ['no-such-file', 'secretRefExists'],
    ];
    for (const [ref, rule] of cases) {
      const res = await t.client.post(URL_, profile({ password_ref: ref }), a.partnerToken);
      expect([ref, res.status]).toEqual([ref, 400]);
      expect(res.body.errors).toEqual([{ field: 'email_config.smtp_config.password_ref', rule, message: expect.any(String) }]);
      expect(res.text).not.toMatch(/outside-content|b-content/);
    }
    // b's own name resolves in b's directory, never in a's: a's file name means nothing to b
    expect((await t.client.post(URL_, profile({ password_ref: 'smtp-password' }), b.partnerToken)).body.errors).toEqual([
      expect.objectContaining({ field: 'email_config.smtp_config.password_ref', rule: 'secretRefExists' }),
    ]);
    expect((await t.client.post(URL_, profile({ password_ref: 'b-password' }), b.partnerToken)).status).toBe(201);
    // both a secret and a reference: one of them
    const both = await t.client.post(URL_, profile({ password_ref: 'smtp-password', password: 'x' }), a.partnerToken);
    expect([both.status, both.body.errors[0].rule]).toEqual([400, 'exclusiveWithSecret']);
    // a's saved profile is untouched by all of this
    expect((await t.client.get(URL_, a.partnerToken)).body.email_config.smtp_config.password_ref).toBe('smtp-password');
  });

  it('takes an organization’s OAuth2 client secret and client key from the org’s own directory, and follows a rotated secret', async () => {
    const orgDir = join(refsDir, 'orgs', a.orgId);
    mkdirSync(orgDir, { recursive: true });
    writeFileSync(join(orgDir, 'client-secret'), CLIENT_SECRETS[0]!);
    writeFileSync(join(orgDir, 'client.key'), certs.clientKey);
    writeFileSync(
      join(orgDir, 'other.key'),
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    await setOverride(t.client, a.partnerToken, a.orgId, true);
    const orgProfile = (clientKeyRef: string) => ({
      email_config: {
        smtp_config: {
          host: '127.0.0.1',
          port: xoauth.port,
          tls_mode: 'starttls',
          ca_cert: certs.caCert,
          client_cert: certs.clientCert,
          client_key_ref: clientKeyRef,
          username: 'mailer@org.refs.test',
          sender_email: 'mailer@org.refs.test',
          oauth2: { token_endpoint: idp.url, client_id: 'app', client_secret_ref: 'client-secret' },
        },
      },
    });
    const mismatched = await t.client.post(URL_, orgProfile('other.key'), a.orgToken);
    expect([mismatched.status, mismatched.body.errors]).toEqual([
      400,
      [{ field: 'email_config.smtp_config.client_key_ref', rule: 'matchesClientCert', message: expect.any(String) }],
    ]);
    // the partner's directory is not the organization's: the partner's file name means nothing here
    const partnersFile = await t.client.post(
      URL_,
      { email_config: { smtp_config: { ...orgProfile('client.key').email_config.smtp_config, client_key_ref: 'escape' } } },
      a.orgToken,
    );
    expect(partnersFile.body.errors?.[0]).toMatchObject({ field: 'email_config.smtp_config.client_key_ref', rule: 'secretRefExists' });

    const saved = await t.client.post(URL_, orgProfile('client.key'), a.orgToken);
    expect(saved.status).toBe(201);
    expect(saved.body.email_config.smtp_config).toMatchObject({
      client_key_ref: 'client.key',
      client_key_set: true,
      client_secret_set: true,
      oauth2: { client_secret_ref: 'client-secret' },
    });
    const first = await t.client.post(VERIFY, { recipient_email: 'someone@customer.test' }, a.orgToken);
    expect([first.status, first.body.status]).toEqual([200, 'sent']);

    writeFileSync(join(orgDir, 'client-secret'), CLIENT_SECRETS[1]!);
    idpOptions.clientSecret = CLIENT_SECRETS[1]!;
    const tokensBefore = idp.issued.length;
    const rotated = await t.client.post(VERIFY, { recipient_email: 'someone@customer.test' }, a.orgToken);
    expect([rotated.status, rotated.body.status]).toEqual([200, 'sent']);
    // a token for the new secret, not the one cached for the old
    expect(idp.issued.length).toBe(tokensBefore + 1);
    await setOverride(t.client, a.partnerToken, a.orgId, false);
  });

  it('the controller route reads its password from <dir>/controller/ and follows its rotation too', async () => {
    const c = await createTenant(t.client, root, 'refc');
    const effective = await t.client.get(`${URL_}/effective`, c.partnerToken);
    expect([effective.body.source, effective.body.email_config.smtp_config.password_set]).toEqual(['controller', true]);
    const before = server.messages.length;
    await sentWithFreshLogin(c, 'via controller');
    writeFileSync(join(refsDir, 'controller', 'ctl-password'), PASSWORDS[5]!);
    users.ctl = PASSWORDS[5]!;
    await sentWithFreshLogin(c, 'via controller, rotated');
    expect(server.messages.slice(before).map((m) => m.authUser)).toEqual(['ctl', 'ctl']);
  });

  it('fails a send at stage CONFIG when the file is removed after save, and never shows a file’s content', async () => {
    // queued while the file is there; its first attempt meets a 451; the file goes before the retry
    const id = await queue(a, 'after removal', 'late@refs.test');
    await waitFor(async () => (await t.client.get(`${MESSAGES}/${id}`, a.partnerToken)).body.attempts?.length === 1, 10_000);
    rmSync(join(partnerDir(a), 'smtp-password'));

    const test = await verify(a);
    expect([test.status, test.body.code, test.body.stage]).toEqual([409, 'SECRET_REF_UNAVAILABLE', 'CONFIG']);
    expect(test.body.errors).toEqual([
      { field: 'email_config.smtp_config.password_ref', rule: 'secretRefExists', message: expect.any(String) },
    ]);
    // The failed test is on the audit record, at stage CONFIG, like one that reached a server.
    const [audited] = await t.db.query<{ outcome: string; details: Record<string, unknown> }>(
      `SELECT outcome, details FROM audit_events WHERE type = 'email.verification.failed' AND partner_id = $1 ORDER BY seq DESC LIMIT 1`,
      [a.partnerId],
    );
    expect(audited).toMatchObject({ outcome: 'failure', details: { stage: 'CONFIG', error_code: 'SECRET_REF_UNAVAILABLE', mode: 'send' } });

    // The queued one: retried at stage CONFIG (the operator may mount the file again), then failed.
    const failed = await settled(a, id);
    expect(failed.status).toBe('failed');
    expect(failed.attempts.map((x: { stage: string; outcome: string }) => [x.stage, x.outcome])).toEqual([
      ['RCPT_TO', 'retrying'],
      ['CONFIG', 'retrying'],
      ['CONFIG', 'retrying'],
      ['CONFIG', 'failed'],
    ]);
    expect(server.messages.map((m) => m.subject)).not.toContain('after removal');

    // A message submitted meanwhile is accepted (intake needs the route, not the file) and goes out
    // once the operator mounts the file again, within its retries.
    const later = await queue(a, 'mounted again');
    await waitFor(async () => (await t.client.get(`${MESSAGES}/${later}`, a.partnerToken)).body.attempts?.length === 1, 10_000);
    writeFileSync(join(partnerDir(a), 'smtp-password'), PASSWORDS[3]!);
    const recovered = await settled(a, later);
    expect(recovered.attempts.map((x: { stage: string | null; outcome: string }) => [x.stage, x.outcome])).toEqual([
      ['CONFIG', 'retrying'],
      [null, 'sent'],
    ]);

    const audit = await t.client.get('/opsauditlogs/?timefrom=now-1h&category=SYSTEMAUDIT', a.partnerToken);
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('CONFIG');
    const everything = [
      audit.text,
      JSON.stringify(failed),
      (await t.client.get(URL_, a.partnerToken)).text,
      (await t.client.get(`${URL_}/effective`, a.orgToken)).text,
      JSON.stringify(await t.db.query(`SELECT * FROM audit_events`)),
      JSON.stringify(await t.db.query(`SELECT * FROM smtp_profiles`)),
      logs.text(),
    ].join('\n');
    for (const secret of [...PASSWORDS, ...CLIENT_SECRETS, certs.clientKey.split('\n')[1]!, 'outside-content-X1', 'b-content-X2'])
      expect([secret, everything.includes(secret)]).toEqual([secret, false]);
    // and the log did see the suite's traffic (the capture works)
    expect(logs.text()).toContain('/event/v1/email/config');
  });

  it('leaves a secondary route whose referenced file cannot be read out, so the primary still delivers', async () => {
    const backup = PASSWORDS[6]!;
    users.backup = backup;
    const c = await createTenant(t.client, root, 'refc');
    mkdirSync(partnerDir(c), { recursive: true });
    writeFileSync(join(partnerDir(c), 'backup-password'), backup);
    expect((await t.client.post(URL_, profile({ username: 'backup', password: backup }), c.partnerToken)).status).toBe(201);
    const secondary = await t.client.post(
      `${URL_}?route=secondary`,
      profile({ username: 'backup', password_ref: 'backup-password' }),
      c.partnerToken,
    );
    expect(secondary.status).toBe(201);
    const routes = t.app.get(SmtpRouteResolver);
    const scope = { partnerId: c.partnerId, orgId: null };
    expect((await routes.resolveRoutes(scope)).secondary?.auth).toMatchObject({ type: 'basic', password: backup });

    rmSync(join(partnerDir(c), 'backup-password'));
    const without = await routes.resolveRoutes(scope);
    expect(without.secondary).toBeNull();
    expect(without.primary.auth).toMatchObject({ type: 'basic', password: backup });
    expect((await settled(c, await queue(c, 'primary despite a broken secondary'))).status).toBe('sent');
  });
});

describe('email config: secret references without SMTP_SECRET_REFS_DIR', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a reference at save, naming the field and the variable', async () => {
    t = await startTestApp();
    const tenant = await createTenant(t.client, await rootToken(t.client), 'norefs');
    const res = await t.client.post(
      URL_,
      {
        email_config: {
          smtp_config: { host: 'smtp.partner.test', port: 587, use_tls: true, username: 'u', password_ref: 'smtp-password' },
        },
      },
      tenant.partnerToken,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        field: 'email_config.smtp_config.password_ref',
        rule: 'secretRefsEnabled',
        message: expect.stringContaining('SMTP_SECRET_REFS_DIR'),
      },
    ]);
  });
});
