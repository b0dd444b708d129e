/**
 * One kind's template for one scope: the scope's own override (or the template in effect from above as
 * a starting point), its variables, save with optimistic locking (If-Match of the ETag it loaded, or
 * If-None-Match: * to create), delete naming the level that takes over, and a preview of the unsaved form.
 * A refused template's errors (part, line, column) sit beside the part they are about.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { PageProps } from '../app';
import { TextField } from '../components/fields';
import { SourceBadge } from '../components/source-badge';
import { TemplatePreview } from '../components/template-preview';
import { ChoosePartnerFirst, OrgRuleNotice, ScopePicker, useTemplateScope } from '../components/template-scope';
import { TextAreaField } from '../components/textarea-field';
import { ConfirmDialog, Loading, Notice, PageHeader } from '../components/ui';
import { when } from '../format';
import { can } from '../session';
import { apiScope } from '../tenants';
import {
  kindLabel,
  refusalOf,
  SOURCE_LABELS,
  TemplateForm,
  templateBodyOf,
  templateErrorsOf,
  templateFormOf,
  TemplateList,
  TemplatePart,
  TEMPLATES,
  TemplateSourceLevel,
  TemplateView,
} from '../templates';

interface Loaded {
  view: TemplateView;
  etag: string | null;
  saved: TemplateForm;
}

type PartErrors = Partial<Record<TemplatePart, string>>;

export function TemplateEditorPage({ session, location, kind }: PageProps & { kind: string }) {
  const { me } = session;
  const t = useTemplateScope(me, location);
  const path = `${TEMPLATES}/${encodeURIComponent(kind)}`;
  const mayModify = can(me, 'system_setting:modify');

  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [form, setForm] = useState<TemplateForm>({ subject: '', text: '', html: '' });
  const [errors, setErrors] = useState<PartErrors>({});
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'info'; text: string } | null>(null);
  const [conflict, setConflict] = useState<TemplateView | 'deleted' | null>(null);
  const [busy, setBusy] = useState<'save' | 'delete' | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [parentSource, setParentSource] = useState<TemplateSourceLevel | null>(null);
  const [reloads, setReloads] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);

  const read = async () => {
    const res = await api<TemplateView>('GET', path, { query: t.query });
    return { view: res.data, etag: res.data.own ? res.etag : null, saved: templateFormOf(res.data) };
  };

  useEffect(() => {
    if (!t.scope.partnerId && !t.scope.orgId) return;
    let cancelled = false;
    setLoaded(null);
    setLoadError(null);
    setErrors({});
    setConflict(null);
    (async () => {
      const next = await read();
      // What takes over when an org's own template is deleted: the partner's, else the built-in one.
      const parent =
        t.scope.orgId && !me.scope.org_id
          ? (
              await api<TemplateList>('GET', TEMPLATES, { query: apiScope({ partnerId: t.scope.partnerId, orgId: null }) })
            ).data.templates.find((k) => k.kind === kind)?.source
          : null;
      if (cancelled) return;
      setLoaded(next);
      setForm(next.saved);
      setParentSource(parent ?? null);
    })().catch((e: unknown) => !cancelled && setLoadError(refusalOf(e)));
    return () => {
      cancelled = true;
    };
  }, [t.key, kind, reloads]);

  if (!t.scope.partnerId && !t.scope.orgId) return <ChoosePartnerFirst title="Email template" />;

  const scopeName = t.scope.orgId ? (t.org?.name ?? 'this organization') : 'the partner';
  const back = <a href={t.link('/templates')}>All templates</a>;

  const set = (key: TemplatePart, value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors(({ [key]: _drop, ...rest }) => rest);
  };
  const showErrors = (errs: PartErrors) => {
    const present = Object.fromEntries(Object.entries(errs).filter(([, v]) => v)) as PartErrors;
    setErrors(present);
    const first = (['subject', 'text', 'html'] as const).find((k) => present[k]);
    if (first) requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus());
  };
  const inEffectNote = (view: TemplateView) =>
    `In effect for ${scopeName} now: ${SOURCE_LABELS[view.source]}${view.own && !view.own.in_effect ? ' (this organization’s own template is kept but not used while its SMTP override is off)' : ''}.`;

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
    showErrors(templateErrorsOf(e));
    setNotice({ kind: 'error', text: refusalOf(e) });
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!loaded) return;
    setBusy('save');
    setNotice(null);
    try {
      const res = await api<TemplateView>('PUT', path, {
        query: t.query,
        body: templateBodyOf(form),
        headers: loaded.view.own && loaded.etag ? { 'if-match': loaded.etag } : { 'if-none-match': '*' },
      });
      const next = { view: res.data, etag: res.etag, saved: templateFormOf(res.data) };
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
      await api('DELETE', path, { query: t.query, headers: loaded.etag ? { 'if-match': loaded.etag } : {} });
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
              <dt>Own template</dt>
              <dd data-testid="own-template">
                {own
                  ? `Version ${own.version}, saved ${when(own.updated_at)}${own.updated_by ? ` by ${own.updated_by}` : ''}${own.in_effect ? '' : '; not in effect'}`
                  : `None: the form starts from the template in effect (${SOURCE_LABELS[view.source].toLowerCase()}).`}
              </dd>
            </div>
          </dl>
        </section>
      ) : null}

      {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
      {conflict ? (
        <Notice kind="warning" id="conflict">
          <p>
            <strong>Someone else changed this template while you were editing.</strong>{' '}
            {conflict === 'deleted'
              ? 'It has been deleted meanwhile.'
              : `It is now version ${conflict.own?.version}, saved${conflict.own?.updated_by ? ` by ${conflict.own.updated_by}` : ''} at ${when(conflict.own?.updated_at)}.`}{' '}
            Your changes were not saved.
          </p>
          <button type="button" class="button" onClick={() => setReloads((n) => n + 1)}>
            Reload the current template (discards your edits)
          </button>
        </Notice>
      ) : null}

      {!loaded && !loadError ? <Loading what="the template" /> : null}
      {loaded && view ? (
        <>
          <form ref={formRef} onSubmit={(e) => void save(e)} noValidate aria-labelledby="template-title">
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
                    name="subject"
                    label="Subject"
                    required
                    spellcheck={false}
                    value={form.subject}
                    onValue={(v) => set('subject', v)}
                    error={errors.subject}
                    hint="One line; Liquid: {{ variable }}, {% if %}, filters."
                    class="input-wide"
                  />
                  <TextAreaField
                    name="text"
                    label="Text"
                    required
                    mono
                    rows={12}
                    value={form.text}
                    onValue={(v) => set('text', v)}
                    error={errors.text}
                    hint="The plain-text part, not escaped."
                  />
                  <TextAreaField
                    name="html"
                    label="HTML"
                    mono
                    rows={12}
                    value={form.html}
                    onValue={(v) => set('html', v)}
                    error={errors.html}
                    hint="Optional: empty means a text-only email. Every output is HTML-escaped unless written with | raw."
                  />
                </fieldset>
              </section>
              <VariableList variables={view.variables} />
            </div>
            {mayModify ? (
              <div class="actions actions--footer">
                <button type="submit" class="button button--primary" disabled={busy !== null}>
                  {busy === 'save' ? 'Saving…' : 'Save template'}
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
                    Delete own template…
                  </button>
                ) : null}
              </div>
            ) : (
              <p class="muted">Your role can read this template but not change it.</p>
            )}
          </form>

          <TemplatePreview
            key={`${t.key}/${kind}`}
            kind={kind}
            query={t.query}
            template={form}
            sample={view.sample_data}
            onTemplateErrors={showErrors}
          />
        </>
      ) : null}

      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${t.scope.orgId ? 'the organization’s' : 'the partner’s'} ${kindLabel(kind).toLowerCase()} template?`}
        confirmLabel="Delete template"
        danger
        onConfirm={() => void remove()}
        onCancel={() => setConfirmDelete(false)}
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
