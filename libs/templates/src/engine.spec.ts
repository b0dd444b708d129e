import { brandScopeOf, NO_BRANDING } from './branding';
import { TemplateEngine, TemplateRenderFailure } from './engine';
import { KIND_DEFINITIONS, TemplateKind, TemplateSource } from './kinds';
import { checkTemplateData, templateScopeOf } from './template-data';

const engine = new TemplateEngine();
const scope = (kind: TemplateKind, data: Record<string, unknown>, brand = NO_BRANDING) => templateScopeOf(kind, data, brandScopeOf(brand));
const source = (over: Partial<TemplateSource>): TemplateSource => ({ subject: 'S', text: 'T', html: null, ...over });
const setupData = { link: 'https://x.test/a#token=t', email: 'new@x.test', org_name: 'Acme <R&D>', expires_in_hours: 24 };

async function failure(promise: Promise<unknown>): Promise<TemplateRenderFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TemplateRenderFailure) return error;
    throw error;
  }
  throw new Error('expected the render to fail');
}

describe('built-in password_setup', () => {
  it('renders the password-setup email word for word as before, escaping the tenant in HTML only', async () => {
    const mail = await engine.render(KIND_DEFINITIONS.password_setup.builtIn, scope('password_setup', setupData));
    expect(mail.subject).toBe('Set your password for Acme <R&D>');
    expect(mail.text).toBe(
      [
        'Hello,',
        '',
        'An account for new@x.test was created in Acme <R&D>.',
        'Choose your password here (the link works once and expires in 24 hours):',
        '',
        'https://x.test/a#token=t',
        '',
        'If you did not expect this email, you can ignore it.',
      ].join('\n'),
    );
    expect(mail.html).toBe(`<!doctype html><html><body style="font-family:sans-serif">
<p>Hello,</p>
<p>An account for <strong>new@x.test</strong> was created in <strong>Acme &lt;R&amp;D&gt;</strong>.</p>
<p><a href="https://x.test/a#token=t">Choose your password</a> — the link works once and expires in 24 hours.</p>
<p style="color:#666">If you did not expect this email, you can ignore it.</p>
</body></html>`);
  });

  it('adds branding when set: logo, product name, support address and footer, escaped in HTML', async () => {
    const brand = {
      productName: 'Acme <Cloud>',
      logoUrl: 'https://cdn.acme.test/logo.png',
      supportEmail: 'help@acme.test',
      footer: 'Acme Inc.',
    };
    const mail = await engine.render(KIND_DEFINITIONS.password_setup.builtIn, scope('password_setup', setupData, brand));
    expect(mail.text.endsWith('\n\n--\nAcme <Cloud>\nSupport: help@acme.test\nAcme Inc.')).toBe(true);
    expect(mail.html).toContain('<img src="https://cdn.acme.test/logo.png" alt="Acme &lt;Cloud&gt;"');
    expect(mail.html).toContain('Support: <a href="mailto:help@acme.test">help@acme.test</a>');
    expect(mail.html).not.toContain('<Cloud>');
  });

  it('renders every built-in kind with its sample data', async () => {
    for (const definition of Object.values(KIND_DEFINITIONS)) {
      expect(checkTemplateData(definition.kind, definition.sample)).toEqual([]);
      expect(engine.check(definition.kind, definition.builtIn)).toEqual([]);
      const mail = await engine.render(definition.builtIn, scope(definition.kind, { ...definition.sample }));
      expect(mail.subject.length).toBeGreaterThan(0);
      expect(mail.text.length).toBeGreaterThan(0);
      expect(mail.html).toMatch(/<html>/);
    }
  });
});

describe('escaping', () => {
  it('escapes every output in HTML, none in text, and keeps the subject on one line', async () => {
    const data = { title: 'Disk <full>\r\nBcc: victim@x.test', message: '<script>alert(1)</script>\nline 2' };
    const mail = await engine.render(
      source({ subject: '{{ title }}', text: '{{ message }}', html: '<p>{{ message }}</p><p title="{{ title }}"></p>' }),
      scope('alert', data),
    );
    expect(mail.subject).toBe('Disk <full> Bcc: victim@x.test');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).toBe('<script>alert(1)</script>\nline 2');
    expect(mail.html).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;\nline 2</p><p title="Disk &lt;full&gt;\r\nBcc: victim@x.test"></p>');
  });

  it('passes HTML through only where the template says raw (the generic kind’s given html)', async () => {
    const mail = await engine.render(KIND_DEFINITIONS.generic.builtIn, scope('generic', { subject: 's', text: 't', html: '<b>bold</b>' }));
    expect(mail.html).toBe('<b>bold</b>');
  });
});

