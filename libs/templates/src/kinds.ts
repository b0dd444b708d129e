/**
 * The built-in template kinds: what data each takes (its schema) and the built-in subject, text and
 * HTML every tenant starts from. Branding (`brand.*`) is available to every kind; the built-ins show
 * it only when a tenant has set it, so an unbranded email reads exactly as it always has.
 */

/**
 * The kinds of variable a template may be handed. `url`: an absolute http(s) URL (links in emails);
 * `email`: one address; `string`: one line; `text`: free text with line breaks; `html`: markup the
 * sending component vouches for (generic emails only; shown unescaped); `number`: a finite number.
 */
export type VariableType = 'string' | 'text' | 'url' | 'email' | 'number' | 'html';

export interface VariableSpec {
  type: VariableType;
  required: boolean;
  description: string;
}

export const TEMPLATE_KINDS = ['password_setup', 'password_reset', 'email_verification', 'alert', 'report', 'generic'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export function isTemplateKind(value: unknown): value is TemplateKind {
  return typeof value === 'string' && (TEMPLATE_KINDS as readonly string[]).includes(value);
}

export interface TemplateSource {
  subject: string;
  text: string;
  /** null: the email has a text part only. */
  html: string | null;
}

export interface KindDefinition {
  kind: TemplateKind;
  description: string;
  variables: Readonly<Record<string, VariableSpec>>;
  /** Data the preview uses when none is given. */
  sample: Readonly<Record<string, unknown>>;
  builtIn: TemplateSource;
}

/** The name under which branding reaches templates; no kind may declare a variable of that name. */
export const BRAND_VARIABLE = 'brand';

const req = (type: VariableType, description: string): VariableSpec => ({ type, required: true, description });
const opt = (type: VariableType, description: string): VariableSpec => ({ type, required: false, description });

// Branding blocks shared by the built-ins (concatenated here: templates have no include tag).
const HTML_OPEN = `<!doctype html><html><body style="font-family:sans-serif">{% if brand.logo_url %}
<p><img src="{{ brand.logo_url }}" alt="{{ brand.product_name }}" style="max-height:48px"></p>{% endif %}`;
const HTML_CLOSE = `{% if brand.product_name or brand.support_email or brand.footer %}
<hr><p style="color:#666;font-size:12px;white-space:pre-line">{% if brand.product_name %}{{ brand.product_name }}<br>{% endif %}{% if brand.support_email %}Support: <a href="mailto:{{ brand.support_email }}">{{ brand.support_email }}</a><br>{% endif %}{{ brand.footer }}</p>{% endif %}
</body></html>`;
const TEXT_CLOSE = `{% if brand.product_name or brand.support_email or brand.footer %}

--{% if brand.product_name %}
{{ brand.product_name }}{% endif %}{% if brand.support_email %}
Support: {{ brand.support_email }}{% endif %}{% if brand.footer %}
{{ brand.footer }}{% endif %}{% endif %}`;

const html = (body: string) => `${HTML_OPEN}\n${body}${HTML_CLOSE}`;
const text = (lines: string[]) => `${lines.join('\n')}${TEXT_CLOSE}`;

const IGNORE = 'If you did not expect this email, you can ignore it.';

const definitions: KindDefinition[] = [
  {
    kind: 'password_setup',
    description: 'A new user chooses a password (ACCOUNT_CREATION_STRATEGY=VERIFY).',
    variables: {
      link: req('url', 'the single-use password-setup link'),
      expires_in_hours: req('number', 'hours until the link expires'),
      org_name: req('string', 'the organization (or partner) the account belongs to'),
      email: req('email', 'the new user’s address'),
    },
    sample: {
      link: 'https://console.example.com/auth/v1/password-setup#token=SAMPLE',
      expires_in_hours: 72,
      org_name: 'Example Org',
      email: 'new.user@example.com',
    },
    builtIn: {
      subject: 'Set your password for {{ org_name }}',
      text: text([
        'Hello,',
        '',
        'An account for {{ email }} was created in {{ org_name }}.',
        'Choose your password here (the link works once and expires in {{ expires_in_hours }} hours):',
        '',
        '{{ link }}',
        '',
        IGNORE,
      ]),
      html: html(`<p>Hello,</p>
<p>An account for <strong>{{ email }}</strong> was created in <strong>{{ org_name }}</strong>.</p>
<p><a href="{{ link }}">Choose your password</a> — the link works once and expires in {{ expires_in_hours }} hours.</p>
<p style="color:#666">${IGNORE}</p>`),
    },
  },
  {
    kind: 'password_reset',
    description: 'A user asked to reset a forgotten password.',
    variables: {
      link: req('url', 'the single-use password-reset link'),
      expires_in_minutes: req('number', 'minutes until the link expires'),
      email: req('email', 'the account’s address'),
      org_name: opt('string', 'the organization (or partner) of the account'),
    },
    sample: {
      link: 'https://console.example.com/auth/v1/password-reset#token=SAMPLE',
      expires_in_minutes: 30,
      email: 'user@example.com',
      org_name: 'Example Org',
    },
    builtIn: {
      subject: 'Reset your password{% if org_name %} for {{ org_name }}{% endif %}',
      text: text([
        'Hello,',
        '',
        'Someone asked to reset the password of {{ email }}{% if org_name %} in {{ org_name }}{% endif %}.',
        'Choose a new password here (the link works once and expires in {{ expires_in_minutes }} minutes):',
        '',
        '{{ link }}',
        '',
        'If you did not ask for this, ignore this email: your password stays as it is.',
      ]),
      html: html(`<p>Hello,</p>
<p>Someone asked to reset the password of <strong>{{ email }}</strong>{% if org_name %} in <strong>{{ org_name }}</strong>{% endif %}.</p>
<p><a href="{{ link }}">Choose a new password</a> — the link works once and expires in {{ expires_in_minutes }} minutes.</p>
<p style="color:#666">If you did not ask for this, ignore this email: your password stays as it is.</p>`),
    },
  },
  {
    kind: 'email_verification',
    description: 'A user confirms that an address is theirs.',
    variables: {
      link: req('url', 'the verification link'),
      email: req('email', 'the address being verified'),
      expires_in_hours: req('number', 'hours until the link expires'),
      org_name: opt('string', 'the organization (or partner)'),
    },
    sample: {
      link: 'https://console.example.com/auth/v1/verify-email#token=SAMPLE',
      email: 'user@example.com',
      expires_in_hours: 24,
      org_name: 'Example Org',
    },
    builtIn: {
      subject: 'Confirm your email address{% if org_name %} for {{ org_name }}{% endif %}',
      text: text([
        'Hello,',
        '',
        'Please confirm that {{ email }} is your address (the link expires in {{ expires_in_hours }} hours):',
        '',
        '{{ link }}',
        '',
        IGNORE,
      ]),
      html: html(`<p>Hello,</p>
<p>Please confirm that <strong>{{ email }}</strong> is your address.</p>
<p><a href="{{ link }}">Confirm my address</a> — the link expires in {{ expires_in_hours }} hours.</p>
<p style="color:#666">${IGNORE}</p>`),
    },
  },
  {
    kind: 'alert',
    description: 'An alert notification from a platform component.',
    variables: {
      title: req('string', 'one-line summary'),
      message: req('text', 'what happened'),
      severity: opt('string', 'e.g. info, warning, critical'),
      link: opt('url', 'where to see more'),
      org_name: opt('string', 'the organization concerned'),
    },
    sample: {
      title: 'Cluster prod-1 is unreachable',
      message: 'The cluster has not reported for 10 minutes.',
      severity: 'critical',
      link: 'https://console.example.com/clusters/prod-1',
      org_name: 'Example Org',
    },
    builtIn: {
      subject: '{% if severity %}[{{ severity | upcase }}] {% endif %}{{ title }}',
      text: text([
        '{{ title }}{% if org_name %} ({{ org_name }}){% endif %}',
        '',
        '{{ message }}',
        '{% if link %}',
        'Details: {{ link }}{% endif %}',
      ]),
      html: html(`<h2>{% if severity %}[{{ severity | upcase }}] {% endif %}{{ title }}</h2>{% if org_name %}
<p style="color:#666">{{ org_name }}</p>{% endif %}
<p style="white-space:pre-line">{{ message }}</p>{% if link %}
<p><a href="{{ link }}">Details</a></p>{% endif %}`),
    },
  },
  {
    kind: 'report',
    description: 'A periodic or on-demand report.',
    variables: {
      title: req('string', 'the report’s title'),
      summary: req('text', 'the report’s content or summary'),
      period: opt('string', 'the period covered, e.g. 2025-11'),
      link: opt('url', 'where to read the full report'),
      org_name: opt('string', 'the organization concerned'),
    },
    sample: {
      title: 'Monthly usage',
      summary: '42 clusters, 1,337 workloads.',
      period: '2025-11',
      link: 'https://console.example.com/reports/2025-11',
      org_name: 'Example Org',
    },
    builtIn: {
      subject: '{{ title }}{% if period %} — {{ period }}{% endif %}',
      text: text([
        '{{ title }}{% if period %} — {{ period }}{% endif %}',
        '',
        '{{ summary }}',
        '{% if link %}',
        'Full report: {{ link }}{% endif %}',
      ]),
      html: html(`<h2>{{ title }}{% if period %} — {{ period }}{% endif %}</h2>
<p style="white-space:pre-line">{{ summary }}</p>{% if link %}
<p><a href="{{ link }}">Full report</a></p>{% endif %}`),
    },
  },
  {
    kind: 'generic',
    description: 'Subject and body given by the sending component.',
    variables: {
      subject: req('string', 'the subject'),
      text: req('text', 'the text part'),
      html: opt('html', 'the HTML part, used as given (the sender vouches for it)'),
    },
    sample: { subject: 'Hello from the platform', text: 'This is a generic system email.' },
    builtIn: {
      subject: '{{ subject }}',
      text: text(['{{ text }}']),
      html: `{% if html %}{{ html | raw }}{% else %}${html('<div style="white-space:pre-wrap">{{ text }}</div>')}{% endif %}`,
    },
  },
];

export const KIND_DEFINITIONS: Readonly<Record<TemplateKind, KindDefinition>> = Object.freeze(
  Object.fromEntries(definitions.map((d) => [d.kind, d])) as Record<TemplateKind, KindDefinition>,
);
