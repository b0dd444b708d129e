/**
 * Failure alerts and delivery reports in the real app (in-process worker) against real SMTP servers.
 * Partner P's route points at server A, its org O's own route at server B. When B starts answering 421
 * while O's emails go out, O's alerting address gets exactly one alert, through P's route (A), however
 * many messages fail; when B answers again, exactly one recovery email; a second episode within the
 * interval is audited but not emailed again. A partner with a reporting address gets one report per
 * period (the period is triggered through the injected clock) with the counts of its seeded messages.
 */
import { randomUUID } from 'node:crypto';
import { DeliveryReports, EmailOutbox, REPORT_CLOCK } from '@mailstrata/delivery';
import { getDataSourceToken } from '@nestjs/typeorm';
import { simpleParser } from 'mailparser';
import { DataSource } from 'typeorm';
import { createTenant, rootToken, setOverride, Tenant } from '../email-config/helpers';
import { startTestApp, TestApp } from '../support/app';
import { ReceivedMessage, startSmtpServer, TestSmtpServer, waitFor } from '../support/smtp';

const BODY = 'Your one-time link: https://console.example/setup#tok-alerts-9c1d';
const ORG_ALERTS = 'oncall@org-o.test';
const PARTNER_REPORTS = 'reports@partner-q.test';
const PLATFORM_ONCALL = 'platform-oncall@controller.test';
const PLATFORM_REPORTS = 'platform-reports@controller.test';

