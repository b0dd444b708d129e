/**
 * Rows of email_templates and email_branding, found by intent: a scope's own row, and the row in
 * effect for a recipient's scope (org while its SMTP switch is on, else partner) in one indexed query.
 */
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Branding } from './branding';
import { TemplateKind, TemplateSource } from './kinds';

/** The scope a template or branding row belongs to: a partner, or one of its organizations. */
export interface TemplateScope {
  level: 'partner' | 'org';
  partnerId: string;
  orgId: string | null;
}

/** Whose email is being rendered: an org (and its partner), a partner, or neither (controller users). */
export interface RecipientScope {
  partnerId: string | null;
  orgId: string | null;
}

export type OverrideLevel = 'partner' | 'org';

interface Stamp {
  id: string;
  level: OverrideLevel;
  version: number;
  updatedAt: Date;
  updatedByEmail: string | null;
}

export interface StoredTemplate extends Stamp {
  kind: TemplateKind;
  source: TemplateSource;
}

export interface StoredBranding extends Stamp {
  branding: Branding;
}

interface TemplateRow {
  id: string;
  org_id: string | null;
  kind: TemplateKind;
  subject: string;
  text_body: string;
  html_body: string | null;
  version: number;
  updated_at: Date;
  updated_by_email: string | null;
}

interface BrandingRow {
  id: string;
  org_id: string | null;
  product_name: string | null;
  logo_url: string | null;
  support_email: string | null;
  footer: string | null;
  version: number;
  updated_at: Date;
  updated_by_email: string | null;
}

/** TypeORM answers an UPDATE … RETURNING as [rows, count] and an INSERT … RETURNING as rows. */
function returned<T>(result: T[] | [T[], number]): T {
  const rows = Array.isArray(result[0]) ? (result[0] as T[]) : (result as T[]);
  return rows[0]!;
}

const stampOf = (row: TemplateRow | BrandingRow): Stamp => ({
  id: row.id,
  level: row.org_id === null ? 'partner' : 'org',
  version: row.version,
  updatedAt: row.updated_at,
  updatedByEmail: row.updated_by_email,
});

const templateOf = (row: TemplateRow): StoredTemplate => ({
  ...stampOf(row),
  kind: row.kind,
  source: { subject: row.subject, text: row.text_body, html: row.html_body },
});

const brandingOf = (row: BrandingRow): StoredBranding => ({
  ...stampOf(row),
  branding: { productName: row.product_name, logoUrl: row.logo_url, supportEmail: row.support_email, footer: row.footer },
});

// Own rows of a scope: the org's, or the partner's own (org_id IS NULL).
const OWN = `(CASE WHEN $2::uuid IS NULL THEN partner_id = $1 AND org_id IS NULL ELSE org_id = $2 END)`;
// Rows in effect for a recipient: the partner's, and the org's while the org's SMTP switch is on.
const IN_EFFECT = `(
  (org_id IS NULL AND partner_id = COALESCE($1::uuid, (SELECT o.partner_id FROM organizations o WHERE o.id = $2::uuid)))
  OR (org_id = $2::uuid AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = $2::uuid AND o.smtp_override_enabled)))`;

@Injectable()
export class TemplateRepository {
  async findOwn(manager: EntityManager, scope: TemplateScope, kind: TemplateKind): Promise<StoredTemplate | null> {
    const rows: TemplateRow[] = await manager.query(`SELECT * FROM email_templates WHERE ${OWN} AND kind = $3`, [
      scope.partnerId,
      scope.orgId,
      kind,
    ]);
    return rows[0] ? templateOf(rows[0]) : null;
  }

  async listOwn(manager: EntityManager, scope: TemplateScope): Promise<StoredTemplate[]> {
    const rows: TemplateRow[] = await manager.query(`SELECT * FROM email_templates WHERE ${OWN}`, [scope.partnerId, scope.orgId]);
    return rows.map(templateOf);
  }

  /** The override in effect for the recipient's scope, org before partner; null: the built-in applies. */
  async findInEffect(manager: EntityManager, scope: RecipientScope, kind: TemplateKind): Promise<StoredTemplate | null> {
    if (scope.partnerId === null && scope.orgId === null) return null;
    const rows: TemplateRow[] = await manager.query(
      `SELECT * FROM email_templates WHERE kind = $3 AND ${IN_EFFECT} ORDER BY (org_id IS NULL) LIMIT 1`,
      [scope.partnerId, scope.orgId, kind],
    );
    return rows[0] ? templateOf(rows[0]) : null;
  }

