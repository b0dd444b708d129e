/**
 * Branding a partner or organization sets once for all its emails: product name, logo (https only,
 * so a mail client never fetches it in clear and a `javascript:` URL is impossible), support
 * address and footer. Templates see it as `brand.*`.
 */
import { FieldError, fieldError } from '@mailstrata/common';
import { TEMPLATE_LIMITS } from './limits';

export interface Branding {
  productName: string | null;
  logoUrl: string | null;
  supportEmail: string | null;
  footer: string | null;
}

export const NO_BRANDING: Branding = Object.freeze({ productName: null, logoUrl: null, supportEmail: null, footer: null });

const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;
const LINE_BREAK = /[\r\n]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Branding as templates see it (snake_case like every other template variable). */
export function brandScopeOf(b: Branding): Record<string, string | null> {
  return { product_name: b.productName, logo_url: b.logoUrl, support_email: b.supportEmail, footer: b.footer };
}

export function isHttpsUrl(value: string): boolean {
  if (/\s/.test(value) || CONTROL.test(value) || value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** Rules beyond the DTO's types, shared by the HTTP layer and anyone saving branding: the field errors. */
export function checkBranding(b: Branding): FieldError[] {
  const errors: FieldError[] = [];
  if (b.productName !== null) {
    if (b.productName.length > TEMPLATE_LIMITS.productNameChars)
      errors.push(fieldError('product_name', 'maxLength', `must be at most ${TEMPLATE_LIMITS.productNameChars} characters`));
    if (LINE_BREAK.test(b.productName) || CONTROL.test(b.productName))
      errors.push(fieldError('product_name', 'no_line_breaks', 'must be one line without control characters'));
  }
  if (b.logoUrl !== null && !isHttpsUrl(b.logoUrl)) errors.push(fieldError('logo_url', 'isHttpsUrl', 'must be an absolute https URL'));
  if (b.supportEmail !== null && (b.supportEmail.length > 254 || !ADDRESS.test(b.supportEmail)))
    errors.push(fieldError('support_email', 'isEmail', 'must be one email address'));
  if (b.footer !== null) {
    if (b.footer.length > TEMPLATE_LIMITS.footerChars)
      errors.push(fieldError('footer', 'maxLength', `must be at most ${TEMPLATE_LIMITS.footerChars} characters`));
    if (CONTROL.test(b.footer)) errors.push(fieldError('footer', 'no_control_characters', 'must not contain control characters'));
  }
  return errors;
}