describe('route failure alerts and delivery reports', () => {
  let t: TestApp;
  let replica: TestApp;
  let controller: TestSmtpServer;
  let serverA: TestSmtpServer;
  let serverB: TestSmtpServer;
  let serverR: TestSmtpServer;
  let serverD: TestSmtpServer;
  let serverE: TestSmtpServer;
  let tenant: Tenant;
  let reportTenant: Tenant;
  let outbox: EmailOutbox;
  let dataSource: DataSource;
  const clock = {
    at: new Date('2026-01-01T00:00:10Z'),
    now() {
      return this.at;
    },
  };

  beforeAll(async () => {
    [controller, serverA, serverB, serverR, serverD, serverE] = await Promise.all(Array.from({ length: 6 }, () => startSmtpServer()));
    const env = {
      FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
      FW_EVENT_SMTP_SERVER_PORT: String(controller.port),
      FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      FW_EVENT_SMTP_SENDER_EMAIL: 'ops@controller.test',
      SMTP_ALLOWED_NETWORKS: '127.0.0.1/32',
      SMTP_ALLOWED_PORTS: [controller, serverA, serverB, serverR, serverD, serverE].map((s) => s.port).join(','),
      EMAIL_CONTROLLER_ALERTING_ADDRESS: PLATFORM_ONCALL,
      EMAIL_CONTROLLER_REPORTING_ADDRESS: PLATFORM_REPORTS,
      EMAIL_RETRY_BASE_MS: '30',
      EMAIL_POLL_INTERVAL_MS: '25',
      EMAIL_ALERT_FAILURE_THRESHOLD: '3',
      EMAIL_ALERT_MIN_INTERVAL_SECONDS: '3600',
      EMAIL_REPORT_INTERVAL: '1h',
    };
    const overrides = [{ provide: REPORT_CLOCK, useValue: clock }];
    t = await startTestApp({ env, overrides });
    // A second replica on the same database: its worker takes its share of every burst, and must not announce twice.
    replica = await startTestApp({ env, overrides, db: t.db });
    outbox = t.app.get(EmailOutbox);
    dataSource = t.app.get<DataSource>(getDataSourceToken());
    const root = await rootToken(t.client);
    tenant = await createTenant(t.client, root, 'alerts');
    reportTenant = await createTenant(t.client, root, 'reports');
    await setProfile(tenant.partnerToken, '', serverA.port, 'noreply@partner-p.test');
    await setOverride(t.client, tenant.partnerToken, tenant.orgId, true);
    await setProfile(tenant.partnerToken, `?org_id=${tenant.orgId}`, serverB.port, 'noreply@org-o.test');
    await setProfile(reportTenant.partnerToken, '', serverR.port, 'noreply@partner-q.test');
    const put = await t.client.request('PUT', `/event/v1/email/config/notifications?org_id=${tenant.orgId}`, {
      body: { alerting_address: ORG_ALERTS },
      cookie: tenant.orgToken,
    });
    expect(put.status).toBe(201);
  });
  afterAll(async () => {
    await replica?.close();
    await t?.close();
    await Promise.all([controller, serverA, serverB, serverR, serverD, serverE].map((s) => s?.close()));
  });

  async function setProfile(token: string, query: string, port: number, sender: string) {
    const res = await t.client.post(
      `/event/v1/email/config${query}`,
      { email_config: { smtp_config: { host: '127.0.0.1', port, use_tls: false, retries: 1, sender_email: sender } } },
      token,
    );
    expect([200, 201]).toContain(res.status);
  }

  const sendAsOrg = (count: number, subject: string) => sendAs({ partnerId: tenant.partnerId, orgId: tenant.orgId }, count, subject);
  const sendAs = (scope: { partnerId: string | null; orgId: string | null }, count: number, subject: string) =>
    dataSource.transaction(async (m) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i += 1) {
        ids.push(
          await outbox.enqueue(m, {
            scope,
            kind: 'password_setup',
            to: `user${i}@customer.test`,
            subject: `${subject} ${i}`,
            text: BODY,
          }),
        );
      }
      return ids;
    });

  const allFinished = (ids: string[]) =>
    waitFor(
      async () => {
        const [row] = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM email_jobs WHERE id = ANY($1) AND finished_at IS NOT NULL`,
          [ids],
        );
        return row!.n === ids.length || undefined;
      },
      20_000,
      'jobs to finish',
    );

  const subjectOf = async (m: ReceivedMessage) => (await simpleParser(m.raw)).subject;
  const alertsTo = (server: TestSmtpServer, address: string) => server.messages.filter((m) => m.to === address);
  const atLeast = (server: TestSmtpServer, address: string, n: number, what: string) =>
    waitFor(() => (alertsTo(server, address).length >= n ? alertsTo(server, address) : undefined), 20_000, what);
  const routeEvents = (key = `org:${tenant.orgId}`) =>
    t.db.query<{ type: string; details: Record<string, any>; partner_id: string | null; org_id: string | null }>(
      `SELECT type, details, partner_id, org_id FROM audit_events WHERE type LIKE 'email_route.%' AND resource_id = $1 ORDER BY seq`,
      [key],
    );

  it('one alert through the partner route (not the failing one) however many messages fail; one recovery email', async () => {
    serverB.failures.rcptTo = 421;
    const failingIds = await sendAsOrg(5, 'During the outage');
    const [alert] = await atLeast(serverA, ORG_ALERTS, 1, 'alert on A');
    await allFinished(failingIds);
    // Every message failed (10 attempts, well past the threshold of 3), and still one alert.
    const [failed] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE id = ANY($1) AND status = 'failed'`, [
      failingIds,
    ]);
    expect(failed!.n).toBe(5);
    expect(alertsTo(serverA, ORG_ALERTS)).toHaveLength(1);
    expect([...serverB.messages, ...controller.messages].filter((m) => m.to === ORG_ALERTS)).toHaveLength(0);

    expect(alert!.from).toBe('noreply@partner-p.test');
    expect(await subjectOf(alert!)).toMatch(/^\[CRITICAL\] SMTP route of organization ".*" \(partner ".*"\) is failing$/);
    expect(alert!.text).toContain(`Route: org:${tenant.orgId}`);
    expect(alert!.text).toContain(`Host: 127.0.0.1:${serverB.port}`);
    expect(alert!.text).toMatch(/^Last failure: stage [A-Z_]+, SMTP code 421, error SMTP_DELIVERY_FAILED$/m);
    expect(alert!.text).toMatch(/failing since \d{4}-\d\d-\d\dT/);
    expect(alert!.text).not.toContain('tok-alerts');
    const [alertJob] = await t.db.query<{ source: string; partner_id: string; org_id: string | null; kind: string }>(
      `SELECT source, partner_id, org_id, kind FROM email_jobs WHERE recipient = $1`,
      [ORG_ALERTS],
    );
    expect(alertJob).toMatchObject({ source: 'partner', partner_id: tenant.partnerId, org_id: null, kind: 'alert' });

    delete serverB.failures.rcptTo;
    const okIds = await sendAsOrg(4, 'After the outage');
    await allFinished(okIds);
    const recovered = (await atLeast(serverA, ORG_ALERTS, 2, 'recovery on A'))[1]!;
    expect(await subjectOf(recovered)).toMatch(/^\[INFO\] SMTP route of organization ".*" \(partner ".*"\) has recovered$/);
    expect(recovered.text).toMatch(/delivers again .*; it had been failing since /);
    // More successes later: still exactly one recovery email.
    await allFinished(await sendAsOrg(2, 'Later'));
    expect(alertsTo(serverA, ORG_ALERTS)).toHaveLength(2);

    const events = await routeEvents();
    expect(events.map((e) => [e.type, e.details.alert, e.details.alerted_via])).toEqual([
      ['email_route.failing', 'sent', 'partner'],
      ['email_route.recovered', 'sent', 'partner'],
    ]);
    expect(events[0]).toMatchObject({ partner_id: tenant.partnerId, org_id: tenant.orgId });
    expect(alert!.text).toContain(`stage ${events[0]!.details.stage}, SMTP code 421`);
    expect(events[0]!.details).toMatchObject({
      smtp_code: 421,
      consecutive_failures: 3,
      host: '127.0.0.1',
      port: serverB.port,
    });
  });

  it('a second outage within the interval is audited but not emailed again', async () => {
    const before = alertsTo(serverA, ORG_ALERTS).length;
    serverB.failures.rcptTo = 421;
    await allFinished(await sendAsOrg(3, 'Second outage'));
    await waitFor(async () => (await routeEvents()).length >= 3 || undefined, 10_000, 'second failing event');
    delete serverB.failures.rcptTo;
    await allFinished(await sendAsOrg(1, 'Second recovery'));
    await waitFor(async () => (await routeEvents()).length >= 4 || undefined, 10_000, 'second recovered event');
    const events = (await routeEvents()).slice(2);
    expect(events.map((e) => [e.type, e.details.alert])).toEqual([
      ['email_route.failing', 'suppressed'],
      ['email_route.recovered', 'suppressed'],
    ]);
    // Nothing queued for the alerting address since: the worker has had every chance to send it.
    const [queued] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE recipient = $1`, [ORG_ALERTS]);
    expect(queued!.n).toBe(before);
    expect(alertsTo(serverA, ORG_ALERTS)).toHaveLength(before);
  });

  it('a partner with a reporting address gets one report per period with the counts of its messages', async () => {
    const put = await t.client.request('PUT', '/event/v1/email/config/notifications', {
      body: { reporting_address: [PARTNER_REPORTS] },
      cookie: reportTenant.partnerToken,
    });
    expect(put.status).toBe(201);
    // Seeded in the period 2026-01-05 10:00–11:00 UTC: org messages 3 sent, 2 failed, 1 retrying, 1 queued;
    // partner-level 1 sent; outside the period (and another tenant's) messages that must not count.
    const inPeriod = (minute: number) => new Date(Date.UTC(2026, 0, 5, 10, minute));
    const seed = async (created: Date, status: string, orgId: string | null, partnerId = reportTenant.partnerId) => {
      const id = randomUUID();
      await t.db.query(
        `INSERT INTO email_messages (id, created_at, partner_id, org_id, producer_type, template, to_addresses, subject, status, recipients_total)
         VALUES ($1, $2, $3, $4, 'system', 'generic', ARRAY['x@customer.test'], 'seeded', $5, 1)`,
        [id, created, partnerId, orgId, status],
      );
      return id;
    };
    const org = reportTenant.orgId;
    for (let i = 0; i < 3; i += 1) await seed(inPeriod(1 + i), 'sent', org);
    const failedA = await seed(inPeriod(10), 'failed', org);
    const failedB = await seed(inPeriod(11), 'failed', org);
    const retrying = await seed(inPeriod(12), 'retrying', org);
    await seed(inPeriod(13), 'queued', org);
    await seed(inPeriod(14), 'sent', null);
    await seed(new Date(Date.UTC(2026, 0, 5, 9, 59)), 'failed', org);
    await seed(new Date(Date.UTC(2026, 0, 5, 11, 0)), 'failed', org);
    await seed(inPeriod(20), 'failed', tenant.orgId, tenant.partnerId);
    const attempt = (messageId: string, n: number, stage: string, code: number, outcome: string) =>
      t.db.query(
        `INSERT INTO email_attempts (job_id, attempt, message_id, recipient, at, stage, smtp_code, outcome) VALUES ($1, $2, $3, 'x@customer.test', $4, $5, $6, $7)`,
        [randomUUID(), n, messageId, inPeriod(30), stage, code, outcome],
      );
    await attempt(failedA, 1, 'RCPT_TO', 550, 'failed');
    await attempt(failedB, 1, 'RCPT_TO', 550, 'failed');
    await attempt(retrying, 1, 'CONNECT', 421, 'retrying');

    const reports = t.app.get(DeliveryReports);
    clock.at = new Date('2026-01-05T11:00:30Z');
    // Both replicas run the period at once: one report.
    const queued = await Promise.all([reports.runDue(), replica.app.get(DeliveryReports).runDue()]);
    // The partner's report and the controller's; each queued by exactly one of the two replicas.
    expect(queued.reduce((a, b) => a + b, 0)).toBe(2);
    const [report] = await atLeast(serverR, PARTNER_REPORTS, 1, 'report on R');
    const count = (label: string) => Number(new RegExp(`^${label}: (\\d+)$`, 'm').exec(report!.text)?.[1]);
    expect({
      total: count('Messages in this period'),
      sent: count('sent'),
      failed: count('failed'),
      retrying: count('retrying'),
      queued: count('queued'),
    }).toEqual({
      total: 8,
      sent: 4,
      failed: 2,
      retrying: 1,
      queued: 1,
    });
    expect(report!.text).toContain('RCPT_TO 550: 2');
    expect(report!.text).toContain('CONNECT 421: 1');
    expect(report!.text).toMatch(/^Org .*: sent 3, failed 2, retrying 1, queued 1 \(of 7\)$/m);
    const [partner] = await t.db.query<{ name: string }>('SELECT name FROM partners WHERE id = $1', [reportTenant.partnerId]);
    expect(await subjectOf(report!)).toBe(
      `Email delivery report for partner "${partner!.name}" — 2026-01-05T10:00:00.000Z – 2026-01-05T11:00:00.000Z`,
    );

    // The same period again, later in it: nothing new.
    clock.at = new Date('2026-01-05T11:59:00Z');
    expect(await reports.runDue()).toBe(0);
    const [jobs] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE recipient = $1`, [PARTNER_REPORTS]);
    expect(jobs!.n).toBe(1);

    // The controller's report covers every tenant, a line per partner, through the controller's route.
    // (The controller's report of the clock's first period, sent at start, is another message.)
    const platform = await waitFor(
      () => controller.messages.find((m) => m.to === PLATFORM_REPORTS && m.text.includes('2026-01-05T10:00:00.000Z')),
      15_000,
      'controller report of the period',
    );
    expect(platform.text).toMatch(/^Messages in this period: 9$/m);
    expect(platform.text).toMatch(/^failed: 3$/m);
    expect(platform.text).toContain(`Partner reports`);
    expect(platform.text).toMatch(/^Partner reports\S*: sent 4, failed 2, retrying 1, queued 1 \(of 8\)$/m);
    expect(platform.text).toMatch(/^Partner alerts\S*: sent 0, failed 1, retrying 0, queued 0 \(of 1\)$/m);
  });
  it('a partner route announces through the controller; an org under a failing partner too; an org without its own address reaches its partner’s', async () => {
    const root = await rootToken(t.client);
    const p3 = await createTenant(t.client, root, 'fallback');
    await setProfile(p3.partnerToken, '', serverD.port, 'noreply@partner-3.test');
    await setOverride(t.client, p3.partnerToken, p3.orgId, true);
    await setProfile(p3.partnerToken, `?org_id=${p3.orgId}`, serverE.port, 'noreply@org-3.test');
    const oncall = 'oncall@partner-3.test';
    expect(
      (
        await t.client.request('PUT', '/event/v1/email/config/notifications', {
          body: { alerting_address: oncall },
          cookie: p3.partnerToken,
        })
      ).status,
    ).toBe(201);

    serverD.failures.rcptTo = 421;
    await allFinished(await sendAs({ partnerId: p3.partnerId, orgId: null }, 3, 'Partner outage'));
    const [partnerAlert] = await atLeast(controller, oncall, 1, 'partner alert via the controller');
    expect(partnerAlert!.from).toBe('ops@controller.test');
    expect(partnerAlert!.text).toContain(`Route: partner:${p3.partnerId}`);

    serverE.failures.rcptTo = 421;
    await allFinished(await sendAs({ partnerId: p3.partnerId, orgId: p3.orgId }, 3, 'Org outage'));
    const orgAlert = (await atLeast(controller, oncall, 2, 'org alert via the controller'))[1]!;
    expect(orgAlert.text).toContain(`Route: org:${p3.orgId}`);
    expect(orgAlert.text).toContain('sent through the controller route');
    expect([...serverD.messages, ...serverE.messages].filter((m) => m.to === oncall)).toHaveLength(0);
    expect((await routeEvents(`org:${p3.orgId}`)).map((e) => [e.type, e.details.alert, e.details.alerted_via])).toEqual([
      ['email_route.failing', 'sent', 'controller'],
    ]);
    delete serverD.failures.rcptTo;
    delete serverE.failures.rcptTo;
  });

  it('the controller’s own failure is audited with no route above; its recovery is emailed through itself', async () => {
    controller.failures.rcptTo = 421;
    await allFinished(await sendAs({ partnerId: null, orgId: null }, 3, 'Controller outage'));
    const [failing] = await waitFor(
      async () => {
        const events = await routeEvents('controller');
        return events.length >= 1 ? events : undefined;
      },
      10_000,
      'controller failing event',
    );
    expect(failing).toMatchObject({ type: 'email_route.failing', partner_id: null, org_id: null });
    // 421 or a dropped pooled connection (no code), whichever the attempt that crossed the threshold saw: both are the route's.
    expect(failing!.details).toMatchObject({ alert: 'no_route_above', alerted_via: null, consecutive_failures: 3 });
    expect(failing!.details.stage).toEqual(expect.any(String));
    expect(controller.messages.filter((m) => m.to === PLATFORM_ONCALL)).toHaveLength(0);

    delete controller.failures.rcptTo;
    await allFinished(await sendAs({ partnerId: null, orgId: null }, 1, 'Controller back'));
    const [recovered] = await atLeast(controller, PLATFORM_ONCALL, 1, 'controller recovery');
    expect(await subjectOf(recovered!)).toBe('[INFO] SMTP route of the controller has recovered');
    expect((await routeEvents('controller')).map((e) => [e.type, e.details.alert, e.details.alerted_via])).toEqual([
      ['email_route.failing', 'no_route_above', null],
      ['email_route.recovered', 'sent', 'controller'],
    ]);
  });
});
