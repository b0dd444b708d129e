/**
 * The development mail catcher as the controller level: when the configuration asks for it, its SMTP
 * listener starts before the application is built and its loopback address becomes the configuration's
 * controller SMTP server, exactly as an operator's FW_EVENT_SMTP_SERVER_* would. Email-config and
 * delivery then need no knowledge of it.
 */
import { AppConfig } from '@mailstrata/config';
import { MailCatcherListener } from '@mailstrata/mail-catcher';

export interface WithMailCatcher {
  config: AppConfig;
  listener: MailCatcherListener | null;
}

export async function startMailCatcher(config: AppConfig): Promise<WithMailCatcher> {
  if (!config.mailCatcher) return { config, listener: null };
  const listener = await MailCatcherListener.start(config.mailCatcher);
  const { host, port, senderEmail } = listener.endpoint;
  const controllerSmtp: AppConfig['controllerSmtp'] = {
    host,
    port,
    username: undefined,
    password: undefined,
    useTls: false,
    useInsecure: false,
    caCert: undefined,
    senderEmail,
    senderName: 'mailstrata (mail catcher)',
    retries: 3,
  };
  return { config: { ...config, controllerSmtp }, listener };
}
