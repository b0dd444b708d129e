import { DataSource } from 'typeorm';
import { AUDIT_EVENT_COLUMNS, AuditEventRow, toAuditDocument } from '../audit-document';
import { AuditPage, AuditQueryStore, AuditSearch, dedupeByEventId, nextCursorOf } from './audit-query';

/** Postgres adapter: the record itself. Keyset paging on (occurred_at, id), served by audit_events_time_idx. */
export class PostgresAuditQueryStore implements AuditQueryStore {
  constructor(private readonly dataSource: DataSource) {}

  async search(search: AuditSearch): Promise<AuditPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const { scope } = search;
    if (scope.kind === 'org') where.push(`org_id = ${p(scope.orgId)}`);
    if (scope.kind === 'partner') {
      where.push(`partner_id = ${p(scope.partnerId)}`);
      if (scope.orgId) where.push(`org_id = ${p(scope.orgId)}`);
    }
    if (search.from) where.push(`occurred_at >= ${p(search.from)}`);
    if (search.to) where.push(`occurred_at <= ${p(search.to)}`);
    if (search.categories) where.push(`category = ANY(${p(search.categories)}::text[])`);
    if (search.types) where.push(`type = ANY(${p(search.types)}::text[])`);
    if (search.outcomes) where.push(`outcome = ANY(${p(search.outcomes)}::text[])`);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';

    const countParams = [...params];
    const page = [...where];
    if (search.cursor) page.push(`(occurred_at, id) < (${p(new Date(search.cursor.t))}, ${p(search.cursor.id)}::uuid)`);
    const pageFilter = page.length > 0 ? `WHERE ${page.join(' AND ')}` : '';
    const limit = p(search.limit);
    const offset = p(search.offset);

    const [rows, counted] = await Promise.all([
      this.dataSource.query(
        `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events ${pageFilter}
          ORDER BY occurred_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}`,
        params,
      ) as Promise<AuditEventRow[]>,
      this.dataSource.query(`SELECT count(*)::int AS total FROM audit_events ${filter}`, countParams) as Promise<{ total: number }[]>,
    ]);
    const items = dedupeByEventId(rows.map(toAuditDocument));
    return { items, total: Number(counted[0]?.total ?? 0), nextCursor: nextCursorOf(items, search.limit) };
  }
}
