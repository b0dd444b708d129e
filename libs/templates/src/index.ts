/**
 * @mailstrata/templates — system email templates: the built-in kinds with their declared variables,
 * partner and organization overrides with branding (org → partner → built-in, org only while its SMTP
 * switch is on), and a sandboxed LiquidJS renderer with size, time and allocation limits.
 *  - `TemplateRenderer.render(kind, {partnerId, orgId}, data, {manager?})` → subject, text, html and the
 *    level that supplied them; data is checked against the kind (TEMPLATE_DATA_INVALID naming fields);
 *    a failing tenant template falls back to the built-in one (logged, audited `email.template.fallback`;
 *    with `auditFallback: 'caller'` the caller writes that event with its email, `templateFallbackEvent`).
 *  - `TemplateService`: list/get/put/delete per kind, branding, preview; the HTTP layer's domain.
 */
export { TemplatesModule } from './templates.module';
export { TemplateRenderer, assertTemplateKind, templateFallbackEvent } from './template-renderer';
export type { RenderedTemplate, TemplateFallback, TemplateRenderOptions, TemplateSourceLevel } from './template-renderer';
export { TemplateService, representationEtagOf as templateEtagOf } from './template.service';
export type {
  TemplateEditor,
  Preconditions as TemplatePreconditions,
  KindSummary,
  TemplateView,
  BrandingView,
  PreviewInput,
  PreviewResult,
} from './template.service';
export type { TemplateScope, RecipientScope, StoredTemplate, StoredBranding, OverrideLevel } from './template.repository';
export { TEMPLATE_KINDS, KIND_DEFINITIONS, isTemplateKind } from './kinds';
export type { TemplateKind, TemplateSource, KindDefinition, VariableSpec, VariableType } from './kinds';
export { checkTemplateData, isSafeLink } from './template-data';
export { checkBranding, isHttpsUrl, NO_BRANDING } from './branding';
export type { Branding } from './branding';
export { TEMPLATE_LIMITS } from './limits';
export type { RenderedEmail, TemplatePart, TemplateIssue } from './engine';
export { TemplatesErrors } from './errors';
export type { TemplatesErrorCode } from './errors';
export {
  EmailTemplateUpdated,
  EmailTemplateDeleted,
  EmailTemplateFallback,
  EmailBrandingUpdated,
  EmailBrandingDeleted,
} from './templates.events';
