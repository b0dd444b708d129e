/**
 * The branding of one scope (product name, logo, support address, footer) that every kind sees as
 * brand.*: the scope's own or the one in effect from above, saved as a whole with the same ETag rules
 * as a template, deleted with the level above taking over, and previewed unsaved in any kind.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { PageProps } from '../app';
import { SelectField, TextField } from '../components/fields';
import { SourceBadge } from '../components/source-badge';
import { TemplatePreview } from '../components/template-preview';
import { ChoosePartnerFirst, OrgRuleNotice, ScopePicker, useTemplateScope } from '../components/template-scope';
import { TextAreaField } from '../components/textarea-field';
import { ConfirmDialog, Loading, Notice, PageHeader } from '../components/ui';
import { when } from '../format';
import { can } from '../session';
import {
  BRANDING,
  BrandingForm,
  brandingBodyOf,
  brandingErrorsOf,
  brandingFormOf,
  BrandingView,
  KIND_LABELS,
  refusalOf,
  SOURCE_LABELS,
} from '../templates';

interface Loaded {
  view: BrandingView;
  etag: string | null;
  saved: BrandingForm;
}

type FieldErrors = Partial<Record<keyof BrandingForm, string>>;

const KIND_OPTIONS = Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }));

export function BrandingPage({ session, location }: PageProps) {
  const { me } = session;
  const t = useTemplateScope(me, location);
  const mayModify = can(me, 'system_setting:modify');

  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [form, setForm] = useState<BrandingForm>({ productName: '', logoUrl: '', supportEmail: '', footer: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [conflict, setConflict] = useState<BrandingView | 'deleted' | null>(null);
  const [busy, setBusy] = useState<'save' | 'delete' | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [previewKind, setPreviewKind] = useState('password_setup');
  const [reloads, setReloads] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);

  const read = async (): Promise<Loaded> => {
    const res = await api<BrandingView>('GET', BRANDING, { query: t.query });
    return { view: res.data, etag: res.data.own ? res.etag : null, saved: brandingFormOf(res.data) };
  };

  useEffect(() => {
    if (!t.scope.partnerId && !t.scope.orgId) return;
    let cancelled = false;
    setLoaded(null);
    setLoadError(null);
    setErrors({});
    setConflict(null);
    read().then(
      (next) => {
        if (cancelled) return;
        setLoaded(next);
        setForm(next.saved);
      },
      (e: unknown) => !cancelled && setLoadError(refusalOf(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [t.key, reloads]);

  if (!t.scope.partnerId && !t.scope.orgId) return <ChoosePartnerFirst title="Branding" />;

  const scopeName = t.scope.orgId ? (t.org?.name ?? 'this organization') : 'the partner';
  const set = (key: keyof BrandingForm, value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors(({ [key]: _drop, ...rest }) => rest);
  };
  const showErrors = (errs: FieldErrors) => {
    setErrors(errs);
    const first = Object.keys(errs)[0];
    if (first) requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus());
  };
  const inEffectNote = (view: BrandingView) => `In effect for ${scopeName} now: ${SOURCE_LABELS[view.source]}.`;

  const handleWriteError = async (e: unknown) => {
    if (e instanceof ApiError && e.status === 412) {
      try {
        const now = await read();
        setConflict(now.view.own ? now.view : 'deleted');
      } catch {
        setConflict('deleted');
      }
      return;
    }
    showErrors(brandingErrorsOf(e));
    setNotice({ kind: 'error', text: refusalOf(e) });
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!loaded) return;
    setBusy('save');
    setNotice(null);
    try {
      const res = await api<BrandingView>('PUT', BRANDING, {
        query: t.query,
        body: brandingBodyOf(form),
        headers: loaded.view.own && loaded.etag ? { 'if-match': loaded.etag } : { 'if-none-match': '*' },
      });
      const next = { view: res.data, etag: res.etag, saved: brandingFormOf(res.data) };
      setLoaded(next);
      setForm(next.saved);
      setErrors({});
      setConflict(null);
      setNotice({ kind: 'success', text: `Saved version ${res.data.own?.version ?? '?'}. ${inEffectNote(res.data)}` });
    } catch (e) {
      await handleWriteError(e);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    setConfirmDelete(false);
    if (!loaded?.view.own) return;
    setBusy('delete');
    setNotice(null);
    try {
      await api('DELETE', BRANDING, { query: t.query, headers: loaded.etag ? { 'if-match': loaded.etag } : {} });
      const next = await read();
      setLoaded(next);
      setForm(next.saved);
      setErrors({});
      setNotice({ kind: 'success', text: `Deleted. ${inEffectNote(next.view)}` });
    } catch (e) {
      await handleWriteError(e);
    } finally {
      setBusy(null);
    }
  };

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
      {view ? (
        <section class="card status-card" aria-labelledby="state-title">
          <h2 id="state-title" class="visually-hidden">
            In effect now
          </h2>
          <dl class="status-list">
            <div>
              <dt>In effect now for {scopeName}</dt>
              <dd>
                <SourceBadge source={view.source} testId="in-effect" />
              </dd>
            </div>
            <div>
              <dt>Own branding</dt>
              <dd data-testid="own-branding">
                {own
                  ? `Version ${own.version}, saved ${when(own.updated_at)}${own.updated_by ? ` by ${own.updated_by}` : ''}${own.in_effect ? '' : '; not in effect'}`
                  : 'None'}
              </dd>
            </div>
          </dl>
        </section>
      ) : null}

      {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
      {conflict ? (
        <Notice kind="warning" id="conflict">
          <p>
            <strong>Someone else changed this branding while you were editing.</strong>{' '}
            {conflict === 'deleted'
              ? 'It has been deleted meanwhile.'
              : `It is now version ${conflict.own?.version}, saved${conflict.own?.updated_by ? ` by ${conflict.own.updated_by}` : ''} at ${when(conflict.own?.updated_at)}.`}{' '}
            Your changes were not saved.
          </p>
          <button type="button" class="button" onClick={() => setReloads((n) => n + 1)}>
            Reload the current branding (discards your edits)
          </button>
        </Notice>
      ) : null}

      {!loaded && !loadError ? <Loading what="the branding" /> : null}
      {loaded ? (
        <>
          <form ref={formRef} onSubmit={(e) => void save(e)} noValidate aria-labelledby="branding-form-title">
            <section class="card">
              <h2 id="branding-form-title">{own ? `Branding (version ${own.version})` : 'New branding'}</h2>
              <fieldset disabled={!mayModify} class="fieldset-plain">
                <TextField
                  name="productName"
                  label="Product name"
                  value={form.productName}
                  onValue={(v) => set('productName', v)}
                  error={errors.productName}
                  autoComplete="off"
                />
                <TextField
                  name="logoUrl"
                  label="Logo URL"
                  type="url"
                  spellcheck={false}
                  value={form.logoUrl}
                  onValue={(v) => set('logoUrl', v)}
                  error={errors.logoUrl}
                  hint="An absolute https URL; the image is loaded by the recipient’s mail client."
                />
                <TextField
                  name="supportEmail"
                  label="Support address"
                  type="email"
                  value={form.supportEmail}
                  onValue={(v) => set('supportEmail', v)}
                  error={errors.supportEmail}
                  autoComplete="off"
                />
                <TextAreaField
                  name="footer"
                  label="Footer"
                  rows={4}
                  value={form.footer}
                  onValue={(v) => set('footer', v)}
                  error={errors.footer}
                  hint="Up to 2,000 characters; line breaks are kept."
                />
              </fieldset>
            </section>
            {mayModify ? (
              <div class="actions actions--footer">
                <button type="submit" class="button button--primary" disabled={busy !== null}>
                  {busy === 'save' ? 'Saving…' : 'Save branding'}
                </button>
                <button
                  type="button"
                  class="button"
                  disabled={busy !== null}
                  onClick={() => {
                    setForm(loaded.saved);
                    setErrors({});
                  }}
                >
                  Discard changes
                </button>
                {own ? (
                  <button type="button" class="button button--danger" disabled={busy !== null} onClick={() => setConfirmDelete(true)}>
                    Delete own branding…
                  </button>
                ) : null}
              </div>
            ) : (
              <p class="muted">Your role can read the branding but not change it.</p>
            )}
          </form>
          <section class="card" aria-label="Preview kind">
            <SelectField name="previewKind" label="Preview it in" value={previewKind} options={KIND_OPTIONS} onValue={setPreviewKind} />
          </section>
          <TemplatePreview
            key={`${t.key}/${previewKind}`}
            kind={previewKind}
            query={t.query}
            branding={brandingBodyOf(form)}
            onError={(e) => showErrors(brandingErrorsOf(e))}
          />
        </>
      ) : null}

      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${t.scope.orgId ? 'the organization’s' : 'the partner’s'} branding?`}
        confirmLabel="Delete branding"
        danger
        onConfirm={() => void remove()}
        onCancel={() => setConfirmDelete(false)}
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
