import { resetLink } from './reset-email';

describe('password-reset link', () => {
  it('puts the token in the URL fragment, never in the query string', () => {
    const link = resetLink('https://console.example.com', 'tok_abc');
    expect(link).toBe('https://console.example.com/auth/v1/password-reset#token=tok_abc');
    expect(new URL(link).search).toBe('');
  });
});
