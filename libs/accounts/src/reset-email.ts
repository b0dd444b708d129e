/**
 * The password-reset email, built like the password-setup one (setup-email.ts) so both can move to the
 * template renderer the same way. The token travels in the URL fragment (`#token=…`): browsers never
 * send a fragment to a server, so it stays out of request lines, proxy logs and Referer headers.
 */
export interface ResetEmailContent {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function resetLink(publicUrl: string, token: string): string {
  return `${publicUrl}/auth/v1/password-reset#token=${token}`;
}

export function renderResetEmail(input: { link: string; email: string; tenantName: string; expiresInMinutes: number }): ResetEmailContent {
  const subject = `Reset your password for ${input.tenantName}`;
  const text = [
    `Hello,`,
    ``,
    `Someone asked to reset the password of ${input.email} in ${input.tenantName}.`,
    `Choose a new password here (the link works once and expires in ${input.expiresInMinutes} minutes):`,
    ``,
    input.link,
    ``,
    `Setting a new password signs you out everywhere.`,
    `If you did not ask for this, you can ignore this email; your password stays as it is.`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>Someone asked to reset the password of <strong>${escapeHtml(input.email)}</strong> in <strong>${escapeHtml(input.tenantName)}</strong>.</p>
<p><a href="${escapeHtml(input.link)}">Choose a new password</a> — the link works once and expires in ${input.expiresInMinutes} minutes.</p>
<p>Setting a new password signs you out everywhere.</p>
<p style="color:#666">If you did not ask for this, you can ignore this email; your password stays as it is.</p>
</body></html>`;
  return { subject, text, html };
}
