/**
 * The password-setup email. The token travels in the URL fragment (`#token=…`): browsers never send a
 * fragment to a server, so it stays out of request lines, proxy logs and Referer headers.
 */
export interface SetupEmailContent {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function setupLink(publicUrl: string, token: string): string {
  return `${publicUrl}/auth/v1/password-setup#token=${token}`;
}

export function renderSetupEmail(input: { link: string; email: string; tenantName: string; expiresInHours: number }): SetupEmailContent {
  const subject = `Set your password for ${input.tenantName}`;
  const text = [
    `Hello,`,
    ``,
    `An account for ${input.email} was created in ${input.tenantName}.`,
    `Choose your password here (the link works once and expires in ${input.expiresInHours} hours):`,
    ``,
    input.link,
    ``,
    `If you did not expect this email, you can ignore it.`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>An account for <strong>${escapeHtml(input.email)}</strong> was created in <strong>${escapeHtml(input.tenantName)}</strong>.</p>
<p><a href="${escapeHtml(input.link)}">Choose your password</a> — the link works once and expires in ${input.expiresInHours} hours.</p>
<p style="color:#666">If you did not expect this email, you can ignore it.</p>
</body></html>`;
  return { subject, text, html };
}
