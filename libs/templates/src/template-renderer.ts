/**
 * What senders call: `render(kind, scope, data)` gives the subject, text and HTML of a system email for
 * a recipient's scope, with the override in effect (org → partner → built-in) and the branding in
 * effect. Data is checked against the kind's variables first (a bad call is refused, naming the field).
 * A tenant's template that fails now (a limit, an error with this data) never blocks the email: the
 * built-in template is used instead, and that is logged and audited as `email.template.fallback`.
 */
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditRecordInput, AuditWriter } from '@mailstrata/audit';
import { DataSource, EntityManager } from 'typeorm';
import { brandScopeOf, NO_BRANDING } from './branding';
import { RenderedEmail, TemplateEngine, TemplatePart, TemplateRenderFailure } from './engine';
import { TemplatesErrors } from './errors';
import { isTemplateKind, KIND_DEFINITIONS, TEMPLATE_KINDS, TemplateKind } from './kinds';
import { checkTemplateData, templateScopeOf } from './template-data';
import { OverrideLevel, RecipientScope, TemplateRepository } from './template.repository';
import { EmailTemplateFallback } from './templates.events';

export type TemplateSourceLevel = 'built-in' | OverrideLevel;

export interface RenderedTemplate extends RenderedEmail {
  kind: TemplateKind;
  /** Which level's template produced this email. */
  source: TemplateSourceLevel;
  /** True when a tenant's template failed and the built-in one was used. */
  fallback: boolean;
  /** What failed, when `fallback` is true and the caller asked to write its audit event itself. */
  failure?: TemplateFallback;
}

/** A tenant's template that failed at send time: the facts of its `email.template.fallback` event. */
export interface TemplateFallback {
  templateId: string;
  scope: RecipientScope;
  kind: TemplateKind;
  level: OverrideLevel;
  version: number;
  part: TemplatePart;
  reason: string;
  line: number | null;
  column: number | null;
}

export interface TemplateRenderOptions {
  /** Read (and audit a fallback) in the caller's transaction, e.g. one that just created the organization. */
  manager?: EntityManager;
  /**
   * The caller writes the fallback's audit event with the email it belongs to (`templateFallbackEvent`), so
   * an email that is refused or a duplicate after all leaves none; the renderer then only returns `failure`.
   */
  auditFallback?: 'here' | 'caller';
}

/**
 * The `email.template.fallback` event of a failed tenant template, naming the message it was for when
 * there is one. Never the template or the data: the reason and the position only.
 */
export function templateFallbackEvent(
  fallback: TemplateFallback,
  messageId?: string,
): AuditRecordInput<(typeof EmailTemplateFallback.details)[number]> {
  const { templateId, scope, ...facts } = fallback;
  return {
    outcome: 'failure',
    actor: null,
    partnerId: scope.partnerId,
    orgId: scope.orgId,
    resource: { type: 'email_template', id: templateId },
    details: { ...facts, ...(messageId ? { message_id: messageId } : {}) },
  };
}

export function assertTemplateKind(kind: string): TemplateKind {
  if (!isTemplateKind(kind)) {
    throw TemplatesErrors.UNKNOWN_TEMPLATE_KIND(
      `There is no template kind "${kind.slice(0, 64)}"; the kinds are: ${TEMPLATE_KINDS.join(', ')}.`,
    );
  }
  return kind;
}

@Injectable()
export class TemplateRenderer {
  private readonly logger = new Logger(TemplateRenderer.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: TemplateRepository,
    private readonly engine: TemplateEngine,
    private readonly audit: AuditWriter,
  ) {}

  async render(kind: string, scope: RecipientScope, data: unknown, options: TemplateRenderOptions = {}): Promise<RenderedTemplate> {
    const known = assertTemplateKind(kind);
    const errors = checkTemplateData(known, data);
    if (errors.length > 0) throw TemplatesErrors.TEMPLATE_DATA_INVALID(undefined, { errors });
    const manager = options.manager ?? this.dataSource.manager;
    const override = await this.repository.findInEffect(manager, scope, known);
    const branding = await this.repository.findBrandingInEffect(manager, scope);
    const context = templateScopeOf(known, data as Record<string, unknown>, brandScopeOf(branding?.branding ?? NO_BRANDING));

    let failure: TemplateFallback | undefined;
    if (override) {
      try {
        return { kind: known, ...(await this.engine.render(override.source, context)), source: override.level, fallback: false };
      } catch (error) {
        if (!(error instanceof TemplateRenderFailure)) throw error;
        failure = {
          templateId: override.id,
          scope,
          kind: known,
          level: override.level,
          version: override.version,
          part: error.part,
          reason: error.reason,
          line: error.line,
          column: error.column,
        };
        // The reason and position only: the engine's message could echo the template, never the data, but stays out anyway.
        // `level` would shadow the log line's own level: the template's level is logged as template_level.
        this.logger.warn(
          {
            kind: known,
            template_level: override.level,
            version: override.version,
            part: error.part,
            reason: error.reason,
            line: error.line,
            column: error.column,
          },
          'tenant email template failed; the built-in template was used',
        );
        if (options.auditFallback !== 'caller') await this.audit.record(manager, EmailTemplateFallback, templateFallbackEvent(failure));
      }
    }
    let builtIn: RenderedEmail;
    try {
      builtIn = await this.engine.render(KIND_DEFINITIONS[known].builtIn, context, { trusted: true });
    } catch (error) {
      if (!(error instanceof TemplateRenderFailure)) throw error;
      // Only the data can make a built-in fail (a result over the output limits): the sender's to fix.
      throw TemplatesErrors.TEMPLATE_RENDER_FAILED(
        `The ${known} email cannot be rendered with this data (${error.part}: ${error.reason}).`,
        {
          extensions: { part: error.part, reason: error.reason },
        },
      );
    }
    return {
      kind: known,
      ...builtIn,
      source: 'built-in',
      fallback: failure !== undefined,
      ...(failure && options.auditFallback === 'caller' ? { failure } : {}),
    };
  }
}
