import type { AuditDocument, AuditFilters, AuditPage } from '@mailstrata/audit';

/** One event as the API shows it; built field by field so nothing beyond the document reaches a caller. */
export function auditEventView(doc: AuditDocument) {
  return {
    event_id: doc.event_id,
    timestamp: doc['@timestamp'],
    category: doc.category,
    type: doc.type,
    outcome: doc.outcome,
    actor: { ...doc.actor },
    partner_id: doc.partner_id,
    org_id: doc.org_id,
    resource: doc.resource ? { ...doc.resource } : null,
    details: doc.details,
  };
}

export function auditPageView(page: AuditPage, filters: AuditFilters) {
  return {
    items: page.items.map(auditEventView),
    total: page.total,
    offset: filters.offset,
    limit: filters.limit,
    next_cursor: page.nextCursor,
  };
}
