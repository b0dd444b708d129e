/**
 * Where a template kind and its data become a subject, text and HTML. The intake calls the renderer
 * bound to MESSAGE_RENDERER, which is the tenant's templates (@mailstrata/templates); tests or another
 * engine bind another one without touching the intake.
 */
import { Injectable } from '@nestjs/common';
import { TemplateFallback, TemplateRenderer } from '@mailstrata/templates';

export interface RenderedMessage {
  subject: string;
  text: string;
  html?: string;
  /** A tenant's template failed and the built-in one was used: audited with the message, if it is written. */
  templateFallback?: TemplateFallback;
}

export interface RenderScope {
  partnerId: string | null;
  orgId: string | null;
}

export interface MessageRenderer {
  /** Throws a DomainError naming the data field that is missing or wrong. */
  render(kind: string, scope: RenderScope, data: Record<string, unknown>): Promise<RenderedMessage>;
}

export const MESSAGE_RENDERER = Symbol('MessageRenderer');

/** Every kind through the tenant's templates (org → partner → built-in), with their data checks and fallback. */
@Injectable()
export class TemplateMessageRenderer implements MessageRenderer {
  constructor(private readonly templates: TemplateRenderer) {}

  async render(kind: string, scope: RenderScope, data: Record<string, unknown>): Promise<RenderedMessage> {
    const rendered = await this.templates.render(kind, scope, data, { auditFallback: 'caller' });
    return {
      subject: rendered.subject,
      text: rendered.text,
      ...(rendered.html !== null ? { html: rendered.html } : {}),
      ...(rendered.failure ? { templateFallback: rendered.failure } : {}),
    };
  }
}
