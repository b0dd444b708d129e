/**
 * Tells a scope's alerting addresses when its SMTP route turns failing and when it recovers. Called by
 * ProfileHealthRecorder in the transaction that flipped the route's state (so the alert, its audit event
 * and the new state commit together, once, whichever replica saw the outcome).
 *
 * A route cannot announce its own failure, so the alert goes through the level above: an org route's
 * through the partner's effective route (the partner's profile, or the controller's; the controller's
 * when the partner's own route is failing too), a partner route's through the controller's. The
 * controller's own failure has no level above: it is logged, counted and audited; its recovery is
 * emailed through itself (it has just delivered). Recipients: the route's scope's alerting addresses,
 * and for an org without any its partner's. At most one email per route and direction within
 * EMAIL_ALERT_MIN_INTERVAL_SECONDS, decided in the database so replicas agree. The email names the scope,
 * route, host, stage, SMTP code and since when: never a secret, a reply text or a body.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditWriter, defineAuditEvent } from '@mailstrata/audit';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { NotificationRecipientsService, NotificationScope } from '@mailstrata/email-config';
import { counter } from '@mailstrata/observability';
import { TemplateRenderer } from '@mailstrata/templates';
import { EntityManager } from 'typeorm';
import { EmailOutbox } from './email-outbox';
import { SmtpRouteResolver } from './smtp-route';

export type RouteDirection = 'failing' | 'recovered';

export interface RouteTransition {
  /** The profile key ('controller', 'partner:<id>', 'org:<id>') and version of the route. */
  key: string;
  version: string;
  direction: RouteDirection;
  /** When the streak of failures began (for `recovered`: when it had begun). */
  since: Date;
  at: Date;
  consecutiveFailures: number;
  stage: string | null;
  smtpCode: number | null;
  errorCode: string | null;
}

export const EmailRouteFailing = defineAuditEvent('email_route.failing', [
  'route',
  'level',
  'version',
  'host',
  'port',
  'stage',
  'smtp_code',
  'error_code',
  'since',
  'consecutive_failures',
  'alert',
  'alerted_via',
  'recipients',
]);
export const EmailRouteRecovered = defineAuditEvent('email_route.recovered', [
  'route',
  'level',
  'version',
  'host',
  'port',
  'since',
  'alert',
  'alerted_via',
  'recipients',
]);

const transitions = counter<'level' | 'direction' | 'alert'>({
  name: 'mailstrata_email_route_transitions_total',
  help: 'SMTP routes turning failing or recovered, by level (org, partner, controller) and what became of the alert (sent, suppressed, no_recipients, no_route_above)',
  labelNames: ['level', 'direction', 'alert'],
});

type AlertFate = 'sent' | 'suppressed' | 'no_recipients' | 'no_route_above';

interface RouteOwner extends NotificationScope {
  level: 'controller' | 'partner' | 'org';
  name: string | null;
  partnerName: string | null;
}

/** Whose route a profile key is. */
export function parseProfileKey(key: string): { level: 'controller' | 'partner' | 'org'; id: string | null } {
  const m = /^(partner|org):([0-9a-f-]{36})$/i.exec(key);
  if (m) return { level: m[1] as 'partner' | 'org', id: m[2]!.toLowerCase() };
  return { level: 'controller', id: null };
}

@Injectable()
export class RouteAlerts {
  private readonly logger = new Logger(RouteAlerts.name);

