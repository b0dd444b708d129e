import { setupLink } from './setup-email';

describe('password-setup email', () => {
  it('puts the token in the URL fragment, never in the query string', () => {
    const link = setupLink('https://console.example.com', 'tok_abc');
    expect(link).toBe('https://console.example.com/auth/v1/password-setup#token=tok_abc');
    expect(new URL(link).search).toBe('');
  });
});
