/**
 * A scope's notification recipients (alerting, reporting, admin): who is told when its route fails or
 * recovers and who gets its reports. Not part of the SMTP profile, so saving them makes no new version;
 * saved with PUT and If-Match so two admins cannot overwrite each other unseen.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, fieldErrors, messageOf } from '../api';
import { TextField } from './fields';
import { Loading, Notice } from './ui';

const PATH = '/event/v1/email/config/notifications';

type Role = 'alerting_address' | 'reporting_address' | 'admin_address';

interface RecipientsView {
  admin_address: string[];
  alerting_address: string[];
  reporting_address: string[];
  version: number;
  updated_at: string;
  updated_by: string | null;
}

const FIELDS: readonly { role: Role; label: string; hint: string }[] = [
  { role: 'alerting_address', label: 'Alerting addresses', hint: 'Told when this scope’s SMTP route starts failing and when it recovers.' },
  { role: 'reporting_address', label: 'Reporting addresses', hint: 'Receive the periodic delivery report.' },
  { role: 'admin_address', label: 'Admin addresses', hint: 'Who administers this scope’s email.' },
];

type Values = Record<Role, string>;
const EMPTY: Values = { alerting_address: '', reporting_address: '', admin_address: '' };

const textOf = (v: RecipientsView): Values => ({
  alerting_address: v.alerting_address.join(', '),
  reporting_address: v.reporting_address.join(', '),
  admin_address: v.admin_address.join(', '),
});

const listOf = (text: string): string[] =>
  text
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);

/** `alerting_address[1]` and `alerting_address` both belong to the alerting field. */
function errorsByRole(e: unknown): Partial<Values> {
  const out: Partial<Values> = {};
  for (const [field, message] of Object.entries(fieldErrors(e))) {
    const role = field.replace(/\[\d+\]$|\.\d+$/, '') as Role;
    if (FIELDS.some((f) => f.role === role)) out[role] ??= message;
  }
  return out;
}

export function NotificationRecipients({ query, mayModify }: { query: Record<string, string | undefined>; mayModify: boolean }) {
  const [values, setValues] = useState<Values | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [errors, setErrors] = useState<Partial<Values>>({});
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    let cancelled = false;
    api<RecipientsView>('GET', PATH, { query })
      .then((res) => {
        if (cancelled) return;
        setValues(textOf(res.data));
        setEtag(res.etag);
      })
      .catch((e: unknown) => {
        if (cancelled) return;
        setValues(EMPTY);
        if (!(e instanceof ApiError && e.code === 'NOTIFICATION_RECIPIENTS_NOT_FOUND')) setNotice({ kind: 'error', text: messageOf(e) });
      });
    return () => {
      cancelled = true;
    };
  }, [reloads]);

  const save = async (event: Event) => {
    event.preventDefault();
    if (!values) return;
    setBusy(true);
    setNotice(null);
    try {
      const res = await api<RecipientsView>('PUT', PATH, {
        query,
        body: Object.fromEntries(FIELDS.map((f) => [f.role, listOf(values[f.role])])),
        headers: etag ? { 'if-match': etag } : {},
      });
      setValues(textOf(res.data));
      setEtag(res.etag);
      setErrors({});
      setNotice({ kind: 'success', text: 'Notification recipients saved.' });
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        setErrors({});
        setNotice({ kind: 'error', text: `${messageOf(e)} The recipients saved meanwhile are shown again; your changes were not saved.` });
        setReloads((n) => n + 1);
        return;
      }
      const errs = errorsByRole(e);
      setErrors(errs);
      const count = Object.keys(errs).length;
      setNotice({
        kind: 'error',
        text:
          count > 0
            ? `${count === 1 ? 'One field needs' : `${count} fields need`} attention; see the messages next to them.`
            : messageOf(e),
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="recipients-title">
      <h2 id="recipients-title">Notification recipients</h2>
      <p class="hint">Comma-separated addresses, up to 5 each. Changing them makes no new profile version.</p>
      {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
      {values === null ? (
        <Loading what="the recipients" />
      ) : (
        <form onSubmit={(e) => void save(e)} noValidate aria-labelledby="recipients-title">
          <fieldset disabled={!mayModify} class="fieldset-plain">
            {FIELDS.map((f) => (
              <TextField
                key={f.role}
                name={f.role}
                label={f.label}
                type="text"
                inputMode="email"
                autoComplete="off"
                spellcheck={false}
                value={values[f.role]}
                hint={f.hint}
                error={errors[f.role]}
                onValue={(v) => {
                  setValues((old) => ({ ...(old ?? EMPTY), [f.role]: v }));
                  if (errors[f.role]) setErrors(({ [f.role]: _drop, ...rest }) => rest);
                }}
              />
            ))}
          </fieldset>
          {mayModify ? (
            <button type="submit" class="button button--primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save recipients'}
            </button>
          ) : null}
        </form>
      )}
    </section>
  );
}
