import type { EffectiveProfile } from '@mailstrata/email-config';
import { effectiveJson } from './email-config.views';

const settings: EffectiveProfile['settings'] = {
  host: 'smtp.partner.test',
  port: 587,
  tlsMode: 'starttls',
  useInsecure: false,
  retries: 3,
  authType: 'basic',
  username: 'mailer',
  senderEmail: 'noreply@partner.test',
  senderName: 'Partner',
  caCert: null,
  clientCert: null,
  oauth2: null,
};
const shared: Omit<EffectiveProfile, 'scope'> = {
  source: 'partner',
  profileId: 'p-1',
  profilePartnerId: 'partner-1',
  profileOrgId: null,
  version: 4,
  settings,
  secretsSet: { passwordSet: true, clientSecretSet: false, clientKeySet: false },
  sender: { email: 'noreply@partner.test', name: 'Partner', source: 'profile' },
  secondary: null,
};

describe('effectiveJson', () => {
  it('serializes each scope one profile serves exactly as the whole view, reusing the profile’s part', () => {
    for (const orgId of ['org-1', 'org-2', null]) {
      const scope = { level: orgId ? ('org' as const) : ('partner' as const), partnerId: 'partner-1', orgId };
      expect(effectiveJson({ ...shared, scope })).toBe(
        JSON.stringify({
          source: 'partner',
          scope: { level: scope.level, partner_id: 'partner-1', org_id: orgId },
          profile: { id: 'p-1', partner_id: 'partner-1', org_id: null, version: 4 },
          sender: { email: 'noreply@partner.test', name: 'Partner', source: 'profile' },
          email_config: {
            smtp_config: {
              host: 'smtp.partner.test',
              port: 587,
              use_tls: true,
              tls_mode: 'starttls',
              use_insecure: false,
              retries: 3,
              auth_type: 'basic',
              username: 'mailer',
              sender_email: 'noreply@partner.test',
              sender_name: 'Partner',
              ca_cert: null,
              client_cert: null,
              oauth2: null,
              password_set: true,
              client_secret_set: false,
              client_key_set: false,
            },
          },
          secondary: null,
        }),
      );
    }
  });

  it('shows the level’s secondary route beside the primary, serialized like the whole view', () => {
    const withSecondary: Omit<EffectiveProfile, 'scope'> = {
      ...shared,
      settings: { ...settings },
      secondary: { ...shared, profileId: 'p-2', version: 1, settings: { ...settings, host: 'backup.partner.test', port: 2525 } },
    };
    const scope = { level: 'org' as const, partnerId: 'partner-1', orgId: 'org-9' };
    const parsed = JSON.parse(effectiveJson({ ...withSecondary, scope }));
    expect(Object.keys(parsed)).toEqual(['source', 'scope', 'profile', 'sender', 'email_config', 'secondary']);
    expect(parsed.email_config.smtp_config.host).toBe('smtp.partner.test');
    expect(parsed.secondary).toEqual({
      source: 'partner',
      profile: { id: 'p-2', partner_id: 'partner-1', org_id: null, version: 1 },
      sender: { email: 'noreply@partner.test', name: 'Partner', source: 'profile' },
      email_config: { smtp_config: expect.objectContaining({ host: 'backup.partner.test', port: 2525, password_set: true }) },
    });
    expect(JSON.stringify(parsed.secondary)).not.toMatch(/password"/);
  });
});
