/**
 * One kind's template for one scope: the scope's own override (or the template in effect from above as
 * a starting point), its variables, save with optimistic locking (If-Match of the ETag it loaded, or
 * If-None-Match: * to create), delete naming the level that takes over, and a preview of the unsaved form.
 * A refused template's errors (part, line, column) sit beside the part they are about.
 */
import { api } from '../api';
import type { PageProps } from '../app';
import { TextAreaField, TextField } from '../components/fields';
import { TemplatePreview } from '../components/template-preview';
import { ChoosePartnerFirst, OrgRuleNotice, ScopePicker, useTemplateScope } from '../components/template-scope';
import { ConfirmDialog, Loading, Notice, PageHeader } from '../components/ui';
import { useVersionedEditor } from '../components/versioned-editor';
import { ConflictNotice, EditorActions, InEffectCard } from '../components/versioned-editor-parts';
import { can } from '../session';
import { apiScope } from '../tenants';
import {
  kindLabel,
  SOURCE_LABELS,
  TemplateForm,
  templateBodyOf,
  templateErrorsOf,
  templateFormOf,
  TemplateList,
  TEMPLATES,
  TemplateSourceLevel,
  TemplateView,
} from '../templates';

export function TemplateEditorPage({ session, location, kind }: PageProps & { kind: string }) {
  const { me } = session;
  const t = useTemplateScope(me, location);
  const mayModify = can(me, 'system_setting:modify');
  const scopeName = t.scope.orgId ? (t.org?.name ?? 'this organization') : 'the partner';
  const editor = useVersionedEditor<TemplateView, TemplateForm, TemplateSourceLevel | null>({
    t,
    path: `${TEMPLATES}/${encodeURIComponent(kind)}`,
    blank: { subject: '', text: '', html: '' },
    formOf: templateFormOf,
    bodyOf: templateBodyOf,
    errorsOf: templateErrorsOf,
    fields: ['subject', 'text', 'html'],
    inEffectNote: (view) =>
      `In effect for ${scopeName} now: ${SOURCE_LABELS[view.source]}${view.own && !view.own.in_effect ? ' (this organization’s own template is kept but not used while its SMTP override is off)' : ''}.`,
    // What takes over when an org's own template is deleted: the partner's, else the built-in one.
    alongside: async () =>
      t.scope.orgId && !me.scope.org_id
        ? ((
            await api<TemplateList>('GET', TEMPLATES, { query: apiScope({ partnerId: t.scope.partnerId, orgId: null }) })
          ).data.templates.find((k) => k.kind === kind)?.source ?? null)
        : null,
  });

  if (!editor.chosen) return <ChoosePartnerFirst title="Email template" />;

  const back = <a href={t.link('/templates')}>All templates</a>;
  const parentSource = editor.alongside ?? null;
  const { loaded, loadError, errors, field } = editor;

  const takesOver = (): string => {
    if (!t.scope.orgId) return 'The built-in template takes over at once.';
    if (t.org && !t.org.smtp_override_enabled)
      return 'Nothing changes for emails now: this organization’s SMTP override is off, so its own template is not in effect.';
    if (parentSource === 'partner') return 'The partner’s template takes over at once.';
    if (parentSource === 'built-in') return 'The built-in template takes over at once (the partner has none of its own).';
    return 'The partner’s template takes over at once, or the built-in one when the partner has none.';
  };

  const view = loaded?.view;
  const own = view?.own ?? null;
  const errorCount = Object.keys(errors).length;

  return (
    <>
      <PageHeader title={`Template: ${kindLabel(kind)}`}>
        <ScopePicker me={me} t={t} path={`/templates/${kind}`} />
        {back}
      </PageHeader>
      {view ? <p class="lead">{view.description}</p> : null}
      <OrgRuleNotice me={me} org={t.org} what="templates" />
      {loadError ? <Notice kind="error">{loadError}</Notice> : null}

      {view ? (
        <InEffectCard
          what="template"
          source={view.source}
          own={own}
          scopeName={scopeName}
          none={`None: the form starts from the template in effect (${SOURCE_LABELS[view.source].toLowerCase()}).`}
        />
      ) : null}

      {editor.notice ? <Notice kind={editor.notice.kind}>{editor.notice.text}</Notice> : null}
      {editor.conflict ? <ConflictNotice what="template" conflict={editor.conflict} onReload={editor.reload} /> : null}

      {!loaded && !loadError ? <Loading what="the template" /> : null}
      {loaded && view ? (
        <>
          <form ref={editor.formRef} onSubmit={(e) => void editor.save(e)} noValidate aria-labelledby="template-title">
            <div class="section-title">
              <h2 id="template-title">
                {own ? `${kindLabel(kind)} (version ${own.version})` : `New ${kindLabel(kind).toLowerCase()} template`}
              </h2>
            </div>
            {errorCount > 0 ? (
              <Notice kind="error">
                {errorCount === 1 ? 'One part needs' : `${errorCount} parts need`} attention; see the messages next to them.
              </Notice>
            ) : null}
            <div class="grid grid--editor">
              <section class="card" aria-label="Template parts">
                <fieldset disabled={!mayModify} class="fieldset-plain">
                  <TextField
                    {...field('subject')}
                    label="Subject"
                    required
                    spellcheck={false}
                    hint="One line; Liquid: {{ variable }}, {% if %}, filters."
                    class="input-wide"
                  />
                  <TextAreaField {...field('text')} label="Text" required mono rows={12} hint="The plain-text part, not escaped." />
                  <TextAreaField
                    {...field('html')}
                    label="HTML"
                    mono
                    rows={12}
                    hint="Optional: empty means a text-only email. Every output is HTML-escaped unless written with | raw."
                  />
                </fieldset>
              </section>
              <VariableList variables={view.variables} />
            </div>
            <EditorActions
              what="template"
              mayModify={mayModify}
              readOnly="Your role can read this template but not change it."
              editor={editor}
            />
          </form>

          <TemplatePreview
            key={`${t.key}/${kind}`}
            kind={kind}
            query={t.query}
            template={editor.form}
            sample={view.sample_data}
            onTemplateErrors={editor.showErrors}
          />
        </>
      ) : null}

      <ConfirmDialog
        open={editor.confirmDelete}
        title={`Delete ${t.scope.orgId ? 'the organization’s' : 'the partner’s'} ${kindLabel(kind).toLowerCase()} template?`}
        confirmLabel="Delete template"
        danger
        onConfirm={() => void editor.remove()}
        onCancel={() => editor.setConfirmDelete(false)}
      >
        <p>{takesOver()}</p>
      </ConfirmDialog>
    </>
  );
}

function VariableList({ variables }: { variables: TemplateView['variables'] }) {
  return (
    <section class="card" aria-labelledby="variables-title">
      <h3 id="variables-title">Variables</h3>
      <dl class="variables" data-testid="variables">
        {Object.entries(variables).map(([name, v]) => (
          <div key={name} data-variable={name}>
            <dt class="mono">
              {`{{ ${name} }}`} <span class="muted small">{v.type}</span>
              {v.required ? null : <span class="muted small"> (optional)</span>}
            </dt>
            <dd class="small">{v.description}</dd>
          </div>
        ))}
        <div data-variable="brand">
          <dt class="mono">{'{{ brand.product_name }}'}, logo_url, support_email, footer</dt>
          <dd class="small">The branding in effect; empty when unset (see Branding).</dd>
        </div>
      </dl>
    </section>
  );
}
