import { renderSetupEmail, setupLink } from './setup-email';

describe('password-setup email', () => {
  it('puts the token in the URL fragment, never in the query string', () => {
    const link = setupLink('https://console.example.com', 'tok_abc');
    expect(link).toBe('https://console.example.com/auth/v1/password-setup#token=tok_abc');
    expect(new URL(link).search).toBe('');
  });

  it('names the tenant in both parts and escapes it in HTML', () => {
    const mail = renderSetupEmail({ link: 'https://x.test/a#token=t', email: 'new@x.test', tenantName: 'Acme <R&D>', expiresInHours: 24 });
    expect(mail.subject).toBe('Set your password for Acme <R&D>');
    expect(mail.text).toContain('Acme <R&D>');
    expect(mail.text).toContain('https://x.test/a#token=t');
    expect(mail.html).toContain('Acme &lt;R&amp;D&gt;');
    expect(mail.html).not.toContain('<R&D>');
    expect(mail.html).toContain('expires in 24 hours');
  });
});
