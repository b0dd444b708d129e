import { fieldError } from '@mailstrata/common';
import { isUUID } from 'class-validator';
import { AuditErrors } from '../errors';
import type { AuditDocument } from '../audit-document';

/** Which events a caller may see: one org, one partner (its own events and all its orgs'), or all. */
export type AuditScope = { kind: 'org'; orgId: string } | { kind: 'partner'; partnerId: string; orgId?: string } | { kind: 'all' };

/** Keyset position: the last item's time (epoch ms) and id; the next page holds what sorts after it. */
export interface AuditCursor {
  t: number;
  id: string;
}

/** A validated search; times are already resolved so every store answers for the same instant. */
export interface AuditSearch {
  scope: AuditScope;
  from?: Date;
  to?: Date;
  categories?: string[];
  types?: string[];
  outcomes?: string[];
  offset: number;
  limit: number;
  cursor?: AuditCursor;
}

export interface AuditPage {
  items: AuditDocument[];
  /** Every matching event, independent of offset, limit and cursor. */
  total: number;
  /** Pass as `cursor` to read the next page; null when this page is the last. */
  nextCursor: string | null;
}

/**
 * Port for reading audit events. Both adapters (Postgres, Elasticsearch) must answer alike: newest
 * first by (timestamp, event id), one item per event id, the same total.
 */
export interface AuditQueryStore {
  search(search: AuditSearch): Promise<AuditPage>;
}

export const AUDIT_QUERY_STORE = Symbol('AuditQueryStore');

export function encodeCursor(item: Pick<AuditDocument, '@timestamp' | 'event_id'>): string {
  return Buffer.from(JSON.stringify([new Date(item['@timestamp']).getTime(), item.event_id])).toString('base64url');
}

export function decodeCursor(text: string, field: string): AuditCursor {
  const bad = () =>
    AuditErrors.INVALID_CURSOR(undefined, { errors: [fieldError(field, 'isCursor', 'must be a next_cursor value from a previous page')] });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(value) || value.length !== 2) throw bad();
  const [t, id] = value as unknown[];
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || typeof id !== 'string' || !isUUID(id)) throw bad();
  return { t, id };
}

/** Defensive: a page never shows one event twice, whatever the store returned. */
export function dedupeByEventId(items: AuditDocument[]): AuditDocument[] {
  const seen = new Set<string>();
  return items.filter((item) => (seen.has(item.event_id) ? false : (seen.add(item.event_id), true)));
}

export function nextCursorOf(items: AuditDocument[], limit: number): string | null {
  const last = items[items.length - 1];
  return items.length === limit && last ? encodeCursor(last) : null;
}
