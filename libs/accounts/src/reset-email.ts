/**
 * The password-reset email's link. The token travels in the URL fragment (`#token=…`): browsers never
 * send a fragment to a server, so it stays out of request lines, proxy logs and Referer headers. The
 * wording lives in @mailstrata/templates (kind `password_reset`), where partners and organizations may
 * override it.
 */
export function resetLink(publicUrl: string, token: string): string {
  return `${publicUrl}/auth/v1/password-reset#token=${token}`;
}
