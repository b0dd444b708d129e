import type { AuditDocument } from '../audit-document';

/**
 * Where the relay delivers events. The domain knows only this port; the Elasticsearch adapter sits
 * beside it. An adapter must be idempotent by `event_id`: delivering an event twice leaves one copy.
 */
export interface AuditSink {
  /** One-time setup (templates, retention policy). Resolves when done or when it lacks the rights. */
  prepare(): Promise<void>;
  /**
   * Delivers a batch and reports each event's fate, in input order. Throws `AuditSinkUnavailable`
   * when the whole request failed (connection, timeout, 429/5xx or auth on the request itself).
   */
  deliver(documents: AuditDocument[]): Promise<AuditItemOutcome[]>;
}

export const AUDIT_SINK = Symbol('AuditSink');

export type AuditItemOutcome = { status: 'delivered' } | { status: 'retry'; reason: string } | { status: 'park'; reason: string };

/** The sink could not be reached or refused the request as a whole: nothing is known per event. */
export class AuditSinkUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuditSinkUnavailable';
  }
}
