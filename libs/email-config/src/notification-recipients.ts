/**
 * Who hears about a scope's email: the administrator, alerting and reporting addresses of a partner or
 * an organization (One Identity SPS's admin_address, alerting_address, reporting_address), each a short
 * list. They live in their own table, not in the SMTP profile: changing who is told is not a new
 * version of the route. The controller's come from EMAIL_CONTROLLER_*_ADDRESS. Writes take a per-scope
 * advisory lock, check the ETag precondition and commit with their audit event; the domain re-checks
 * every address (one line, one plain mailbox) whatever layer validated it first.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditWriter, defineAuditEvent } from '@mailstrata/audit';
import { CommonErrors, fieldError, FieldError, validationFailed } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { Actor } from '@mailstrata/identity';
import { isPlainAddress } from '@mailstrata/mailer';
import { DataSource, EntityManager } from 'typeorm';
import { EmailConfigErrors } from './errors';
import { ConfigScope } from './profile.model';

export const NOTIFICATION_ROLES = ['admin', 'alerting', 'reporting'] as const;
export type NotificationRole = (typeof NOTIFICATION_ROLES)[number];
export const MAX_NOTIFICATION_ADDRESSES = 5;

export type NotificationAddresses = Record<NotificationRole, string[]>;

export interface StoredNotificationRecipients extends NotificationAddresses {
  etag: string;
  version: number;
  updatedAt: Date;
  updatedByEmail: string | null;
}

/** A tenant scope (org or partner) or the controller's (partnerId null). */
export interface NotificationScope {
  partnerId: string | null;
  orgId: string | null;
}

export const NotificationRecipientsUpdated = defineAuditEvent('email.notifications.updated', [
  'scope',
  'version',
  'changed_fields',
  'counts',
]);
export const NotificationRecipientsDeleted = defineAuditEvent('email.notifications.deleted', ['scope', 'version']);

const COLUMNS: Record<NotificationRole, string> = {
  admin: 'admin_addresses',
  alerting: 'alerting_addresses',
  reporting: 'reporting_addresses',
};
const FIELD: Record<NotificationRole, string> = { admin: 'admin_address', alerting: 'alerting_address', reporting: 'reporting_address' };

interface Row {
  id: string;
  version: number;
  admin_addresses: string[];
  alerting_addresses: string[];
  reporting_addresses: string[];
  updated_at: Date;
  updated_by_email: string | null;
}

const etagOf = (row: Pick<Row, 'id' | 'version'>) => `"${row.id}.${row.version}"`;

function storedOf(row: Row): StoredNotificationRecipients {
  return {
    etag: etagOf(row),
    version: row.version,
    admin: row.admin_addresses,
    alerting: row.alerting_addresses,
    reporting: row.reporting_addresses,
    updatedAt: row.updated_at,
    updatedByEmail: row.updated_by_email,
  };
}

/** Every rule the addresses break, by request field (`admin_address[0]`…). Empty: storable. */
export function notificationAddressErrors(input: Partial<Record<NotificationRole, unknown>>): FieldError[] {
  const errors: FieldError[] = [];
  for (const role of NOTIFICATION_ROLES) {
    const list = input[role];
    if (list === undefined) continue;
    const field = FIELD[role];
    if (!Array.isArray(list)) {
      errors.push(fieldError(field, 'isArray', 'must be an address or a list of addresses'));
      continue;
    }
    if (list.length > MAX_NOTIFICATION_ADDRESSES) {
      errors.push(fieldError(field, 'arrayMaxSize', `must name at most ${MAX_NOTIFICATION_ADDRESSES} addresses`));
    }
    list.forEach((a: unknown, i) => {
      if (typeof a !== 'string') errors.push(fieldError(`${field}[${i}]`, 'isString', 'must be a string'));
      else if (/[\r\n]/.test(a)) errors.push(fieldError(`${field}[${i}]`, 'no_line_breaks', 'must not contain CR or LF characters'));
      else if (!isPlainAddress(a)) errors.push(fieldError(`${field}[${i}]`, 'isEmail', 'must be a single email address'));
    });
  }
  return errors;
}

const unique = (list: string[]) => [...new Map(list.map((a) => [a.toLowerCase(), a])).values()];

