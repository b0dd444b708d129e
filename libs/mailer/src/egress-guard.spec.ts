import { Logger } from '@nestjs/common';
import { DestinationRefusedError, EgressPolicy, HostLookup } from './egress-guard';
import { SmtpDeliveryError } from './smtp-failure';

const names: Record<string, string[]> = {
  'mail.public.test': ['93.184.216.34'],
  'mail.internal.test': ['10.1.2.3'],
  'split.test': ['93.184.216.34', '10.1.2.3'],
};
const lookup: HostLookup = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found;
};

/** What `checkAtSave` refused, or 'allowed'. */
async function atSave(policy: EgressPolicy, host: string, port: number): Promise<readonly string[] | 'allowed'> {
  try {
    await policy.checkAtSave(host, port);
    return 'allowed';
  } catch (error) {
    if (error instanceof DestinationRefusedError) return error.refused;
    throw error;
  }
}

describe('EgressPolicy', () => {
  // Refusals go to the debug log only; this spec asserts them, not their log lines.
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose']));
  const policy = new EgressPolicy([], [], lookup);

  it.each([
    ['a public address on an SMTP port', '93.184.216.34', 587, 'allowed'],
    ['a public name on an SMTP port', 'mail.public.test', 2525, 'allowed'],
    ['a name that does not resolve yet (checked again at send)', 'mail.unknown.test', 587, 'allowed'],
    ['loopback on an SMTP port', '127.0.0.1', 587, ['host']],
    ['a name with one internal address', 'split.test', 587, ['host']],
    ['a public address on another port', '93.184.216.34', 2526, ['port']],
    ['a name that does not resolve, on another port', 'mail.unknown.test', 2526, ['port']],
    ['loopback on another port', '127.0.0.1', 2526, ['port', 'host']],
    ['a name with an internal address, on another port', 'mail.internal.test', 22, ['port', 'host']],
  ])('at save: %s', async (_what, host, port, expected) => {
    expect(await atSave(policy, host, port)).toEqual(expected);
  });

  it('at send, refuses the port before it looks the host up', async () => {
    const looked: string[] = [];
    const counting = new EgressPolicy([], [], async (host) => {
      looked.push(host);
      return lookup(host);
    });
    await expect(counting.check('mail.internal.test', 22)).rejects.toMatchObject({ refused: ['port'] });
    expect(looked).toEqual([]);
  });

  it('allows what the operator allows: networks and ports', async () => {
    const operator = new EgressPolicy(['127.0.0.0/8', '10.1.2.3'], [2526], lookup);
    expect(await atSave(operator, '127.0.0.1', 2526)).toBe('allowed');
    expect(await atSave(operator, 'mail.internal.test', 2526)).toBe('allowed');
    expect(await atSave(operator, '10.1.2.4', 2526)).toEqual(['host']);
  });

  it('hands back the checked address, and a DNS failure as stage DNS at send', async () => {
    await expect(policy.check('mail.public.test', 587)).resolves.toEqual({ address: '93.184.216.34', servername: 'mail.public.test' });
    await expect(policy.check('mail.unknown.test', 587)).rejects.toBeInstanceOf(SmtpDeliveryError);
  });
});