describe('hostile templates are inert', () => {
  it('reaches no prototype, constructor or function through variables', async () => {
    const mail = await engine.render(
      source({
        subject: '[{{ constructor }}]',
        text: '[{{ title.constructor }}][{{ title.__proto__ }}][{{ brand.constructor.name }}][{{ title.toString }}][{{ brand.__proto__.polluted }}]',
        html: '[{{ constructor.constructor }}][{{ title["__proto__"] }}][{{ brand["constructor"] }}]',
      }),
      scope('alert', { title: 'x', message: 'y' }),
    );
    expect(mail).toEqual({ subject: '[]', text: '[][][][][]', html: '[][][]' });
  });

  it('cannot pollute prototypes through assign', async () => {
    await engine.render(source({ text: '{% assign __proto__ = "p" %}{% assign constructor = "c" %}{{ __proto__ }}' }), scope('alert', {}));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('stops a huge range at the allocation limit, at once', async () => {
    const started = Date.now();
    const error = await failure(engine.render(source({ text: '{% for i in (1..100000000) %}x{% endfor %}' }), scope('alert', {})));
    expect(error.reason).toBe('limit_exceeded');
    expect(error.part).toBe('text');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops nested loops at the render time limit', async () => {
    const started = Date.now();
    const loops = '{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}x{% endfor %}{% endfor %}{% endfor %}';
    const error = await failure(engine.render(source({ html: loops }), scope('alert', {})));
    expect(error.reason).toBe('limit_exceeded');
    expect(error.part).toBe('html');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops string doubling at the allocation limit', async () => {
    const doubling = '{% assign s = "aaaaaaaaaa" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}';
    expect((await failure(engine.render(source({ text: doubling }), scope('alert', {})))).reason).toBe('limit_exceeded');
  });

  it('has no include, render or layout: they are refused at save with their position', () => {
    const issues = engine.check(
      'alert',
      source({ text: 'a\n{% include "secrets" %}', html: '{% render "/etc/passwd" %}', subject: '{% layout "x" %}' }),
    );
    expect(issues).toEqual([
      expect.objectContaining({ field: 'subject', rule: 'syntax', line: 1, column: 1, message: 'tag "layout" not found' }),
      expect.objectContaining({ field: 'text', rule: 'syntax', line: 2, column: 1, message: 'tag "include" not found' }),
      expect.objectContaining({ field: 'html', rule: 'syntax', line: 1, column: 1, message: 'tag "render" not found' }),
    ]);
  });

  it('refuses variables the kind does not take (constructor included) with their position', () => {
    const issues = engine.check('alert', source({ text: 'ok {{ title }}\n  {{ constructor }} {{ secret.x }}' }));
    expect(issues.map((i) => [i.field, i.rule, i.line, i.column])).toEqual([
      ['text', 'unknown_variable', 2, 6],
      ['text', 'unknown_variable', 2, 24],
    ]);
  });
});

describe('refusal at save', () => {
  it('names the part, line and column of a syntax error', () => {
    const [issue] = engine.check('alert', source({ html: '<p>ok</p>\n<p>{% if title %}open</p>' }));
    expect(issue).toMatchObject({ field: 'html', rule: 'syntax', line: 2 });
    expect(issue!.column).toBeGreaterThan(0);
  });

  it('refuses unknown filters, oversized parts and a multi-line subject', () => {
    expect(engine.check('alert', source({ text: '{{ title | exec }}' }))[0]).toMatchObject({ field: 'text', rule: 'syntax', line: 1 });
    expect(engine.check('alert', source({ html: 'x'.repeat(64 * 1024 + 1) }))[0]).toMatchObject({ field: 'html', rule: 'maxBytes' });
    expect(engine.check('alert', source({ subject: 'a\nb' }))[0]).toMatchObject({ field: 'subject', rule: 'no_line_breaks' });
  });
});

describe('template data', () => {
  it('refuses a link that is not http(s), a missing variable and an unknown one, naming each', () => {
    const errors = checkTemplateData('password_setup', {
      link: 'javascript:alert(1)',
      email: 'a@b.test',
      expires_in_hours: 1,
      orgname: 'typo',
    });
    expect(errors.map((e) => [e.field, e.rule])).toEqual([
      ['data.link', 'isUrl'],
      ['data.org_name', 'required'],
      ['data.orgname', 'unknown_variable'],
    ]);
  });

  it('refuses line breaks in one-line variables and credentials in links', () => {
    expect(checkTemplateData('alert', { title: 'a\nb', message: 'm' }).map((e) => e.rule)).toEqual(['no_line_breaks']);
    expect(checkTemplateData('alert', { title: 'a', message: 'm', link: 'https://u:p@x.test/' }).map((e) => e.rule)).toEqual(['isUrl']);
    expect(checkTemplateData('alert', { title: 'a', message: 'multi\nline' })).toEqual([]);
  });

  it('hands templates only declared variables, on objects without a prototype', () => {
    const s = templateScopeOf('alert', { title: 't', message: 'm', extra: 'x' }, brandScopeOf(NO_BRANDING)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(s)).toBeNull();
    expect(Object.keys(s).sort()).toEqual(['brand', 'message', 'title']);
    expect(Object.getPrototypeOf(s.brand)).toBeNull();
  });
});
