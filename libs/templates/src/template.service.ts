/**
 * Managing a scope's templates and branding: list (which level supplies each kind), read, replace
 * with ETag preconditions, delete (the level above applies at once), and preview without sending.
 * Every write is one transaction that takes a per-scope lock, checks the precondition, writes the row
 * and its audit event together. A template that does not parse, is too large or names a variable its
 * kind does not take is refused before anything is written, naming the part, line and column.
 *
 * Organization rule: an org's templates and branding apply only while the org's SMTP switch
 * (smtp_override_enabled) is on, and org users may change them only then. While the org borrows its
 * partner's route, its email leaves under the partner's server and name, so it carries the partner's
 * words; partner and controller admins may prepare an org's templates before switching it on, as with
 * the org's SMTP profile.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditActor, AuditWriter } from '@mailstrata/audit';
import { CommonErrors, fieldError, FieldError } from '@mailstrata/common';
import { DataSource, EntityManager } from 'typeorm';
import { Branding, brandScopeOf, checkBranding, NO_BRANDING } from './branding';
import { RenderedEmail, TEMPLATE_PARTS, TemplateEngine, TemplateIssue, TemplateRenderFailure } from './engine';
import { TemplatesErrors } from './errors';
import { KIND_DEFINITIONS, TEMPLATE_KINDS, TemplateKind, TemplateSource } from './kinds';
import { checkTemplateData, templateScopeOf } from './template-data';
import { assertTemplateKind, TemplateSourceLevel } from './template-renderer';
import { OverrideLevel, StoredBranding, StoredTemplate, TemplateRepository, TemplateScope } from './template.repository';
import { EmailBrandingDeleted, EmailBrandingUpdated, EmailTemplateDeleted, EmailTemplateUpdated } from './templates.events';

/** Who writes: the audit actor, and whether they are an organization user (bound by the org rule). */
export interface TemplateEditor extends AuditActor {
  orgUser: boolean;
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface KindSummary {
  kind: TemplateKind;
  /** The level whose template applies to this scope's email now. */
  source: TemplateSourceLevel;
  /** This scope's own override, if it has one (for an org, it may exist while not in effect). */
  own: StoredTemplate | null;
}

export interface TemplateView {
  kind: TemplateKind;
  source: TemplateSourceLevel;
  /** The scope's own override when it has one, else the template in effect from above. */
  template: TemplateSource;
  own: StoredTemplate | null;
  /** Whether the scope's own override applies now (false for an org whose SMTP switch is off). */
  inEffect: boolean;
}

export interface BrandingView {
  source: 'none' | OverrideLevel;
  branding: Branding;
  own: StoredBranding | null;
  inEffect: boolean;
}

export interface PreviewInput {
  data?: unknown;
  /** An unsaved template to try instead of the one in effect. */
  template?: TemplateSource;
  /** Unsaved branding to try instead of the branding in effect. */
  branding?: Branding;
}

export interface PreviewResult extends RenderedEmail {
  kind: TemplateKind;
  source: TemplateSourceLevel | 'candidate';
  sample: boolean;
}

export function etagOf(stamp: { id: string; version: number }): string {
  return `"${stamp.id}.${stamp.version}"`;
}

/**
 * The ETag of a representation that shows more than the row (what is in effect, from other levels): the
 * row's tag with a digest of the rest, so a conditional GET never answers 304 over a change elsewhere.
 * As a precondition it still stands for the row's version alone.
 */
export function representationEtagOf(stamp: { id: string; version: number }, shown: unknown): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(shown ?? null))
    .digest('base64url')
    .slice(0, 12);
  return `"${stamp.id}.${stamp.version}.${digest}"`;
}

const rowTagOf = (tag: string) => tag.replace(/^"([^".]+\.\d+)\.[A-Za-z0-9_-]+"$/, '"$1"');

