import { ConfigValidationError, loadConfig } from './app-config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('alert and report settings', () => {
  it('has reports off, a 15-minute alert interval and a threshold of 3 by default', () => {
    expect(loadConfig({}).emailNotifications).toEqual({
      controller: { admin: [], alerting: [], reporting: [] },
      failureThreshold: 3,
      alertMinIntervalMs: 900_000,
      reportIntervalMs: undefined,
    });
  });

  it('reads periods like 15m, 1h, 1d and off', () => {
    expect(loadConfig({ EMAIL_REPORT_INTERVAL: '15m' }).emailNotifications.reportIntervalMs).toBe(900_000);
    expect(loadConfig({ EMAIL_REPORT_INTERVAL: '1h' }).emailNotifications.reportIntervalMs).toBe(3_600_000);
    expect(loadConfig({ EMAIL_REPORT_INTERVAL: '1d' }).emailNotifications.reportIntervalMs).toBe(86_400_000);
    expect(loadConfig({ EMAIL_REPORT_INTERVAL: 'off' }).emailNotifications.reportIntervalMs).toBeUndefined();
  });

  it.each(['1', '1w', '0m', '32d', 'hourly', '-1h', '1.5h'])('refuses EMAIL_REPORT_INTERVAL=%s naming the variable', (value) => {
    expect(problems({ EMAIL_REPORT_INTERVAL: value })).toEqual([expect.stringContaining('EMAIL_REPORT_INTERVAL')]);
  });

  it('reads the controller’s addresses as lists and refuses anything else', () => {
    const c = loadConfig({
      EMAIL_CONTROLLER_ALERTING_ADDRESS: 'ops@c.test, oncall@c.test',
      EMAIL_CONTROLLER_REPORTING_ADDRESS: 'r@c.test',
    });
    expect(c.emailNotifications.controller).toEqual({ admin: [], alerting: ['ops@c.test', 'oncall@c.test'], reporting: ['r@c.test'] });
    expect(problems({ EMAIL_CONTROLLER_ADMIN_ADDRESS: 'not an address' })).toEqual([
      expect.stringContaining('EMAIL_CONTROLLER_ADMIN_ADDRESS'),
    ]);
    expect(problems({ EMAIL_CONTROLLER_ALERTING_ADDRESS: 'a@c.test,b@c.test,c@c.test,d@c.test,e@c.test,f@c.test' })).toEqual([
      expect.stringContaining('EMAIL_CONTROLLER_ALERTING_ADDRESS'),
    ]);
    expect(problems({ EMAIL_ALERT_FAILURE_THRESHOLD: '0' })).toEqual([expect.stringContaining('EMAIL_ALERT_FAILURE_THRESHOLD')]);
  });
});