  /** Per kind, the level whose override is in effect for the recipient's scope. */
  async levelsInEffect(manager: EntityManager, scope: RecipientScope): Promise<Map<string, OverrideLevel>> {
    const rows: Array<{ kind: string; org_id: string | null }> = await manager.query(
      `SELECT DISTINCT ON (kind) kind, org_id FROM email_templates WHERE ${IN_EFFECT} ORDER BY kind, (org_id IS NULL)`,
      [scope.partnerId, scope.orgId],
    );
    return new Map(rows.map((r) => [r.kind, r.org_id === null ? 'partner' : 'org']));
  }

  async saveTemplate(
    manager: EntityManager,
    scope: TemplateScope,
    kind: TemplateKind,
    source: TemplateSource,
    existing: StoredTemplate | null,
    by: { id: string | null; email: string | null },
    id: string,
  ): Promise<StoredTemplate> {
    const result: TemplateRow[] | [TemplateRow[], number] = existing
      ? await manager.query(
          `UPDATE email_templates SET subject = $2, text_body = $3, html_body = $4, version = version + 1, updated_at = now(),
                  updated_by_id = $5, updated_by_email = $6 WHERE id = $1 RETURNING *`,
          [existing.id, source.subject, source.text, source.html, by.id, by.email],
        )
      : await manager.query(
          `INSERT INTO email_templates (id, partner_id, org_id, kind, subject, text_body, html_body, version, updated_by_id, updated_by_email)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9) RETURNING *`,
          [id, scope.partnerId, scope.orgId, kind, source.subject, source.text, source.html, by.id, by.email],
        );
    return templateOf(returned(result));
  }

  async removeTemplate(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM email_templates WHERE id = $1`, [id]);
  }

  async findOwnBranding(manager: EntityManager, scope: TemplateScope): Promise<StoredBranding | null> {
    const rows: BrandingRow[] = await manager.query(`SELECT * FROM email_branding WHERE ${OWN}`, [scope.partnerId, scope.orgId]);
    return rows[0] ? brandingOf(rows[0]) : null;
  }

  async findBrandingInEffect(manager: EntityManager, scope: RecipientScope): Promise<StoredBranding | null> {
    if (scope.partnerId === null && scope.orgId === null) return null;
    const rows: BrandingRow[] = await manager.query(`SELECT * FROM email_branding WHERE ${IN_EFFECT} ORDER BY (org_id IS NULL) LIMIT 1`, [
      scope.partnerId,
      scope.orgId,
    ]);
    return rows[0] ? brandingOf(rows[0]) : null;
  }

  async saveBranding(
    manager: EntityManager,
    scope: TemplateScope,
    b: Branding,
    existing: StoredBranding | null,
    by: { id: string | null; email: string | null },
    id: string,
  ): Promise<StoredBranding> {
    const result: BrandingRow[] | [BrandingRow[], number] = existing
      ? await manager.query(
          `UPDATE email_branding SET product_name = $2, logo_url = $3, support_email = $4, footer = $5, version = version + 1,
                  updated_at = now(), updated_by_id = $6, updated_by_email = $7 WHERE id = $1 RETURNING *`,
          [existing.id, b.productName, b.logoUrl, b.supportEmail, b.footer, by.id, by.email],
        )
      : await manager.query(
          `INSERT INTO email_branding (id, partner_id, org_id, product_name, logo_url, support_email, footer, version, updated_by_id, updated_by_email)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9) RETURNING *`,
          [id, scope.partnerId, scope.orgId, b.productName, b.logoUrl, b.supportEmail, b.footer, by.id, by.email],
        );
    return brandingOf(returned(result));
  }

  async removeBranding(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM email_branding WHERE id = $1`, [id]);
  }

  /** The org's SMTP switch, read in the caller's transaction. */
  async orgOverrideEnabled(manager: EntityManager, orgId: string): Promise<boolean> {
    const rows: Array<{ smtp_override_enabled: boolean }> = await manager.query(
      `SELECT smtp_override_enabled FROM organizations WHERE id = $1`,
      [orgId],
    );
    return rows[0]?.smtp_override_enabled ?? false;
  }
}
