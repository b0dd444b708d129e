import { lastFinishedPeriod, reportSummary } from './delivery-reports';
import { isRouteFault } from './profile-health';
import { parseProfileKey } from './route-alerts';

describe('what counts against a route', () => {
  it('counts connection, TLS, auth, sender and any 4xx failures, and failures without an SMTP reply', () => {
    expect(isRouteFault({ stage: 'CONNECT', smtpCode: null })).toBe(true);
    expect(isRouteFault({ stage: 'TLS', smtpCode: null })).toBe(true);
    expect(isRouteFault({ stage: 'AUTH', smtpCode: 535 })).toBe(true);
    expect(isRouteFault({ stage: 'MAIL_FROM', smtpCode: 550 })).toBe(true);
    expect(isRouteFault({ stage: 'RCPT_TO', smtpCode: 421 })).toBe(true);
    expect(isRouteFault({ stage: 'DATA', smtpCode: 451 })).toBe(true);
    expect(isRouteFault(null)).toBe(true);
  });

  it('does not count a permanent refusal of one recipient or one message', () => {
    expect(isRouteFault({ stage: 'RCPT_TO', smtpCode: 550 })).toBe(false);
    expect(isRouteFault({ stage: 'DATA', smtpCode: 554 })).toBe(false);
  });
});

describe('profile keys', () => {
  it('names the owning level and id', () => {
    expect(parseProfileKey('controller')).toEqual({ level: 'controller', id: null });
    expect(parseProfileKey('partner:6F1C0B0E-2D2B-4C1E-9A52-0C7E3C1F2A10')).toEqual({
      level: 'partner',
      id: '6f1c0b0e-2d2b-4c1e-9a52-0c7e3c1f2a10',
    });
    expect(parseProfileKey('org:6f1c0b0e-2d2b-4c1e-9a52-0c7e3c1f2a10')).toEqual({
      level: 'org',
      id: '6f1c0b0e-2d2b-4c1e-9a52-0c7e3c1f2a10',
    });
  });
});

describe('report periods', () => {
  it('is the last period that ended, aligned to the epoch, the same on every replica', () => {
    const hour = 3_600_000;
    expect(lastFinishedPeriod(new Date('2026-01-05T11:00:30Z'), hour)).toEqual({
      start: new Date('2026-01-05T10:00:00Z'),
      end: new Date('2026-01-05T11:00:00Z'),
    });
    expect(lastFinishedPeriod(new Date('2026-01-05T11:59:59.999Z'), hour)).toEqual(
      lastFinishedPeriod(new Date('2026-01-05T11:00:00Z'), hour),
    );
    expect(lastFinishedPeriod(new Date('2026-01-05T13:20:00Z'), 86_400_000).start).toEqual(new Date('2026-01-04T00:00:00Z'));
  });

  it('writes one `outcome: count` line each, the top failures and a line per part', () => {
    const text = reportSummary(
      {
        periodStart: new Date(0),
        periodEnd: new Date(3_600_000),
        total: 5,
        byOutcome: { sent: 2, failed: 1, retrying: 1, queued: 1 },
        topFailures: [{ stage: 'RCPT_TO', smtpCode: 550, attempts: 1 }],
        parts: [{ name: 'Org A', total: 5, byOutcome: { sent: 2, failed: 1, retrying: 1, queued: 1 } }],
      },
      'organization',
    );
    expect(text.split('\n')).toEqual([
      'Messages in this period: 5',
      'sent: 2',
      'failed: 1',
      'retrying: 1',
      'queued: 1',
      '',
      'Most frequent failures (stage, SMTP code: attempts):',
      'RCPT_TO 550: 1',
      '',
      'Per organization:',
      'Org A: sent 2, failed 1, retrying 1, queued 1 (of 5)',
    ]);
  });
});
