import { defineAuditEvent, sanitizeDetails } from './audit-event.definition';

describe('audit event definitions', () => {
  it('refuses detail keys that look like secrets', () => {
    for (const key of ['password', 'client_secret', 'token', 'api_key', 'body', 'setup_link']) {
      expect(() => defineAuditEvent('x.y', [key])).toThrow(/looks like a secret/);
    }
    expect(() => defineAuditEvent('x.y', ['password_set', 'changed_fields'])).not.toThrow();
  });

  it('keeps only allowed keys and scalar values', () => {
    const def = defineAuditEvent('email.config.updated', ['changed_fields', 'host', 'port']);
    const out = sanitizeDetails(def, {
      changed_fields: ['host', 'password'],
      host: 'smtp.example.com',
      port: 587,
      password: 'hunter2',
      nested: { password: 'hunter2' },
    });
    expect(out).toEqual({ changed_fields: ['host', 'password'], host: 'smtp.example.com', port: 587 });
    expect(sanitizeDetails(def, { host: { toString: () => 'hunter2' } })).toEqual({});
  });

  it('truncates long strings', () => {
    const def = defineAuditEvent('a.b', ['note']);
    expect(String(sanitizeDetails(def, { note: 'x'.repeat(2000) }).note).length).toBeLessThanOrEqual(513);
  });
});
