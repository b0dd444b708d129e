import { ResolutionCandidates, resolveWinner } from './resolution-rules';

const ORG = { id: 'org-profile' };
const PARTNER = { id: 'partner-profile' };

function winner(c: Partial<ResolutionCandidates<{ id: string }>>) {
  return resolveWinner({
    level: 'org',
    orgOverrideEnabled: false,
    orgProfile: null,
    partnerProfile: null,
    controllerConfigured: false,
    ...c,
  });
}

describe('resolveWinner', () => {
  it('gives an organization its own profile while its override switch is on', () => {
    expect(winner({ orgOverrideEnabled: true, orgProfile: ORG, partnerProfile: PARTNER, controllerConfigured: true })).toEqual({
      source: 'org',
      profile: ORG,
    });
  });

  it('ignores an organization profile while the switch is off: the partner profile applies', () => {
    expect(winner({ orgOverrideEnabled: false, orgProfile: ORG, partnerProfile: PARTNER })).toEqual({
      source: 'partner',
      profile: PARTNER,
    });
  });

  it('falls through to the partner when the switch is on but the organization saved no profile', () => {
    expect(winner({ orgOverrideEnabled: true, partnerProfile: PARTNER, controllerConfigured: true })).toEqual({
      source: 'partner',
      profile: PARTNER,
    });
  });

  it('never lets an organization profile answer for a partner scope', () => {
    expect(winner({ level: 'partner', orgOverrideEnabled: true, orgProfile: ORG, controllerConfigured: true })).toEqual({
      source: 'controller',
      profile: null,
    });
  });

  it('uses the controller profile when no stored profile applies, whatever the switch', () => {
    for (const orgOverrideEnabled of [true, false]) {
      expect(winner({ orgOverrideEnabled, controllerConfigured: true })).toEqual({ source: 'controller', profile: null });
      expect(winner({ orgOverrideEnabled, orgProfile: orgOverrideEnabled ? null : ORG, controllerConfigured: true }).source).toBe(
        'controller',
      );
    }
  });

  it('answers none when nothing is configured at any level', () => {
    expect(winner({})).toEqual({ source: 'none', profile: null });
    expect(winner({ level: 'partner' })).toEqual({ source: 'none', profile: null });
    expect(winner({ orgProfile: ORG })).toEqual({ source: 'none', profile: null });
  });
});
