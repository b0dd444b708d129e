import { renderResetEmail, resetLink } from './reset-email';

describe('password-reset email', () => {
  it('puts the token in the URL fragment, never in the query string', () => {
    const link = resetLink('https://console.example.com', 'tok_abc');
    expect(link).toBe('https://console.example.com/auth/v1/password-reset#token=tok_abc');
    expect(new URL(link).search).toBe('');
  });

  it('names the tenant and the lifetime in both parts and escapes HTML', () => {
    const mail = renderResetEmail({ link: 'https://x.test/a#token=t', email: 'u@x.test', tenantName: 'Acme <R&D>', expiresInMinutes: 60 });
    expect(mail.subject).toBe('Reset your password for Acme <R&D>');
    expect(mail.text).toContain('https://x.test/a#token=t');
    expect(mail.text).toContain('expires in 60 minutes');
    expect(mail.html).toContain('Acme &lt;R&amp;D&gt;');
    expect(mail.html).not.toContain('<R&D>');
    expect(mail.html).toContain('expires in 60 minutes');
  });
});
