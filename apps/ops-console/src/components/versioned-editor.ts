/**
 * Editing one scope's own version of a resource (a kind's template, the branding) over the API: read
 * it (the ETag counts only when the scope has its own), save it whole with If-Match of the ETag it
 * loaded or If-None-Match: * to create, delete it with If-Match, and on 412 show what changed meanwhile
 * instead of overwriting it. Pages supply what differs: the address, the form of a view and the body
 * of a form, the field errors of a refusal, and what a save or delete leaves in effect.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { OwnStamp, refusalOf } from '../templates';
import type { TemplateScope } from './template-scope';

interface Loaded<V, F> {
  view: V;
  etag: string | null;
  /** The form as saved: what Discard goes back to. */
  saved: F;
}

type FieldErrors<F> = Partial<Record<keyof F, string>>;

export interface VersionedEditorSpec<V extends { own: OwnStamp | null }, F extends Record<keyof F, string>, A> {
  t: TemplateScope;
  path: string;
  blank: F;
  formOf: (view: V) => F;
  bodyOf: (form: F) => unknown;
  errorsOf: (error: unknown) => FieldErrors<F>;
  /** The fields in the order the page shows them: the first one with an error takes the focus. */
  fields: readonly (keyof F & string)[];
  /** What applies now, said after a save or a delete. */
  inEffectNote: (view: V) => string;
  /** Read with every load after the view; the form waits for it, and its failure is the load's. */
  alongside?: () => Promise<A>;
}

export function useVersionedEditor<V extends { own: OwnStamp | null }, F extends Record<keyof F, string>, A = undefined>(
  spec: VersionedEditorSpec<V, F, A>,
) {
  const { t, path } = spec;
  const [loaded, setLoaded] = useState<Loaded<V, F> | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [alongside, setAlongside] = useState<A | undefined>(undefined);
  const [form, setForm] = useState<F>(spec.blank);
  const [errors, setErrors] = useState<FieldErrors<F>>({});
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [conflict, setConflict] = useState<V | 'deleted' | null>(null);
  const [busy, setBusy] = useState<'save' | 'delete' | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [reloads, setReloads] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const chosen = Boolean(t.scope.partnerId || t.scope.orgId);

  const read = async (): Promise<Loaded<V, F>> => {
    const res = await api<V>('GET', path, { query: t.query });
    return { view: res.data, etag: res.data.own ? res.etag : null, saved: spec.formOf(res.data) };
  };

  useEffect(() => {
    if (!chosen) return;
    let cancelled = false;
    setLoaded(null);
    setLoadError(null);
    setErrors({});
    setConflict(null);
    (async () => {
      const next = await read();
      const also = spec.alongside ? await spec.alongside() : undefined;
      if (cancelled) return;
      setLoaded(next);
      setForm(next.saved);
      setAlongside(also);
    })().catch((e: unknown) => !cancelled && setLoadError(refusalOf(e)));
    return () => {
      cancelled = true;
    };
  }, [t.key, path, reloads]);

  const set = (key: keyof F, value: string) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key]) setErrors(({ [key]: _drop, ...rest }) => rest as FieldErrors<F>);
  };

  /** A field's value, error and change handler, keyed by its name. */
  const field = <K extends keyof F & string>(name: K) => ({
    name,
    value: form[name] as string,
    onValue: (v: string) => set(name, v),
    error: errors[name],
  });

  const showErrors = (errs: FieldErrors<F>) => {
    const present = Object.fromEntries(Object.entries(errs).filter(([, v]) => v)) as FieldErrors<F>;
    setErrors(present);
    const first = spec.fields.find((k) => present[k]);
    if (first) requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus());
  };

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
    showErrors(spec.errorsOf(e));
    setNotice({ kind: 'error', text: refusalOf(e) });
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!loaded) return;
    setBusy('save');
    setNotice(null);
    try {
      const res = await api<V>('PUT', path, {
        query: t.query,
        body: spec.bodyOf(form),
        headers: loaded.view.own && loaded.etag ? { 'if-match': loaded.etag } : { 'if-none-match': '*' },
      });
      const next = { view: res.data, etag: res.etag, saved: spec.formOf(res.data) };
      setLoaded(next);
      setForm(next.saved);
      setErrors({});
      setConflict(null);
      setNotice({ kind: 'success', text: `Saved version ${res.data.own?.version ?? '?'}. ${spec.inEffectNote(res.data)}` });
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
      setNotice({ kind: 'success', text: `Deleted. ${spec.inEffectNote(next.view)}` });
    } catch (e) {
      await handleWriteError(e);
    } finally {
      setBusy(null);
    }
  };

  const discard = () => {
    if (!loaded) return;
    setForm(loaded.saved);
    setErrors({});
  };

  return {
    /** Whether a partner or an organization is chosen; until then there is nothing to read. */
    chosen,
    loaded,
    loadError,
    alongside,
    form,
    errors,
    notice,
    conflict,
    busy,
    confirmDelete,
    setConfirmDelete,
    formRef,
    field,
    showErrors,
    save,
    remove,
    discard,
    reload: () => setReloads((n) => n + 1),
  };
}
