import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { ConfigValidationError, loadConfig } from './app-config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs on no environment at all, with embedded defaults', () => {
    const c = loadConfig({});
    expect(c.database.url).toBeUndefined();
    expect(c.http.port).toBe(8080);
    expect(c.http.cookieSecure).toBe(true);
    expect(c.identity.accountCreationStrategy).toBe('AUTO');
    expect(c.controllerSmtp).toBeUndefined();
    expect(c.elastic).toBeUndefined();
    expect(c.http.publicUrl).toBe('http://localhost:8080');
  });

  it('reads the seed’s controller SMTP variables', () => {
    const c = loadConfig({
      FW_EVENT_SMTP_SERVER_ADDR: 'smtp.example.com',
      FW_EVENT_SMTP_SERVER_PORT: '587',
      FW_EVENT_SMTP_SERVER_USERNAME: 'mailer',
      FW_EVENT_SMTP_SERVER_PASSWORD: 'pw',
      FW_EVENT_SMTP_SERVER_USE_TLS: 'True',
      FW_EVENT_SMTP_SERVER_USE_INSECURE: 'false',
    });
    expect(c.controllerSmtp).toMatchObject({
      host: 'smtp.example.com',
      port: 587,
      username: 'mailer',
      password: 'pw',
      useTls: true,
      useInsecure: false,
    });
  });

  it('names every bad variable and the rule at once', () => {
    expect(problems({ PORT: 'abc', COOKIE_SECURE: 'maybe', ACCOUNT_CREATION_STRATEGY: 'x', DATABASE_URL: 'mysql://x' })).toEqual(
      expect.arrayContaining([
        'PORT: must be an integer from 0 to 65535 (got "abc")',
        'COOKIE_SECURE: must be true or false (got "maybe")',
        'ACCOUNT_CREATION_STRATEGY: must be AUTO or VERIFY (got "x")',
        expect.stringMatching(/^DATABASE_URL: must be a URL \(postgres: or postgresql:\)$/),
      ]),
    );
  });

  it('never echoes a secret variable’s value', () => {
    const out = problems({ DATABASE_URL: 'nope-secret-value', PORT: 'x' });
    expect(out.join('\n')).toContain('DATABASE_URL');
    expect(out.join('\n')).not.toContain('nope-secret-value');
    expect(out.join('\n')).toContain('(got "x")');
    expect(problems({ BOOTSTRAP_ADMIN_EMAIL: 'a@b.test' })).toEqual([
      'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD: set both or neither',
    ]);
  });

  it('requires keys, public URL and database in production', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^SECRETS_ENCRYPTION_KEYS: required/),
      expect.stringMatching(/^PUBLIC_URL: required/),
      expect.stringMatching(/^DATABASE_URL: required/),
    ]);
  });

  it('refuses a controller secondary route without its host or without a primary, and never echoes its password', () => {
    expect(problems({ FW_EVENT_SMTP_SERVER_ADDR: 'smtp.test', FW_EVENT_SMTP_SERVER_SECONDARY_PORT: '25' })).toEqual([
      'FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: required when FW_EVENT_SMTP_SERVER_SECONDARY_PORT is set',
    ]);
    expect(problems({ FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: 'backup.test' })).toEqual([
      expect.stringMatching(/^FW_EVENT_SMTP_SERVER_ADDR: required when FW_EVENT_SMTP_SERVER_SECONDARY_ADDR is set/),
    ]);
    const out = problems({
      FW_EVENT_SMTP_SERVER_ADDR: 'smtp.test',
      FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: 'backup.test',
      FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD: 'backup-secret-value',
    });
    expect(out).toEqual(['FW_EVENT_SMTP_SERVER_SECONDARY_USERNAME: required when FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD is set']);
    expect(
      loadConfig({ FW_EVENT_SMTP_SERVER_ADDR: 'smtp.test', FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: 'backup.test' }).controllerSmtp?.secondary,
    ).toEqual({ host: 'backup.test', port: undefined, username: undefined, password: undefined, useTls: true, useInsecure: false });
  });

  it('refuses controller SMTP details without a host, and CIDR lists that do not parse', () => {
    expect(problems({ FW_EVENT_SMTP_SERVER_PORT: '25' })).toEqual([
      'FW_EVENT_SMTP_SERVER_ADDR: required when FW_EVENT_SMTP_SERVER_PORT is set',
    ]);
    expect(problems({ SMTP_ALLOWED_NETWORKS: '10.0.0.0/8, 300.1.1.1/8' })[0]).toMatch(/^SMTP_ALLOWED_NETWORKS: /);
    expect(loadConfig({ SMTP_ALLOWED_NETWORKS: '10.0.0.0/8, fd00::/8' }).egress.allowedNetworks).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });

  describe('FW_EVENT_SMTP_SERVER_CA_CERT', () => {
    let pem: string;
    let dir: string;
    beforeAll(async () => {
      pem = (await generate([{ name: 'commonName', value: 'Private CA' }], { keySize: 2048, algorithm: 'sha256' })).cert;
      dir = mkdtempSync(join(tmpdir(), 'mailstrata-ca-spec-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const smtp = { FW_EVENT_SMTP_SERVER_ADDR: 'smtp.example.com' };

    it('takes PEM text, or reads a PEM file at start', () => {
      expect(loadConfig({ ...smtp, FW_EVENT_SMTP_SERVER_CA_CERT: pem }).controllerSmtp?.caCert).toContain('-----BEGIN CERTIFICATE-----');
      const path = join(dir, 'ca.pem');
      writeFileSync(path, pem);
      expect(loadConfig({ ...smtp, FW_EVENT_SMTP_SERVER_CA_CERT: path }).controllerSmtp?.caCert?.trim()).toBe(pem.trim());
    });

    it('refuses a missing file, a file or text that holds no certificate, and a CA without a host, naming the variable', () => {
      expect(problems({ ...smtp, FW_EVENT_SMTP_SERVER_CA_CERT: join(dir, 'missing.pem') })).toEqual([
        expect.stringMatching(/^FW_EVENT_SMTP_SERVER_CA_CERT: .*cannot read .*missing\.pem.*ENOENT/),
      ]);
      const junk = join(dir, 'junk.pem');
      writeFileSync(junk, 'not a certificate');
      expect(problems({ ...smtp, FW_EVENT_SMTP_SERVER_CA_CERT: junk })).toEqual([
        expect.stringMatching(/^FW_EVENT_SMTP_SERVER_CA_CERT: .*no PEM certificate/),
      ]);
      expect(problems({ ...smtp, FW_EVENT_SMTP_SERVER_CA_CERT: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' })).toEqual([
        expect.stringMatching(/^FW_EVENT_SMTP_SERVER_CA_CERT: .*does not parse/),
      ]);
      expect(problems({ FW_EVENT_SMTP_SERVER_CA_CERT: pem })).toContain(
        'FW_EVENT_SMTP_SERVER_ADDR: required when FW_EVENT_SMTP_SERVER_CA_CERT is set',
      );
    });
  });

  it('reads the email job lease: a minute by default, at least a second', () => {
    expect(loadConfig({}).emailDelivery.leaseMs).toBe(60_000);
    expect(loadConfig({ EMAIL_JOB_LEASE_MS: '15000' }).emailDelivery.leaseMs).toBe(15_000);
    expect(problems({ EMAIL_JOB_LEASE_MS: '500' })).toEqual(['EMAIL_JOB_LEASE_MS: must be an integer from 1000 to 3600000 (got "500")']);
  });

  describe('MAIL_CATCHER', () => {
    const prod = { NODE_ENV: 'production', SECRETS_ENCRYPTION_KEYS: 'k', PUBLIC_URL: 'https://m.example', DATABASE_URL: 'postgres://db/m' };

    it('auto: runs in development without controller SMTP, never in production or tests, never beside FW_EVENT_SMTP_SERVER_ADDR', () => {
      expect(loadConfig({}).mailCatcher).toEqual({ port: 0, keep: 500 });
      expect(loadConfig({ MAIL_CATCHER_PORT: '2526', MAIL_CATCHER_KEEP: '50' }).mailCatcher).toEqual({ port: 2526, keep: 50 });
      expect(loadConfig(prod).mailCatcher).toBeUndefined();
      expect(loadConfig({ NODE_ENV: 'test' }).mailCatcher).toBeUndefined();
      expect(loadConfig({ FW_EVENT_SMTP_SERVER_ADDR: 'smtp.example.com' }).mailCatcher).toBeUndefined();
      expect(loadConfig({ MAIL_CATCHER: 'off' }).mailCatcher).toBeUndefined();
    });

    it('on: forces it in tests; refused in production and beside controller SMTP; other values refused', () => {
      expect(loadConfig({ NODE_ENV: 'test', MAIL_CATCHER: 'on' }).mailCatcher).toEqual({ port: 0, keep: 500 });
      expect(problems({ ...prod, MAIL_CATCHER: 'on' })).toEqual(['MAIL_CATCHER: "on" is not allowed when NODE_ENV=production']);
      expect(problems({ MAIL_CATCHER: 'on', FW_EVENT_SMTP_SERVER_ADDR: 'smtp.example.com' })[0]).toMatch(/^MAIL_CATCHER: "on" replaces/);
      expect(problems({ MAIL_CATCHER: 'yes' })[0]).toMatch(/^MAIL_CATCHER: must be auto, on or off/);
      expect(problems({ MAIL_CATCHER_KEEP: '0' })[0]).toMatch(/^MAIL_CATCHER_KEEP: /);
    });
  });
});