  constructor(
    private readonly recipients: NotificationRecipientsService,
    private readonly outbox: EmailOutbox,
    private readonly templates: TemplateRenderer,
    private readonly routes: SmtpRouteResolver,
    private readonly audit: AuditWriter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** In the transaction that flipped the route's state: the alert emails (if due) and the audit event. */
  async announce(manager: EntityManager, t: RouteTransition): Promise<void> {
    const owner = await this.ownerOf(manager, t.key);
    if (!owner) return; // the tenant is gone; nobody to tell
    const route = await this.hostOf(owner, t);
    let fate: AlertFate;
    let via: NotificationScope | null = null;
    let to: string[] = [];
    if (owner.level === 'controller' && t.direction === 'failing') {
      fate = 'no_route_above';
      this.logger.error(
        { route_key: t.key, version: t.version, stage: t.stage, smtp_code: t.smtpCode, since: t.since.toISOString() },
        'the controller SMTP route is failing; there is no level above to send the alert through',
      );
    } else {
      to = await this.recipients.addressesFor(owner, 'alerting', manager);
      if (to.length === 0 && owner.level === 'org')
        to = await this.recipients.addressesFor({ partnerId: owner.partnerId, orgId: null }, 'alerting', manager);
      if (to.length === 0) fate = 'no_recipients';
      else if (!(await this.due(manager, t))) fate = 'suppressed';
      else {
        via = owner.level === 'controller' ? owner : await this.levelAbove(manager, owner);
        await this.send(manager, owner, via, to, t, route);
        fate = 'sent';
      }
    }
    transitions.labels(owner.level, t.direction, fate).inc();
    const common = {
      route: t.key,
      level: owner.level,
      version: t.version,
      host: route?.host ?? null,
      port: route?.port ?? null,
      since: t.since.toISOString(),
      alert: fate,
      alerted_via: via ? levelOf(via) : null,
      recipients: to.length,
    };
    const scope = { actor: null, partnerId: owner.partnerId, orgId: owner.orgId, resource: { type: 'smtp_route', id: t.key } };
    if (t.direction === 'failing') {
      await this.audit.record(manager, EmailRouteFailing, {
        ...scope,
        outcome: 'failure',
        details: { ...common, stage: t.stage, smtp_code: t.smtpCode, error_code: t.errorCode, consecutive_failures: t.consecutiveFailures },
      });
    } else {
      await this.audit.record(manager, EmailRouteRecovered, { ...scope, outcome: 'success', details: common });
    }
  }

  /** Claims this route and direction's alert slot: false while the last alert is younger than the interval. */
  private async due(manager: EntityManager, t: RouteTransition): Promise<boolean> {
    const rows = (await manager.query(
      `INSERT INTO email_route_alerts (profile_key, direction, last_sent_at) VALUES ($1, $2, $3)
       ON CONFLICT (profile_key, direction) DO UPDATE SET last_sent_at = $3
         WHERE email_route_alerts.last_sent_at <= $3::timestamptz - ($4 || ' milliseconds')::interval
       RETURNING 1`,
      [t.key, t.direction, t.at, String(this.config.emailNotifications.alertMinIntervalMs)],
    )) as unknown[];
    return rows.length > 0;
  }

  /** The partner's route for an org's alert (the controller's when the partner's own route is failing too); the controller's for a partner's. */
  private async levelAbove(manager: EntityManager, owner: RouteOwner): Promise<NotificationScope> {
    const controller = { partnerId: null, orgId: null };
    if (owner.level !== 'org') return controller;
    const partnerScope = { partnerId: owner.partnerId, orgId: null };
    try {
      const partnerRoute = await this.routes.resolve(partnerScope);
      const [failing] = (await manager.query(
        `SELECT 1 FROM smtp_profile_health WHERE profile_key = $1 AND profile_version = $2 AND failing_since IS NOT NULL`,
        [partnerRoute.cacheKey, partnerRoute.version],
      )) as unknown[];
      return failing && partnerRoute.source !== 'controller' ? controller : partnerScope;
    } catch {
      return controller;
    }
  }

  private async send(
    manager: EntityManager,
    owner: RouteOwner,
    via: NotificationScope,
    to: string[],
    t: RouteTransition,
    route: { host: string; port: number } | null,
  ): Promise<void> {
    const scopeWords = describe(owner);
    const failing = t.direction === 'failing';
    const lines = failing
      ? [
          `The SMTP route of ${scopeWords} has been failing since ${t.since.toISOString()}: ${t.consecutiveFailures} failed attempts in a row.`,
          '',
          `Route: ${t.key} (version ${t.version})`,
          `Host: ${route ? `${route.host}:${route.port}` : 'unknown (the profile has changed since)'}`,
          `Last failure: stage ${t.stage ?? 'none'}, SMTP code ${t.smtpCode ?? 'none'}${t.errorCode ? `, error ${t.errorCode}` : ''}`,
          '',
          'Emails of this route are retried as its retries allow. Check the server and the profile (the email configuration page or its verification endpoint).',
          `This alert was sent through the ${levelOf(via)} route: a failing route cannot announce its own failure.`,
        ]
      : [
          `The SMTP route of ${scopeWords} delivers again (${t.at.toISOString()}); it had been failing since ${t.since.toISOString()}.`,
          '',
          `Route: ${t.key} (version ${t.version})`,
          `Host: ${route ? `${route.host}:${route.port}` : 'unknown (the profile has changed since)'}`,
        ];
    const rendered = await this.templates.render(
      'alert',
      { partnerId: owner.partnerId, orgId: owner.orgId },
      {
        title: failing ? `SMTP route of ${scopeWords} is failing` : `SMTP route of ${scopeWords} has recovered`,
        message: lines.join('\n'),
        severity: failing ? 'critical' : 'info',
      },
      { manager },
    );
    for (const address of to) {
      await this.outbox.enqueue(manager, {
        scope: via,
        kind: 'alert',
        to: address,
        subject: rendered.subject,
        text: rendered.text,
        ...(rendered.html !== null ? { html: rendered.html } : {}),
        producer: { type: 'system', id: null, name: `route_alert.${t.direction}` },
      });
    }
  }

  private async ownerOf(manager: EntityManager, key: string): Promise<RouteOwner | null> {
    const { level, id } = parseProfileKey(key);
    if (level === 'controller') return { level, partnerId: null, orgId: null, name: null, partnerName: null };
    if (level === 'partner') {
      const [p] = (await manager.query(`SELECT name FROM partners WHERE id = $1`, [id])) as { name: string }[];
      return p ? { level, partnerId: id, orgId: null, name: p.name, partnerName: p.name } : null;
    }
    const [o] = (await manager.query(
      `SELECT o.name, o.partner_id, p.name AS partner_name FROM organizations o JOIN partners p ON p.id = o.partner_id WHERE o.id = $1`,
      [id],
    )) as { name: string; partner_id: string; partner_name: string }[];
    return o ? { level, partnerId: o.partner_id, orgId: id, name: o.name, partnerName: o.partner_name } : null;
  }

  /** The host of this very version of the route, when it is still the scope's effective one. */
  private async hostOf(owner: RouteOwner, t: RouteTransition): Promise<{ host: string; port: number } | null> {
    try {
      const target = await this.routes.resolve(owner);
      return target.cacheKey === t.key && target.version === t.version ? { host: target.host, port: target.port } : null;
    } catch {
      return null;
    }
  }
}

function levelOf(scope: NotificationScope): 'controller' | 'partner' | 'org' {
  return scope.orgId ? 'org' : scope.partnerId ? 'partner' : 'controller';
}

function describe(owner: RouteOwner): string {
  if (owner.level === 'org') return `organization "${owner.name}" (partner "${owner.partnerName}")`;
  if (owner.level === 'partner') return `partner "${owner.name}"`;
  return 'the controller';
}
