/**
 * The email templates API's shapes (/event/v1/email/templates) and what the console derives from them:
 * labels for kinds and levels, a data skeleton from a kind's variables for a preview with one's own
 * data, and the API's field errors sorted to the form fields they belong to.
 */
import { ApiError, messageOf } from './api';

export const TEMPLATES = '/event/v1/email/templates';
export const BRANDING = `${TEMPLATES}/branding`;

export type TemplateSourceLevel = 'built-in' | 'partner' | 'org';
export type BrandingSourceLevel = 'none' | 'partner' | 'org';

/** The scope's own override: its version and whether it is the one that applies now. */
export interface OwnStamp {
  level: 'partner' | 'org';
  version: number;
  etag: string;
  updated_at: string;
  updated_by: string | null;
  in_effect: boolean;
}

export interface ScopeView {
  level: 'partner' | 'org';
  partner_id: string;
  org_id: string | null;
}

export interface KindSummary {
  kind: string;
  description: string;
  source: TemplateSourceLevel;
  own: OwnStamp | null;
}

export interface TemplateList {
  scope: ScopeView;
  templates: KindSummary[];
  branding: { source: BrandingSourceLevel; own: OwnStamp | null };
}

export interface VariableSpec {
  type: 'string' | 'text' | 'url' | 'email' | 'number' | 'html';
  required: boolean;
  description: string;
}

export interface TemplateView {
  scope: ScopeView;
  kind: string;
  description: string;
  source: TemplateSourceLevel;
  subject: string;
  text: string;
  html: string | null;
  variables: Record<string, VariableSpec>;
  /** The kind's sample data: what a preview renders with when it is given none. */
  sample_data: Record<string, unknown>;
  own: OwnStamp | null;
}

export interface BrandingFields {
  product_name: string | null;
  logo_url: string | null;
  support_email: string | null;
  footer: string | null;
}

export interface BrandingView extends BrandingFields {
  scope: ScopeView;
  source: BrandingSourceLevel;
  own: OwnStamp | null;
}

export interface PreviewView {
  kind: string;
  source: TemplateSourceLevel | 'candidate';
  /** Whether the kind's sample data was used (no data was given). */
  sample_data: boolean;
  subject: string;
  text: string;
  html: string | null;
}

export const KIND_LABELS: Record<string, string> = {
  password_setup: 'Password setup',
  password_reset: 'Password reset',
  email_verification: 'Email verification',
  alert: 'Alert',
  report: 'Report',
  generic: 'Generic',
};

export const kindLabel = (kind: string) => KIND_LABELS[kind] ?? kind;

export const SOURCE_LABELS: Record<TemplateSourceLevel | BrandingSourceLevel | 'candidate', string> = {
  'built-in': 'Built-in',
  none: 'None',
  partner: 'Partner',
  org: 'Organization',
  candidate: 'Your unsaved edit',
};

/** The form of one template: HTML empty means a text-only email (the API's null). */
export interface TemplateForm {
  subject: string;
  text: string;
  html: string;
}

export const templateFormOf = (v: Pick<TemplateView, 'subject' | 'text' | 'html'>): TemplateForm => ({
  subject: v.subject,
  text: v.text,
  html: v.html ?? '',
});

export const templateBodyOf = (f: TemplateForm) => ({ subject: f.subject, text: f.text, html: f.html.trim() === '' ? null : f.html });

export interface BrandingForm {
  productName: string;
  logoUrl: string;
  supportEmail: string;
  footer: string;
}

export const brandingFormOf = (b: BrandingFields): BrandingForm => ({
  productName: b.product_name ?? '',
  logoUrl: b.logo_url ?? '',
  supportEmail: b.support_email ?? '',
  footer: b.footer ?? '',
});

const orNull = (v: string) => (v.trim() === '' ? null : v.trim());

export const brandingBodyOf = (f: BrandingForm): BrandingFields => ({
  product_name: orNull(f.productName),
  logo_url: orNull(f.logoUrl),
  support_email: orNull(f.supportEmail),
  // The footer keeps its line breaks; only an all-blank one means "not set".
  footer: f.footer.trim() === '' ? null : f.footer,
});

export const BRANDING_FIELD_OF: Record<string, keyof BrandingForm> = {
  product_name: 'productName',
  logo_url: 'logoUrl',
  support_email: 'supportEmail',
  footer: 'footer',
};

export type TemplatePart = keyof TemplateForm;
const PARTS: readonly TemplatePart[] = ['subject', 'text', 'html'];

/**
 * The API's field errors of a template write or preview, by form field: `subject`, `text`, `html` (a
 * preview names them `template.*`), and `data` for the preview data (`data` or `data.<variable>`).
 * Anything else is left to the page's notice.
 */
export function templateErrorsOf(error: unknown): Partial<Record<TemplatePart | 'data', string>> {
  const out: Partial<Record<TemplatePart | 'data', string>> = {};
  if (!(error instanceof ApiError)) return out;
  const data: string[] = [];
  for (const e of error.problem.errors ?? []) {
    const field = e.field.startsWith('template.') ? e.field.slice('template.'.length) : e.field;
    if ((PARTS as readonly string[]).includes(field)) out[field as TemplatePart] ??= e.message;
    else if (field === 'data' || field.startsWith('data.')) data.push(field === 'data' ? e.message : `${field.slice(5)}: ${e.message}`);
  }
  if (data.length > 0) out.data = data.join('; ');
  return out;
}

/** The API's branding field errors by form field (a preview names them `branding.*`). */
export function brandingErrorsOf(error: unknown): Partial<Record<keyof BrandingForm, string>> {
  const out: Partial<Record<keyof BrandingForm, string>> = {};
  if (!(error instanceof ApiError)) return out;
  for (const e of error.problem.errors ?? []) {
    const key = BRANDING_FIELD_OF[e.field.replace(/^branding\./, '')];
    if (key) out[key] ??= e.message;
  }
  return out;
}

/** The API's refusal as people read it, with its status and code for whoever they ask. */
export const refusalOf = (e: unknown) => (e instanceof ApiError ? `${e.problem.detail || e.code} (${e.status} ${e.code})` : messageOf(e));
