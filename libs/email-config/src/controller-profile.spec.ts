import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@mailstrata/config';
import { ControllerProfileError, controllerProfileFrom } from './controller-profile';

const env = (extra: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...extra });

describe('controller profile from FW_EVENT_SMTP_SERVER_*', () => {
  it('is absent without FW_EVENT_SMTP_SERVER_ADDR', () => {
    expect(controllerProfileFrom(env({}))).toBeUndefined();
  });

  it('maps the seed variables', () => {
    const profile = controllerProfileFrom(
      env({
        FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.test',
        FW_EVENT_SMTP_SERVER_PORT: '465',
        FW_EVENT_SMTP_SERVER_USERNAME: 'ctl',
        FW_EVENT_SMTP_SERVER_PASSWORD: 'ctl-secret',
        FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.test',
      }),
    );
    expect(profile?.settings).toMatchObject({
      host: 'smtp.controller.test',
      port: 465,
      tlsMode: 'implicit',
      authType: 'basic',
      retries: 3,
    });
    expect(profile?.secrets.password).toBe('ctl-secret');
  });

  it('maps FW_EVENT_SMTP_SERVER_SECONDARY_* to a secondary route with the primary’s sender and retries', () => {
    const profile = controllerProfileFrom(
      env({
        FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.test',
        FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.test',
        FW_EVENT_SMTP_RETRIES: '5',
        FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: 'backup.controller.test',
        FW_EVENT_SMTP_SERVER_SECONDARY_PORT: '2525',
        FW_EVENT_SMTP_SERVER_SECONDARY_USERNAME: 'backup',
        FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD: 'backup-secret',
      }),
    );
    expect(profile?.secondary?.settings).toMatchObject({
      host: 'backup.controller.test',
      port: 2525,
      username: 'backup',
      senderEmail: 'noreply@controller.test',
      retries: 5,
    });
    expect(profile?.secondary?.secrets.password).toBe('backup-secret');
    expect(profile?.settings.host).toBe('smtp.controller.test');
    expect(controllerProfileFrom(env({ FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.test' }))?.secondary).toBeUndefined();
  });

  it('names the secondary’s variable when its value breaks a rule', () => {
    expect(() =>
      controllerProfileFrom(
        env({
          FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.test',
          FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: 'bad_host!',
        }),
      ),
    ).toThrow(/FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: must be a hostname/);
  });

  it.each([
    [{ FW_EVENT_SMTP_SERVER_ADDR: 'bad_host!' }, /FW_EVENT_SMTP_SERVER_ADDR: must be a hostname/],
    [
      {
        FW_EVENT_SMTP_SERVER_ADDR: 'smtp.test',
        FW_EVENT_SMTP_SERVER_USERNAME: 'u',
        FW_EVENT_SMTP_SERVER_PASSWORD: 'p',
        FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      },
      /FW_EVENT_SMTP_SERVER_USE_TLS: must enable TLS/,
    ],
    [{ FW_EVENT_SMTP_SERVER_ADDR: 'smtp.test', FW_EVENT_SMTP_SERVER_USERNAME: 'u' }, /FW_EVENT_SMTP_SERVER_PASSWORD: is required/],
  ])('fails fast naming the variable: %j', (vars, message) => {
    expect(() => controllerProfileFrom(env(vars))).toThrow(ControllerProfileError);
    expect(() => controllerProfileFrom(env(vars))).toThrow(message);
  });

  describe('FW_EVENT_SMTP_SERVER_PASSWORD_REF', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mailstrata-ctl-refs-'));
      mkdirSync(join(dir, 'controller'));
      writeFileSync(join(dir, 'controller', 'smtp-password'), 'ctl-file-secret\n');
      writeFileSync(join(dir, 'elsewhere'), 'not-for-the-controller');
      symlinkSync(join(dir, 'elsewhere'), join(dir, 'controller', 'escape'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const withRef = (ref: string, extra: Record<string, string> = {}) =>
      env({
        FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.test',
        FW_EVENT_SMTP_SERVER_USERNAME: 'ctl',
        FW_EVENT_SMTP_SERVER_PASSWORD_REF: ref,
        SMTP_SECRET_REFS_DIR: dir,
        ...extra,
      });

    it('keeps the reference, checked at start inside <dir>/controller/, and no stored password', () => {
      const profile = controllerProfileFrom(withRef('smtp-password'));
      expect(profile?.refs).toEqual({ password: 'smtp-password', clientSecret: null, clientKey: null });
      expect(profile?.secrets.password).toBeNull();
      expect(profile?.settings.authType).toBe('basic');
    });

    it.each<[string, RegExp]>([
      ['missing', /FW_EVENT_SMTP_SERVER_PASSWORD_REF: names a file that does not exist/],
      ['escape', /FW_EVENT_SMTP_SERVER_PASSWORD_REF: resolves to a file outside/],
      ['../elsewhere', /FW_EVENT_SMTP_SERVER_PASSWORD_REF: must not contain "\." or "\.\." path segments/],
    ])('fails fast on %s', (ref, message) => {
      expect(() => controllerProfileFrom(withRef(ref))).toThrow(message);
      expect(() => controllerProfileFrom(withRef(ref))).not.toThrow(/not-for-the-controller/);
    });

    it('is refused beside FW_EVENT_SMTP_SERVER_PASSWORD, or without SMTP_SECRET_REFS_DIR', () => {
      expect(() => withRef('smtp-password', { FW_EVENT_SMTP_SERVER_PASSWORD: 'p' })).toThrow(
        /FW_EVENT_SMTP_SERVER_PASSWORD_REF: set either it or FW_EVENT_SMTP_SERVER_PASSWORD, not both/,
      );
      expect(() => withRef('smtp-password', { SMTP_SECRET_REFS_DIR: '' })).toThrow(/SMTP_SECRET_REFS_DIR: required when/);
    });
  });
});
