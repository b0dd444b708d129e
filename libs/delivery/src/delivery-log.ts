/**
 * The delivery log: what became of every system email, scoped like the audit log (an org's users see
 * their org, a partner's users the partner and its orgs, the controller any). A message shows its
 * producer, template, recipients, status (a message with a recipient being sent right now shows
 * `sending`), every attempt of every recipient (time, route (primary or secondary), its level, host and profile version, stage,
 * SMTP code and reply) and its final Message-ID. Newest first, keyset-paginated with an opaque cursor.
 * Bodies are never here. Finished messages older than EMAIL_LOG_RETENTION_DAYS are deleted.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { notFound, PeriodicTask } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { isUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import type { EmailMessageColumns } from './message-writer';

export type DeliveryLogScope =
  | { kind: 'all' }
  | { kind: 'partner'; partnerId: string }
  | { kind: 'org'; orgId: string }
  /** One organization, only if it belongs to the partner (a partner user narrowing to one of its orgs). */
  | { kind: 'partner-org'; partnerId: string; orgId: string };

export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'retrying', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Where a page ends: the last message's creation time (as Postgres printed it, to the microsecond) and id. */
export type DeliveryLogCursor = readonly [createdKey: string, id: string];

/** The delivery log's filters, checked and parsed (the HTTP layer's DTO says what it accepts). */
export interface DeliveryLogQuery {
  status?: MessageStatus;
  template?: string;
  /** A `to` or `cc` recipient, in any case; `@example.com` for every recipient at a domain. */
  to?: string;
  /** Created at or after this time. */
  timefrom?: Date;
  /** Created at or before this time. */
  timeto?: Date;
  cursor?: DeliveryLogCursor;
  /** 1 to DELIVERY_LOG_MAX_LIMIT; DELIVERY_LOG_DEFAULT_LIMIT when absent. */
  limit?: number;
}

export interface AttemptView {
  recipient: string;
  attempt: number;
  at: string;
  /** `name`: the primary or the secondary route of the level that supplied it. */
  route: { name: string; level: string | null; host: string | null; profile_version: string | null };
  stage: string | null;
  smtp_code: number | null;
  reply: string | null;
  error_code: string | null;
  outcome: string;
  message_id: string | null;
}

export interface MessageView {
  id: string;
  partner_id: string | null;
  org_id: string | null;
  producer: { type: string; id: string | null; name: string | null };
  template: string;
  recipients: { to: string[]; cc: string[]; reply_to: string | null };
  subject: string;
  status: MessageStatus;
  route: { level: string | null; profile_id: string | null; version: string | null };
  created_at: string;
  updated_at: string;
  message_id: string | null;
  attempts: AttemptView[];
}

export interface DeliveryLogPage {
  items: MessageView[];
  next_cursor: string | null;
  limit: number;
}

interface MessageRow extends EmailMessageColumns {
  status: MessageStatus;
  in_flight: boolean;
  created_at: Date;
  created_key: string;
  updated_at: Date;
  final_message_id: string | null;
}

interface AttemptRow {
  message_id: string;
  recipient: string;
  attempt: number;
  at: Date;
  route: string;
  route_level: string | null;
  route_host: string | null;
  route_version: string | null;
  stage: string | null;
  smtp_code: number | null;
  reply: string | null;
  error_code: string | null;
  outcome: string;
  smtp_message_id: string | null;
}

export const DELIVERY_LOG_DEFAULT_LIMIT = 20;
export const DELIVERY_LOG_MAX_LIMIT = 100;
const DAY_MS = 86_400_000;
const PRUNE_BATCH = 5_000;

const COLUMNS = `m.id, m.partner_id, m.org_id, m.producer_type, m.producer_id, m.producer_name, m.template, m.to_addresses, m.cc_addresses,
  m.reply_to, m.subject, m.status, m.route_level, m.route_profile_id, m.route_version, m.created_at, m.created_at::text AS created_key,
  m.updated_at, m.final_message_id,
  EXISTS (SELECT 1 FROM email_jobs j WHERE j.email_message_id = m.id AND j.status = 'sending') AS in_flight`;

function encodeCursor(row: MessageRow): string {
  return Buffer.from(JSON.stringify([row.created_key, row.id])).toString('base64url');
}

/** A `next_cursor` as `encodeCursor` wrote it, or undefined for anything else. */
export function decodeDeliveryLogCursor(text: string): DeliveryLogCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && isUUID(value[1])) {
      if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:?\d{2})?$/.test(value[0])) return [value[0], value[1]];
    }
  } catch {
    // refused below
  }
  return undefined;
}

function view(row: MessageRow, attempts: AttemptRow[]): MessageView {
  return {
    id: row.id,
    partner_id: row.partner_id,
    org_id: row.org_id,
    producer: { type: row.producer_type, id: row.producer_id, name: row.producer_name },
    template: row.template,
    recipients: { to: row.to_addresses, cc: row.cc_addresses, reply_to: row.reply_to },
    subject: row.subject,
    status: row.in_flight && row.status !== 'sent' && row.status !== 'failed' ? 'sending' : row.status,
    route: { level: row.route_level, profile_id: row.route_profile_id, version: row.route_version },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    message_id: row.final_message_id,
    attempts: attempts.map((a) => ({
      recipient: a.recipient,
      attempt: a.attempt,
      at: a.at.toISOString(),
      route: { name: a.route, level: a.route_level, host: a.route_host, profile_version: a.route_version },
      stage: a.stage,
      smtp_code: a.smtp_code,
      reply: a.reply,
      error_code: a.error_code,
      outcome: a.outcome,
      message_id: a.smtp_message_id,
    })),
  };
}

