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
});
