/**
 * @mailstrata/mail-catcher — the built-in development SMTP server and its mailbox (Postgres, trimmed to
 * MAIL_CATCHER_KEEP). It runs only when `config.mailCatcher` is set (never in production); the app binds
 * its address as the controller SMTP default (`MailCatcherListener.start` runs before the app is built). Depends on config and the database only.
 */
export { MailCatcherModule } from './mail-catcher.module';
export { MailCatcher, MailCatcherListener, MAIL_CATCHER_HOST, MAIL_CATCHER_SENDER } from './mail-catcher';
export type { MailCatcherEndpoint } from './mail-catcher';
export { Mailbox } from './mailbox';
export { MailCatcherErrors } from './errors';
export type { MailCatcherErrorCode } from './errors';
export type { CaughtMessage, CaughtMessageSummary, CaughtHeader } from './mailbox';
