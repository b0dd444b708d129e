/**
 * Periodic delivery reports (EMAIL_REPORT_INTERVAL, off by default): at the end of each period every
 * scope with a reporting address gets a `report` email through its own effective route, with its
 * messages of the period by outcome (sent, failed, retrying, queued), the most frequent failure stages
 * and SMTP codes, and a line per organization (a partner's report) or per partner (the controller's).
 *
 * Periods are aligned to the epoch (a `1d` period runs from midnight UTC), so every replica computes the
 * same period; a row keyed by scope and period start, inserted in the transaction that queues the email,
 * makes each report go out exactly once across replicas. The clock is injectable (REPORT_CLOCK) and
 * `runDue(now)` takes the time, so a test reports a period without waiting for it.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, PeriodicTask, systemClock } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { NotificationRecipientsService, NotificationScope } from '@mailstrata/email-config';
import { TemplateRenderer } from '@mailstrata/templates';
import { DataSource, EntityManager } from 'typeorm';
import { EmailOutbox } from './email-outbox';

export const REPORT_CLOCK = Symbol('ReportClock');

/** How often a replica looks for a finished period (at most this late after its end). */
const CHECK_EVERY_MS = 60_000;
const TOP_FAILURES = 5;

export const REPORT_OUTCOMES = ['sent', 'failed', 'retrying', 'queued'] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

export interface ScopeCounts {
  total: number;
  byOutcome: Record<ReportOutcome, number>;
}

export interface DeliveryReport extends ScopeCounts {
  periodStart: Date;
  periodEnd: Date;
  topFailures: { stage: string | null; smtpCode: number | null; attempts: number }[];
  /** Per organization (a partner's report) or per partner (the controller's); empty for an org's. */
  parts: ({ name: string } & ScopeCounts)[];
}

/** The period that ended last at `now`: [end - interval, end), aligned to the epoch. */
export function lastFinishedPeriod(now: Date, intervalMs: number): { start: Date; end: Date } {
  const end = Math.floor(now.getTime() / intervalMs) * intervalMs;
  return { start: new Date(end - intervalMs), end: new Date(end) };
}

/** The report's text: one `outcome: count` line each, so people and parsers read it alike. */
export function reportSummary(r: DeliveryReport, partLabel: string): string {
  const lines = [
    `Messages in this period: ${r.total}`,
    ...REPORT_OUTCOMES.map((o) => `${o}: ${r.byOutcome[o]}`),
    '',
    r.topFailures.length === 0 ? 'No failed attempts.' : 'Most frequent failures (stage, SMTP code: attempts):',
    ...r.topFailures.map((f) => `${f.stage ?? 'none'} ${f.smtpCode ?? 'none'}: ${f.attempts}`),
  ];
  if (r.parts.length > 0) {
    lines.push('', `Per ${partLabel}:`);
    for (const p of r.parts) lines.push(`${p.name}: ${REPORT_OUTCOMES.map((o) => `${o} ${p.byOutcome[o]}`).join(', ')} (of ${p.total})`);
  }
  return lines.join('\n');
}

const OUTCOME_OF_STATUS = `CASE m.status WHEN 'sent' THEN 'sent' WHEN 'failed' THEN 'failed' WHEN 'retrying' THEN 'retrying' ELSE 'queued' END`;

function emptyCounts(): ScopeCounts {
  return { total: 0, byOutcome: { sent: 0, failed: 0, retrying: 0, queued: 0 } };
}

