import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of email templates and branding. */
export const TemplatesErrors = defineErrors({
  UNKNOWN_TEMPLATE_KIND: 'not_found',
  TEMPLATE_NOT_FOUND: 'not_found',
  BRANDING_NOT_FOUND: 'not_found',
  TEMPLATE_INVALID: {
    kind: 'invalid',
    detail: 'The template cannot be saved; each error names the part (subject, text or html) and where the problem is.',
  },
  TEMPLATE_DATA_INVALID: { kind: 'invalid', detail: 'The data does not fit the template kind’s variables.' },
  BRANDING_INVALID: { kind: 'invalid', detail: 'The branding has invalid fields.' },
  ORG_TEMPLATES_DISABLED: {
    kind: 'forbidden',
    detail:
      'Organization templates follow the organization’s SMTP switch: they apply, and organization users may change them, only while ' +
      'organization-level SMTP is enabled. Ask your partner administrator to enable it.',
  },
  TEMPLATE_RENDER_FAILED: { kind: 'unprocessable', detail: 'The template failed to render with this data.' },
});
export type TemplatesErrorCode = ErrorCodeOf<typeof TemplatesErrors>;
