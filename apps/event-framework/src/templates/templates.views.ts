/** Explicit response mappers for templates and branding. */
import {
  Branding,
  BrandingView,
  KIND_DEFINITIONS,
  KindSummary,
  PreviewResult,
  StoredBranding,
  StoredTemplate,
  TemplateScope,
  templateEtagOf,
  TemplateView,
} from '@mailstrata/templates';
import type { BrandingBodyDto, TemplateBodyDto } from './templates.dto';

/** `shown`: what else the representation shows, so its ETag changes with it (see templateEtagOf). */
const stampView = (s: StoredTemplate | StoredBranding, inEffect: boolean, shown: unknown) => ({
  level: s.level,
  version: s.version,
  etag: templateEtagOf(s, { shown, inEffect }),
  updated_at: s.updatedAt.toISOString(),
  updated_by: s.updatedByEmail,
  in_effect: inEffect,
});

const scopeView = (scope: TemplateScope) => ({ level: scope.level, partner_id: scope.partnerId, org_id: scope.orgId });

export const brandingFields = (b: Branding) => ({
  product_name: b.productName,
  logo_url: b.logoUrl,
  support_email: b.supportEmail,
  footer: b.footer,
});

export const brandingOf = (body: BrandingBodyDto): Branding => ({
  productName: body.product_name ?? null,
  logoUrl: body.logo_url ?? null,
  supportEmail: body.support_email ?? null,
  footer: body.footer ?? null,
});

export const sourceOf = (body: TemplateBodyDto) => ({ subject: body.subject, text: body.text, html: body.html ?? null });

export const variablesView = (kind: keyof typeof KIND_DEFINITIONS) =>
  Object.fromEntries(
    Object.entries(KIND_DEFINITIONS[kind].variables).map(([name, v]) => [
      name,
      { type: v.type, required: v.required, description: v.description },
    ]),
  );

export const listView = (scope: TemplateScope, list: { kinds: KindSummary[]; branding: BrandingView }) => ({
  scope: scopeView(scope),
  templates: list.kinds.map((k) => ({
    kind: k.kind,
    description: KIND_DEFINITIONS[k.kind].description,
    source: k.source,
    own: k.own ? stampView(k.own, k.source === k.own.level, k.source) : null,
  })),
  branding: {
    source: list.branding.source,
    own: list.branding.own ? stampView(list.branding.own, list.branding.inEffect, list.branding.source) : null,
  },
});

export const templateView = (scope: TemplateScope, v: TemplateView) => ({
  scope: scopeView(scope),
  kind: v.kind,
  description: KIND_DEFINITIONS[v.kind].description,
  source: v.source,
  subject: v.template.subject,
  text: v.template.text,
  html: v.template.html,
  variables: variablesView(v.kind),
  /** What a preview renders with when it is given no data. */
  sample_data: KIND_DEFINITIONS[v.kind].sample,
  own: v.own ? stampView(v.own, v.inEffect, [v.source, v.template]) : null,
});

export const brandingView = (scope: TemplateScope, v: BrandingView) => ({
  scope: scopeView(scope),
  source: v.source,
  ...brandingFields(v.branding),
  own: v.own ? stampView(v.own, v.inEffect, [v.source, v.branding]) : null,
});

export const previewView = (p: PreviewResult) => ({
  kind: p.kind,
  source: p.source,
  sample_data: p.sample,
  subject: p.subject,
  text: p.text,
  html: p.html,
});