@Injectable()
export class DeliveryLogService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryLogService.name);
  private readonly retentionDays: number;
  private readonly housekeeping = new PeriodicTask(
    'delivery-log-retention',
    3_600_000,
    () => this.prune().then(() => undefined),
    (name, err) => this.logger.error({ err, task: name }, 'pruning the delivery log failed'),
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.retentionDays = config.emailDelivery.logRetentionDays;
  }

  onApplicationBootstrap(): void {
    if (this.retentionDays > 0) this.housekeeping.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.housekeeping.stop();
  }

  async get(scope: DeliveryLogScope, id: string): Promise<MessageView> {
    const params: unknown[] = [id];
    const where = ['m.id = $1', this.scopeSql(scope, params)];
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM email_messages m WHERE ${where.join(' AND ')}`,
      params,
    )) as MessageRow[];
    if (!rows[0]) throw notFound('Email message');
    const attempts = await this.attemptsOf([rows[0].id]);
    return view(rows[0], attempts.get(rows[0].id) ?? []);
  }

  async list(scope: DeliveryLogScope, query: DeliveryLogQuery): Promise<DeliveryLogPage> {
    const params: unknown[] = [];
    const where = [this.scopeSql(scope, params)];
    const add = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.status === 'sending') {
      where.push(`(m.status = 'sending' OR (m.status IN ('queued', 'retrying') AND EXISTS (
        SELECT 1 FROM email_jobs j WHERE j.email_message_id = m.id AND j.status = 'sending')))`);
    } else if (query.status !== undefined) {
      where.push(`m.status = ${add(query.status)}`);
    }
    if (query.template !== undefined) where.push(`m.template = ${add(query.template)}`);
    if (query.to !== undefined) {
      const to = add(query.to.toLowerCase());
      // `@example.com`: every recipient at that domain (the @ keeps `@ample.com` from matching it).
      const match = query.to.startsWith('@') ? `right(lower(r.address), length(${to})) = ${to}` : `lower(r.address) = ${to}`;
      where.push(`EXISTS (SELECT 1 FROM unnest(m.to_addresses || m.cc_addresses) AS r(address) WHERE ${match})`);
    }
    if (query.timefrom !== undefined) where.push(`m.created_at >= ${add(query.timefrom)}`);
    if (query.timeto !== undefined) where.push(`m.created_at <= ${add(query.timeto)}`);
    if (query.cursor !== undefined) {
      where.push(`(m.created_at, m.id) < (${add(query.cursor[0])}::timestamptz, ${add(query.cursor[1])}::uuid)`);
    }
    const limit = Math.min(Math.max(query.limit ?? DELIVERY_LOG_DEFAULT_LIMIT, 1), DELIVERY_LOG_MAX_LIMIT);
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM email_messages m WHERE ${where.join(' AND ')} ORDER BY m.created_at DESC, m.id DESC LIMIT ${limit + 1}`,
      params,
    )) as MessageRow[];
    const page = rows.slice(0, limit);
    const attempts = await this.attemptsOf(page.map((r) => r.id));
    return {
      items: page.map((r) => view(r, attempts.get(r.id) ?? [])),
      next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
      limit,
    };
  }

  /** Deletes finished messages (and, by cascade, their attempts and jobs) older than the retention; returns how many. */
  async prune(now = new Date()): Promise<number> {
    if (this.retentionDays <= 0) return 0;
    const cutoff = new Date(now.getTime() - this.retentionDays * DAY_MS);
    let total = 0;
    for (;;) {
      const [, deleted] = (await this.dataSource.query(
        `DELETE FROM email_messages WHERE id IN (
           SELECT id FROM email_messages WHERE created_at < $1 AND status IN ('sent', 'failed') LIMIT ${PRUNE_BATCH})`,
        [cutoff],
      )) as [unknown[], number];
      total += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    if (total > 0) this.logger.log({ pruned: total, cutoff }, 'pruned the delivery log');
    return total;
  }

  private scopeSql(scope: DeliveryLogScope, params: unknown[]): string {
    if (scope.kind === 'all') return 'TRUE';
    if (scope.kind === 'partner-org') {
      params.push(scope.partnerId, scope.orgId);
      return `m.partner_id = $${params.length - 1} AND m.org_id = $${params.length}`;
    }
    params.push(scope.kind === 'org' ? scope.orgId : scope.partnerId);
    return scope.kind === 'org' ? `m.org_id = $${params.length}` : `m.partner_id = $${params.length}`;
  }

  private async attemptsOf(ids: string[]): Promise<Map<string, AttemptRow[]>> {
    const byMessage = new Map<string, AttemptRow[]>();
    if (ids.length === 0) return byMessage;
    const rows = (await this.dataSource.query(
      `SELECT message_id, recipient, attempt, at, route, route_level, route_host, route_version, stage, smtp_code, reply, error_code, outcome, smtp_message_id
       FROM email_attempts WHERE message_id = ANY($1::uuid[]) ORDER BY at, recipient, attempt`,
      [ids],
    )) as AttemptRow[];
    for (const row of rows) {
      const list = byMessage.get(row.message_id) ?? [];
      list.push(row);
      byMessage.set(row.message_id, list);
    }
    return byMessage;
  }
}
