/**
 * The mail catcher's mailbox in Postgres: the last `keep` messages, newest first. Plain SQL on one
 * table; it knows nothing of tenants (the mailbox is the controller's, for development only).
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

export interface CaughtHeader {
  name: string;
  value: string;
}

export interface CaughtMessageInput {
  envelopeFrom: string | null;
  envelopeTo: string[];
  from: string | null;
  to: string | null;
  subject: string | null;
  headers: CaughtHeader[];
  text: string | null;
  html: string | null;
  raw: string;
}

export interface CaughtMessageSummary {
  id: string;
  receivedAt: Date;
  from: string | null;
  to: string | null;
  subject: string | null;
  sizeBytes: number;
  hasHtml: boolean;
}

export interface CaughtMessage extends CaughtMessageSummary {
  envelopeFrom: string | null;
  envelopeTo: string[];
  headers: CaughtHeader[];
  text: string | null;
  html: string | null;
}

interface Row {
  id: string;
  received_at: Date;
  from_header: string | null;
  to_header: string | null;
  subject: string | null;
  size_bytes: number;
  has_html: boolean;
  envelope_from?: string | null;
  envelope_to?: string[];
  headers?: CaughtHeader[];
  text_body?: string | null;
  html_body?: string | null;
}

const SUMMARY = `id, received_at, from_header, to_header, subject, size_bytes, html_body IS NOT NULL AS has_html`;

const summaryOf = (r: Row): CaughtMessageSummary => ({
  id: r.id,
  receivedAt: r.received_at,
  from: r.from_header,
  to: r.to_header,
  subject: r.subject,
  sizeBytes: r.size_bytes,
  hasHtml: r.has_html,
});

export class Mailbox {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keep: number,
  ) {}

  /** Stores a message and trims the mailbox to the newest `keep`, in one transaction. */
  async save(message: CaughtMessageInput): Promise<string> {
    const id = randomUUID();
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO mail_catcher_messages
           (id, envelope_from, envelope_to, from_header, to_header, subject, headers, text_body, html_body, size_bytes, raw)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          id,
          message.envelopeFrom,
          message.envelopeTo,
          message.from,
          message.to,
          message.subject,
          JSON.stringify(message.headers),
          message.text,
          message.html,
          Buffer.byteLength(message.raw),
          message.raw,
        ],
      );
      await manager.query(
        `DELETE FROM mail_catcher_messages WHERE seq <= (SELECT seq FROM mail_catcher_messages ORDER BY seq DESC OFFSET $1 LIMIT 1)`,
        [this.keep],
      );
    });
    return id;
  }

  async list(page: { limit: number; offset: number }): Promise<{ items: CaughtMessageSummary[]; total: number }> {
    const rows: Row[] = await this.dataSource.query(`SELECT ${SUMMARY} FROM mail_catcher_messages ORDER BY seq DESC LIMIT $1 OFFSET $2`, [
      page.limit,
      page.offset,
    ]);
    const [{ total }] = (await this.dataSource.query(`SELECT count(*)::int AS total FROM mail_catcher_messages`)) as { total: number }[];
    return { items: rows.map(summaryOf), total };
  }

  async get(id: string): Promise<CaughtMessage | null> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${SUMMARY}, envelope_from, envelope_to, headers, text_body, html_body FROM mail_catcher_messages WHERE id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      ...summaryOf(r),
      envelopeFrom: r.envelope_from ?? null,
      envelopeTo: r.envelope_to ?? [],
      headers: r.headers ?? [],
      text: r.text_body ?? null,
      html: r.html_body ?? null,
    };
  }

  async clear(): Promise<void> {
    await this.dataSource.query(`DELETE FROM mail_catcher_messages`);
  }
}
