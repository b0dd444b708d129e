import { DomainError } from '@mailstrata/common';
import { DestinationRefusedError } from './egress-guard';
import { MailerErrors } from './errors';
import { assertSendable } from './message';
import { SmtpDeliveryError } from './smtp-failure';

/** The fields a problem document is built from; pinned so the answers stay the same as before the catalogue. */
const shape = (error: DomainError) => ({
  code: error.code,
  kind: error.kind,
  detail: error.detail,
  errors: error.errors,
  extensions: error.extensions,
});

describe('MailerErrors', () => {
  it('gives SmtpDeliveryError its code and kind, with the failure as extensions', () => {
    const error = new SmtpDeliveryError({ stage: 'RCPT_TO', smtpCode: 550, smtpResponse: '550 no such user', transient: false, hint: 'h' });
    expect(MailerErrors.SMTP_DELIVERY_FAILED.is(error)).toBe(true);
    expect(shape(error)).toEqual({
      code: 'SMTP_DELIVERY_FAILED',
      kind: 'bad_gateway',
      detail: 'The SMTP recipient (RCPT TO) failed (550).',
      errors: [],
      extensions: { stage: 'RCPT_TO', smtp_code: 550, smtp_response: '550 no such user', transient: false, hint: 'h' },
    });
  });

  it('gives DestinationRefusedError its code, kind and the one uniform text, keeping the refused part', () => {
    const error = new DestinationRefusedError('port');
    expect(error.refused).toEqual(['port']);
    expect(MailerErrors.SMTP_DESTINATION_REFUSED.is(error)).toBe(true);
    expect(MailerErrors.SMTP_DELIVERY_FAILED.is(error)).toBe(false);
    expect(shape(error)).toEqual({
      code: 'SMTP_DESTINATION_REFUSED',
      kind: 'unprocessable',
      detail:
        'This SMTP destination is not allowed from this installation. Public SMTP servers on ports 25, 465, 587 and 2525 are; ' +
        'an operator can allow more networks and ports (SMTP_ALLOWED_NETWORKS, SMTP_ALLOWED_PORTS).',
      errors: [],
      extensions: {},
    });
  });

  it('refuses an unsendable message as INVALID_EMAIL_MESSAGE naming each field', () => {
    let caught: unknown;
    try {
      assertSendable({ to: 'not an address', subject: 'a\r\nBcc: x@example.com', text: 'hi' }, 'from@example.com', undefined);
    } catch (error) {
      caught = error;
    }
    expect(MailerErrors.INVALID_EMAIL_MESSAGE.is(caught)).toBe(true);
    expect(shape(caught as DomainError)).toEqual({
      code: 'INVALID_EMAIL_MESSAGE',
      kind: 'invalid',
      detail: 'The message has invalid header fields.',
      errors: [
        { field: 'to', rule: 'isEmail', message: 'must be a single email address' },
        { field: 'subject', rule: 'no_line_breaks', message: 'must not contain CR or LF characters' },
      ],
      extensions: {},
    });
  });

  it('takes a caller’s Message-ID only in the <id@domain> form, so it can never carry a header of its own', () => {
    const email = { to: 'to@example.com', subject: 's', text: 'hi' };
    expect(() =>
      assertSendable({ ...email, messageId: '<8b1e0c2a-5f4e-4e8e-9d6a-3f2b1c0d9e8f@partner.test>' }, 'from@example.com', undefined),
    ).not.toThrow();
    for (const messageId of ['<a@b>\r\nBcc: x@example.com', 'a@b.test', '<a b@c.test>', '<@c.test>']) {
      let caught: unknown;
      try {
        assertSendable({ ...email, messageId }, 'from@example.com', undefined);
      } catch (error) {
        caught = error;
      }
      expect((caught as DomainError).errors).toEqual([expect.objectContaining({ field: 'message_id', rule: 'messageId' })]);
    }
  });
});