/** RFC 9110 §13.1.1–2 over the scope's own row. */
function checkPreconditions(current: { id: string; version: number } | null, p: Preconditions, what: string): void {
  const tags = (header: string) => header.split(',').map((t) => rowTagOf(t.trim().replace(/^W\//, '')));
  const etag = current ? etagOf(current) : null;
  if (p.ifMatch !== undefined) {
    const list = tags(p.ifMatch);
    if (etag === null || !(list.includes('*') || list.includes(etag))) {
      throw CommonErrors.PRECONDITION_FAILED(
        etag ? `The ${what} has changed since you read it (If-Match does not match its ETag).` : `There is no ${what} to match If-Match.`,
      );
    }
  }
  if (p.ifNoneMatch !== undefined && etag !== null) {
    const list = tags(p.ifNoneMatch);
    if (list.includes('*') || list.includes(etag))
      throw CommonErrors.PRECONDITION_FAILED(`This scope already has its own ${what} (If-None-Match).`);
  }
}

function issuesToErrors(issues: TemplateIssue[], path: string): FieldError[] {
  return issues.map((i) =>
    fieldError(`${path}${i.field}`, i.rule, i.line !== null ? `line ${i.line}, column ${i.column}: ${i.message}` : i.message),
  );
}

const bytes = (s: string | null) => (s === null ? 0 : Buffer.byteLength(s, 'utf8'));

@Injectable()
export class TemplateService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: TemplateRepository,
    private readonly engine: TemplateEngine,
    private readonly audit: AuditWriter,
  ) {}

  async list(scope: TemplateScope): Promise<{ kinds: KindSummary[]; branding: BrandingView }> {
    const manager = this.dataSource.manager;
    const [levels, own, branding] = [
      await this.repository.levelsInEffect(manager, scope),
      await this.repository.listOwn(manager, scope),
      await this.branding(scope),
    ];
    const kinds = TEMPLATE_KINDS.map((kind) => ({
      kind,
      source: levels.get(kind) ?? ('built-in' as const),
      own: own.find((t) => t.kind === kind) ?? null,
    }));
    return { kinds, branding };
  }

  async get(scope: TemplateScope, rawKind: string): Promise<TemplateView> {
    const kind = assertTemplateKind(rawKind);
    const manager = this.dataSource.manager;
    const own = await this.repository.findOwn(manager, scope, kind);
    const effective = await this.repository.findInEffect(manager, scope, kind);
    const source: TemplateSourceLevel = effective?.level ?? 'built-in';
    return {
      kind,
      source,
      template: (own ?? effective)?.source ?? KIND_DEFINITIONS[kind].builtIn,
      own,
      inEffect: own !== null && effective?.id === own.id,
    };
  }

  /** Creates or replaces the scope's override of `kind` (created = true when it had none). */
  async put(
    editor: TemplateEditor,
    scope: TemplateScope,
    rawKind: string,
    source: TemplateSource,
    preconditions: Preconditions = {},
  ): Promise<{ template: StoredTemplate; created: boolean }> {
    const kind = assertTemplateKind(rawKind);
    const issues = this.engine.check(kind, source);
    if (issues.length > 0) {
      throw TemplatesErrors.TEMPLATE_INVALID(undefined, {
        errors: issuesToErrors(issues, ''),
        extensions: { template_errors: issues },
      });
    }
    return this.write(editor, scope, async (manager) => {
      const existing = await this.repository.findOwn(manager, scope, kind);
      checkPreconditions(existing, preconditions, `${kind} template`);
      const template = await this.repository.saveTemplate(manager, scope, kind, source, existing, by(editor), randomUUID());
      const changed = TEMPLATE_PARTS.filter((p) => existing === null || existing.source[p] !== source[p]);
      await this.audit.record(manager, EmailTemplateUpdated, {
        outcome: 'success',
        actor: editor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'email_template', id: template.id },
        details: {
          kind,
          level: scope.level,
          version: template.version,
          created: existing === null,
          changed_fields: changed,
          subject_bytes: bytes(source.subject),
          text_bytes: bytes(source.text),
          html_bytes: bytes(source.html),
        },
      });
      return { template, created: existing === null };
    });
  }

  async delete(editor: TemplateEditor, scope: TemplateScope, rawKind: string, preconditions: Preconditions = {}): Promise<void> {
    const kind = assertTemplateKind(rawKind);
    await this.write(editor, scope, async (manager) => {
      const existing = await this.repository.findOwn(manager, scope, kind);
      if (!existing) throw TemplatesErrors.TEMPLATE_NOT_FOUND(`This ${scope.level} has no ${kind} template of its own.`);
      checkPreconditions(existing, preconditions, `${kind} template`);
      await this.repository.removeTemplate(manager, existing.id);
      await this.audit.record(manager, EmailTemplateDeleted, {
        outcome: 'success',
        actor: editor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'email_template', id: existing.id },
        details: { kind, level: scope.level, version: existing.version },
      });
    });
  }

  async branding(scope: TemplateScope): Promise<BrandingView> {
    const manager = this.dataSource.manager;
    const own = await this.repository.findOwnBranding(manager, scope);
    const effective = await this.repository.findBrandingInEffect(manager, scope);
    return {
      source: effective?.level ?? 'none',
      branding: (own ?? effective)?.branding ?? NO_BRANDING,
      own,
      inEffect: own !== null && effective?.id === own.id,
    };
  }

  async putBranding(
    editor: TemplateEditor,
    scope: TemplateScope,
    branding: Branding,
    preconditions: Preconditions = {},
  ): Promise<{ branding: StoredBranding; created: boolean }> {
    const errors = checkBranding(branding);
    if (errors.length > 0) throw TemplatesErrors.BRANDING_INVALID(undefined, { errors });
    return this.write(editor, scope, async (manager) => {
      const existing = await this.repository.findOwnBranding(manager, scope);
      checkPreconditions(existing, preconditions, 'branding');
      const saved = await this.repository.saveBranding(manager, scope, branding, existing, by(editor), randomUUID());
      const fields = ['productName', 'logoUrl', 'supportEmail', 'footer'] as const;
      const names = { productName: 'product_name', logoUrl: 'logo_url', supportEmail: 'support_email', footer: 'footer' };
      await this.audit.record(manager, EmailBrandingUpdated, {
        outcome: 'success',
        actor: editor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'email_branding', id: saved.id },
        details: {
          level: scope.level,
          version: saved.version,
          created: existing === null,
          changed_fields: fields.filter((f) => (existing?.branding[f] ?? null) !== branding[f]).map((f) => names[f]),
        },
      });
      return { branding: saved, created: existing === null };
    });
  }

  async deleteBranding(editor: TemplateEditor, scope: TemplateScope, preconditions: Preconditions = {}): Promise<void> {
    await this.write(editor, scope, async (manager) => {
      const existing = await this.repository.findOwnBranding(manager, scope);
      if (!existing) throw TemplatesErrors.BRANDING_NOT_FOUND(`This ${scope.level} has no branding of its own.`);
      checkPreconditions(existing, preconditions, 'branding');
      await this.repository.removeBranding(manager, existing.id);
      await this.audit.record(manager, EmailBrandingDeleted, {
        outcome: 'success',
        actor: editor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'email_branding', id: existing.id },
        details: { level: scope.level, version: existing.version },
      });
    });
  }

  /**
   * Renders without sending: the given data or the kind's sample data, through the given unsaved
   * template or the one in effect, with the given branding or the one in effect. A failure answers
   * 422 with the part, line and the engine's message (the caller wrote both template and data).
   */
  async preview(scope: TemplateScope, rawKind: string, input: PreviewInput): Promise<PreviewResult> {
    const kind = assertTemplateKind(rawKind);
    const sample = input.data === undefined;
    const data = input.data ?? KIND_DEFINITIONS[kind].sample;
    const dataErrors = checkTemplateData(kind, data);
    if (dataErrors.length > 0) throw TemplatesErrors.TEMPLATE_DATA_INVALID(undefined, { errors: dataErrors });

    let source: TemplateSource;
    let level: PreviewResult['source'];
    if (input.template) {
      const issues = this.engine.check(kind, input.template);
      if (issues.length > 0) {
        throw TemplatesErrors.TEMPLATE_INVALID(undefined, {
          errors: issuesToErrors(issues, 'template.'),
          extensions: { template_errors: issues },
        });
      }
      source = input.template;
      level = 'candidate';
    } else {
      const effective = await this.repository.findInEffect(this.dataSource.manager, scope, kind);
      source = effective?.source ?? KIND_DEFINITIONS[kind].builtIn;
      level = effective?.level ?? 'built-in';
    }
    let branding = input.branding;
    if (branding) {
      const errors = checkBranding(branding);
      if (errors.length > 0)
        throw TemplatesErrors.BRANDING_INVALID(undefined, { errors: errors.map((e) => ({ ...e, field: `branding.${e.field}` })) });
    } else {
      branding = (await this.repository.findBrandingInEffect(this.dataSource.manager, scope))?.branding ?? NO_BRANDING;
    }
    try {
      const rendered = await this.engine.render(source, templateScopeOf(kind, data as Record<string, unknown>, brandScopeOf(branding)), {
        trusted: level === 'built-in',
      });
      return { kind, ...rendered, source: level, sample };
    } catch (error) {
      if (!(error instanceof TemplateRenderFailure)) throw error;
      const at = error.line !== null ? `line ${error.line}, column ${error.column}: ` : '';
      throw TemplatesErrors.TEMPLATE_RENDER_FAILED(undefined, {
        errors: [fieldError(input.template ? `template.${error.part}` : error.part, error.reason, `${at}${error.engineMessage}`)],
        extensions: { part: error.part, reason: error.reason, line: error.line, column: error.column },
      });
    }
  }

  private async write<T>(editor: TemplateEditor, scope: TemplateScope, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `email_template:${scope.partnerId}:${scope.orgId ?? ''}`,
      ]);
      if (scope.orgId !== null && editor.orgUser && !(await this.repository.orgOverrideEnabled(manager, scope.orgId))) {
        throw TemplatesErrors.ORG_TEMPLATES_DISABLED();
      }
      return work(manager);
    });
  }
}

function by(editor: AuditActor): { id: string | null; email: string | null } {
  return { id: editor.id ?? null, email: editor.email ?? null };
}
