/**
 * The branding of one scope (product name, logo, support address, footer) that every kind sees as
 * brand.*: the scope's own or the one in effect from above, saved as a whole with the same ETag rules
 * as a template, deleted with the level above taking over, and previewed unsaved in any kind.
 */
import { useState } from 'preact/hooks';
import type { PageProps } from '../app';
import { SelectField, TextAreaField, TextField } from '../components/fields';
import { TemplatePreview } from '../components/template-preview';
import { ChoosePartnerFirst, OrgRuleNotice, ScopePicker, useTemplateScope } from '../components/template-scope';
import { ConfirmDialog, Loading, Notice, PageHeader } from '../components/ui';
import { useVersionedEditor } from '../components/versioned-editor';
import { ConflictNotice, EditorActions, InEffectCard } from '../components/versioned-editor-parts';
import { can } from '../session';
import {
  BRANDING,
  BrandingForm,
  brandingBodyOf,
  brandingErrorsOf,
  brandingFormOf,
  BrandingView,
  KIND_LABELS,
  SOURCE_LABELS,
} from '../templates';

const KIND_OPTIONS = Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }));

export function BrandingPage({ session, location }: PageProps) {
  const { me } = session;
  const t = useTemplateScope(me, location);
  const mayModify = can(me, 'system_setting:modify');
  const scopeName = t.scope.orgId ? (t.org?.name ?? 'this organization') : 'the partner';
  const [previewKind, setPreviewKind] = useState('password_setup');
  const editor = useVersionedEditor<BrandingView, BrandingForm>({
    t,
    path: BRANDING,
    blank: { productName: '', logoUrl: '', supportEmail: '', footer: '' },
    formOf: brandingFormOf,
    bodyOf: brandingBodyOf,
    errorsOf: brandingErrorsOf,
    fields: ['productName', 'logoUrl', 'supportEmail', 'footer'],
    inEffectNote: (view) => `In effect for ${scopeName} now: ${SOURCE_LABELS[view.source]}.`,
  });

  if (!editor.chosen) return <ChoosePartnerFirst title="Branding" />;

  const { loaded, loadError, form, field } = editor;
  const view = loaded?.view;
  const own = view?.own ?? null;

  return (
    <>
      <PageHeader title={t.scope.orgId ? `Branding: ${t.org?.name ?? 'organization'}` : 'Branding: partner'}>
        <ScopePicker me={me} t={t} path="/templates/branding" />
        <a href={t.link('/templates')}>All templates</a>
      </PageHeader>
      <OrgRuleNotice me={me} org={t.org} what="branding" />
      {loadError ? <Notice kind="error">{loadError}</Notice> : null}
      {view ? <InEffectCard what="branding" source={view.source} own={own} scopeName={scopeName} none="None" /> : null}

      {editor.notice ? <Notice kind={editor.notice.kind}>{editor.notice.text}</Notice> : null}
      {editor.conflict ? <ConflictNotice what="branding" conflict={editor.conflict} onReload={editor.reload} /> : null}

      {!loaded && !loadError ? <Loading what="the branding" /> : null}
      {loaded ? (
        <>
          <form ref={editor.formRef} onSubmit={(e) => void editor.save(e)} noValidate aria-labelledby="branding-form-title">
            <section class="card">
              <h2 id="branding-form-title">{own ? `Branding (version ${own.version})` : 'New branding'}</h2>
              <fieldset disabled={!mayModify} class="fieldset-plain">
                <TextField {...field('productName')} label="Product name" autoComplete="off" />
                <TextField
                  {...field('logoUrl')}
                  label="Logo URL"
                  type="url"
                  spellcheck={false}
                  hint="An absolute https URL; the image is loaded by the recipient’s mail client."
                />
                <TextField {...field('supportEmail')} label="Support address" type="email" autoComplete="off" />
                <TextAreaField {...field('footer')} label="Footer" rows={4} hint="Up to 2,000 characters; line breaks are kept." />
              </fieldset>
            </section>
            <EditorActions
              what="branding"
              mayModify={mayModify}
              readOnly="Your role can read the branding but not change it."
              editor={editor}
            />
          </form>
          <section class="card" aria-label="Preview kind">
            <SelectField name="previewKind" label="Preview it in" value={previewKind} options={KIND_OPTIONS} onValue={setPreviewKind} />
          </section>
          <TemplatePreview
            key={`${t.key}/${previewKind}`}
            kind={previewKind}
            query={t.query}
            branding={brandingBodyOf(form)}
            onError={(e) => editor.showErrors(brandingErrorsOf(e))}
          />
        </>
      ) : null}

      <ConfirmDialog
        open={editor.confirmDelete}
        title={`Delete ${t.scope.orgId ? 'the organization’s' : 'the partner’s'} branding?`}
        confirmLabel="Delete branding"
        danger
        onConfirm={() => void editor.remove()}
        onCancel={() => editor.setConfirmDelete(false)}
      >
        <p>
          {t.scope.orgId
            ? 'The partner’s branding takes over at once, or none when the partner has none.'
            : 'Emails go out unbranded at once (organizations with their own branding keep it).'}
        </p>
      </ConfirmDialog>
    </>
  );
}