@Injectable()
export class NotificationRecipientsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditWriter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The scope's own recipients. Throws 404 NOTIFICATION_RECIPIENTS_NOT_FOUND. */
  async get(scope: ConfigScope): Promise<StoredNotificationRecipients> {
    const row = await this.find(this.dataSource.manager, scope);
    if (!row) throw EmailConfigErrors.NOTIFICATION_RECIPIENTS_NOT_FOUND();
    return storedOf(row);
  }

  /** PUT: sets all three lists at once (an absent list is empty). */
  async put(
    actor: Actor,
    scope: ConfigScope,
    input: Partial<NotificationAddresses>,
    preconditions: { ifMatch?: string } = {},
  ): Promise<{ recipients: StoredNotificationRecipients; created: boolean }> {
    const errors = notificationAddressErrors(input);
    if (errors.length > 0) throw validationFailed(errors);
    const next: NotificationAddresses = {
      admin: unique(input.admin ?? []),
      alerting: unique(input.alerting ?? []),
      reporting: unique(input.reporting ?? []),
    };
    return this.write(scope, async (manager, existing) => {
      checkIfMatch(existing, preconditions.ifMatch);
      const changed = NOTIFICATION_ROLES.filter(
        (r) => JSON.stringify(existing ? (existing[COLUMNS[r] as keyof Row] as string[]) : []) !== JSON.stringify(next[r]),
      );
      if (existing && changed.length === 0) return { recipients: storedOf(existing), created: false };
      const [row] = (await manager.query(
        `INSERT INTO email_notification_recipients (id, partner_id, org_id, admin_addresses, alerting_addresses, reporting_addresses, version, updated_at, updated_by_id, updated_by_email)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8, $9)
         ON CONFLICT (id) DO UPDATE SET admin_addresses = $4, alerting_addresses = $5, reporting_addresses = $6, version = $7,
           updated_at = now(), updated_by_id = $8, updated_by_email = $9
         RETURNING id, version, admin_addresses, alerting_addresses, reporting_addresses, updated_at, updated_by_email`,
        [
          existing?.id ?? randomUUID(),
          scope.partnerId,
          scope.orgId,
          next.admin,
          next.alerting,
          next.reporting,
          (existing?.version ?? 0) + 1,
          actor.type === 'service_account' ? null : (actor.id ?? null),
          actor.email ?? null,
        ],
      )) as Row[];
      await this.audit.record(manager, NotificationRecipientsUpdated, {
        outcome: 'success',
        actor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'email_notification_recipients', id: row!.id },
        details: {
          scope: scope.level,
          version: row!.version,
          changed_fields: changed.map((r) => FIELD[r]),
          counts: Object.fromEntries(NOTIFICATION_ROLES.map((r) => [FIELD[r], next[r].length])),
        },
      });
      return { recipients: storedOf(row!), created: existing === null };
    });
  }

  /** DELETE: the scope's recipients are gone; nobody of this scope is told any more. */
  async delete(actor: Actor, scope: ConfigScope, preconditions: { ifMatch?: string } = {}): Promise<void> {
    await this.write(scope, async (manager, existing) => {
      if (!existing) throw EmailConfigErrors.NOTIFICATION_RECIPIENTS_NOT_FOUND();
      checkIfMatch(existing, preconditions.ifMatch);
      await manager.query(`DELETE FROM email_notification_recipients WHERE id = $1`, [existing.id]);
      await this.audit.record(manager, NotificationRecipientsDeleted, {
        outcome: 'success',
        actor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'email_notification_recipients', id: existing.id },
        details: { scope: scope.level, version: existing.version },
      });
    });
  }

  /** The addresses of one role for a scope (the controller's from the environment); empty when none. */
  async addressesFor(
    scope: NotificationScope,
    role: NotificationRole,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string[]> {
    if (scope.partnerId === null) return this.config.emailNotifications.controller[role];
    const row = await this.find(manager, { level: scope.orgId ? 'org' : 'partner', partnerId: scope.partnerId, orgId: scope.orgId });
    return row ? (row[COLUMNS[role] as keyof Row] as string[]) : [];
  }

  /** Every tenant scope with at least one address of `role` (for the periodic reports). */
  async scopesWith(role: NotificationRole): Promise<(NotificationScope & { addresses: string[] })[]> {
    const rows = (await this.dataSource.query(
      `SELECT partner_id, org_id, ${COLUMNS[role]} AS addresses FROM email_notification_recipients
        WHERE cardinality(${COLUMNS[role]}) > 0 ORDER BY partner_id, org_id NULLS FIRST`,
    )) as { partner_id: string; org_id: string | null; addresses: string[] }[];
    return rows.map((r) => ({ partnerId: r.partner_id, orgId: r.org_id, addresses: r.addresses }));
  }

  private async find(manager: EntityManager, scope: ConfigScope): Promise<Row | null> {
    const rows = (await manager.query(
      scope.orgId
        ? `SELECT * FROM email_notification_recipients WHERE org_id = $1`
        : `SELECT * FROM email_notification_recipients WHERE partner_id = $1 AND org_id IS NULL`,
      [scope.orgId ?? scope.partnerId],
    )) as Row[];
    return rows[0] ?? null;
  }

  private write<T>(scope: ConfigScope, work: (manager: EntityManager, existing: Row | null) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `notification_recipients:${scope.orgId ? `org:${scope.orgId}` : `partner:${scope.partnerId}`}`,
      ]);
      return work(manager, await this.find(manager, scope));
    });
  }
}

/** RFC 9110 §13.1.1: `*` needs a current row, a tag list needs the current tag among them. */
function checkIfMatch(current: Row | null, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  const list = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  const ok = current !== null && (list.includes('*') || list.includes(etagOf(current)));
  if (!ok) {
    throw CommonErrors.PRECONDITION_FAILED(
      current
        ? 'The notification recipients have changed since you read them (If-Match does not match their ETag).'
        : 'There are no notification recipients to match If-Match.',
    );
  }
}