@Injectable()
export class DeliveryReports implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryReports.name);
  private readonly intervalMs: number | undefined;
  private readonly task: PeriodicTask | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly recipients: NotificationRecipientsService,
    private readonly outbox: EmailOutbox,
    private readonly templates: TemplateRenderer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(REPORT_CLOCK) private readonly clock: Clock = systemClock,
  ) {
    this.intervalMs = config.emailNotifications.reportIntervalMs;
    if (this.intervalMs !== undefined) {
      this.task = new PeriodicTask(
        'email-reports',
        Math.min(this.intervalMs, CHECK_EVERY_MS),
        async () => {
          await this.runDue();
        },
        (name, err) => this.logger.warn({ err, task: name }, 'sending the delivery reports failed; the next run tries again'),
      );
    }
  }

  onApplicationBootstrap(): void {
    this.task?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  /** Reports the last finished period to every scope that has not had it yet; returns how many reports were queued. */
  async runDue(now: Date = this.clock.now()): Promise<number> {
    if (this.intervalMs === undefined) return 0;
    const period = lastFinishedPeriod(now, this.intervalMs);
    const scopes: (NotificationScope & { addresses: string[] })[] = [];
    const controller = this.config.emailNotifications.controller.reporting;
    if (controller.length > 0) scopes.push({ partnerId: null, orgId: null, addresses: controller });
    scopes.push(...(await this.recipients.scopesWith('reporting')));
    let sent = 0;
    for (const scope of scopes) {
      try {
        if (await this.reportOnce(scope, period)) sent += 1;
      } catch (err) {
        // One scope's failure (e.g. a template refusing) must not hold back the others' reports.
        this.logger.warn({ err, partner_id: scope.partnerId, org_id: scope.orgId }, 'a delivery report could not be queued');
      }
    }
    return sent;
  }

  private reportOnce(scope: NotificationScope & { addresses: string[] }, period: { start: Date; end: Date }): Promise<boolean> {
    const scopeKey = scope.orgId ? `org:${scope.orgId}` : scope.partnerId ? `partner:${scope.partnerId}` : 'controller';
    return this.dataSource.transaction(async (manager) => {
      const claimed = (await manager.query(
        `INSERT INTO email_reports_sent (scope_key, period_start, period_end) VALUES ($1, $2, $3)
         ON CONFLICT (scope_key, period_start) DO NOTHING RETURNING 1`,
        [scopeKey, period.start, period.end],
      )) as unknown[];
      if (claimed.length === 0) return false;
      const report = await this.build(manager, scope, period);
      const name = await this.nameOf(manager, scope);
      const rendered = await this.templates.render(
        'report',
        { partnerId: scope.partnerId, orgId: scope.orgId },
        {
          title: `Email delivery report for ${name}`,
          summary: reportSummary(report, scope.partnerId === null ? 'partner' : 'organization'),
          period: `${period.start.toISOString()} – ${period.end.toISOString()}`,
          ...(scope.orgId ? { org_name: name } : {}),
        },
        { manager },
      );
      const jobIds: string[] = [];
      for (const to of scope.addresses) {
        jobIds.push(
          await this.outbox.enqueue(manager, {
            scope: { partnerId: scope.partnerId, orgId: scope.orgId },
            kind: 'report',
            to,
            subject: rendered.subject,
            text: rendered.text,
            ...(rendered.html !== null ? { html: rendered.html } : {}),
            producer: { type: 'system', id: null, name: 'delivery_report' },
          }),
        );
      }
      await manager.query(`UPDATE email_reports_sent SET job_ids = $3 WHERE scope_key = $1 AND period_start = $2`, [
        scopeKey,
        period.start,
        jobIds,
      ]);
      return true;
    });
  }

  /** The scope's messages created in the period, by outcome, its top failures and its parts. */
  async build(manager: EntityManager, scope: NotificationScope, period: { start: Date; end: Date }): Promise<DeliveryReport> {
    const filter = scope.orgId ? 'm.org_id = $3' : scope.partnerId ? 'm.partner_id = $3' : '$3::uuid IS NULL';
    const part = scope.orgId ? null : scope.partnerId ? 'm.org_id' : 'm.partner_id';
    const params = [period.start, period.end, scope.orgId ?? scope.partnerId];
    const rows = (await manager.query(
      `SELECT ${part ?? 'NULL::uuid'} AS part, ${OUTCOME_OF_STATUS} AS outcome, count(*)::int AS n
         FROM email_messages m WHERE m.created_at >= $1 AND m.created_at < $2 AND ${filter}
        GROUP BY 1, 2`,
      params,
    )) as { part: string | null; outcome: ReportOutcome; n: number }[];
    const totals = emptyCounts();
    const parts = new Map<string, ScopeCounts>();
    for (const r of rows) {
      totals.total += r.n;
      totals.byOutcome[r.outcome] += r.n;
      if (part && r.part) {
        const c = parts.get(r.part) ?? emptyCounts();
        c.total += r.n;
        c.byOutcome[r.outcome] += r.n;
        parts.set(r.part, c);
      }
    }
    const failures = (await manager.query(
      `SELECT a.stage, a.smtp_code, count(*)::int AS attempts
         FROM email_attempts a JOIN email_messages m ON m.id = a.message_id
        WHERE a.at >= $1 AND a.at < $2 AND a.outcome IN ('retrying', 'failed') AND ${filter}
        GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT ${TOP_FAILURES}`,
      params,
    )) as { stage: string | null; smtp_code: number | null; attempts: number }[];
    const names = await this.partNames(manager, scope, [...parts.keys()]);
    return {
      ...totals,
      periodStart: period.start,
      periodEnd: period.end,
      topFailures: failures.map((f) => ({ stage: f.stage, smtpCode: f.smtp_code, attempts: f.attempts })),
      parts: [...parts.entries()].map(([id, c]) => ({ name: names.get(id) ?? id, ...c })).sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  private async partNames(manager: EntityManager, scope: NotificationScope, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const table = scope.partnerId === null ? 'partners' : 'organizations';
    const rows = (await manager.query(`SELECT id, name FROM ${table} WHERE id = ANY($1::uuid[])`, [ids])) as { id: string; name: string }[];
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  private async nameOf(manager: EntityManager, scope: NotificationScope): Promise<string> {
    if (scope.partnerId === null) return 'the controller';
    const [row] = (await manager.query(
      scope.orgId ? `SELECT name FROM organizations WHERE id = $1` : `SELECT name FROM partners WHERE id = $1`,
      [scope.orgId ?? scope.partnerId],
    )) as { name: string }[];
    return row ? `${scope.orgId ? 'organization' : 'partner'} "${row.name}"` : (scope.orgId ?? scope.partnerId);
  }
}
