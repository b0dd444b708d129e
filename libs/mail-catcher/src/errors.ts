import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of the development mail catcher. */
export const MailCatcherErrors = defineErrors({
  MAIL_CATCHER_OFF: {
    kind: 'not_found',
    detail:
      'The development mail catcher is not running (it runs outside production when no FW_EVENT_SMTP_SERVER_ADDR is set and MAIL_CATCHER is not off).',
  },
});
export type MailCatcherErrorCode = ErrorCodeOf<typeof MailCatcherErrors>;
