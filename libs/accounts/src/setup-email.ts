/**
 * The password-setup email's link and content. The token travels in the URL fragment (`#token=…`):
 * browsers never send a fragment to a server, so it stays out of request lines, proxy logs and Referer
 * headers. The wording lives in @mailstrata/templates (kind `password_setup`), where partners and
 * organizations may override it.
 */
export interface SetupEmailContent {
  subject: string;
  text: string;
  /** Absent when the tenant's template has no HTML part. */
  html?: string;
}

export function setupLink(publicUrl: string, token: string): string {
  return `${publicUrl}/auth/v1/password-setup#token=${token}`;
}
