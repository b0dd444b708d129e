/**
 * The SMTP profile of one scope (the partner, or one of its organizations): what is in force, the
 * editable profile with provider presets, a test from the unsaved form, save with optimistic locking
 * (If-Match) and delete with a confirmation naming the level that takes over.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, fieldErrors, messageOf, Problem } from '../api';
import type { PageProps } from '../app';
import { CheckboxField, PemField, SelectField, TextField } from '../components/fields';
import { RouteHealth } from '../components/route-health';
import { NotificationRecipients } from '../components/notification-recipients';
import { SecretField } from '../components/secret-field';
import { failureRows, StageList, successRows, VerificationAnswer } from '../components/stage-list';
import { ProfileRoute, VersionHistory } from '../components/version-history';
import { ConfirmDialog, LEVEL_LABELS, LevelBadge, Loading, Notice, PageHeader, Switch } from '../components/ui';
import { routeStatus, RouteStatus } from '../health';
import { when } from '../format';
import { href, navigate } from '../router';
import { can } from '../session';
import {
  applyPreset,
  AuthType,
  DEFAULT_PORT,
  emptyForm,
  formErrorsOf,
  formOf,
  payloadOf,
  PRESETS,
  ProfileView,
  secretRequiredBecause,
  SmtpForm,
  TlsMode,
} from '../smtp-form';
import { apiScope, listOrganizations, Organization, scopeOf, scopeQuery } from '../tenants';

const CONFIG = '/event/v1/email/config';
const PATH_PREFIX = 'email_config.smtp_config.';

interface Loaded {
  profile: ProfileView | null;
  etag: string | null;
  saved: SmtpForm | null;
  overrideDisabled?: boolean;
}

interface TestOutcome {
  ok: boolean;
  rows: ReturnType<typeof successRows>;
  answer?: VerificationAnswer;
  problem?: Problem;
}

const TLS_OPTIONS: readonly { value: TlsMode; label: string }[] = [
  { value: 'starttls', label: 'STARTTLS' },
  { value: 'implicit', label: 'Implicit TLS' },
  { value: 'none', label: 'None (plain text)' },
];
const AUTH_OPTIONS: readonly { value: AuthType; label: string }[] = [
  { value: 'basic', label: 'Username and password' },
  { value: 'oauth2', label: 'OAuth2 client credentials (XOAUTH2)' },
  { value: 'none', label: 'None' },
];

export function SmtpPage({ session, location }: PageProps) {
  const { me, settings } = session;
  const scope = scopeOf(me, location.query);
  const scopeParams = apiScope(scope);
  const [route, setRoute] = useState<ProfileRoute>('primary');
  // The route's own profile: every config call but the level in force (`routeStatus`) names it.
  const configParams = { ...scopeParams, route: route === 'secondary' ? 'secondary' : undefined };
  const scopeKey = `${scope.partnerId}/${scope.orgId}/${route}`;
  const mayModify = can(me, 'system_setting:modify');

  const [orgs, setOrgs] = useState<Organization[]>([]);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [form, setForm] = useState<SmtpForm>(emptyForm);
  const [status, setStatus] = useState<RouteStatus | null>(null);
  const [parentStatus, setParentStatus] = useState<RouteStatus | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'info'; text: string } | null>(null);
  const [conflict, setConflict] = useState<ProfileView | 'deleted' | null>(null);
  const [busy, setBusy] = useState<'save' | 'delete' | 'test' | 'toggle' | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [preset, setPreset] = useState('');
  const [recipient, setRecipient] = useState(me.email);
  const [testMode, setTestMode] = useState<'send' | 'connect'>('send');
  const [test, setTest] = useState<TestOutcome | null>(null);
  const [reloads, setReloads] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);

  const org = scope.orgId ? orgs.find((o) => o.id === scope.orgId) : undefined;

  useEffect(() => {
    if (!scope.partnerId && !scope.orgId) return;
    let cancelled = false;
    setLoaded(null);
    setErrors({});
    setTest(null);
    setConflict(null);
    (async () => {
      const orgList = await listOrganizations(me.scope.level === 'controller' ? scope.partnerId : undefined);
      let next: Loaded;
      try {
        const res = await api<ProfileView>('GET', CONFIG, { query: configParams });
        next = { profile: res.data, etag: res.etag, saved: formOf(res.data.email_config.smtp_config) };
      } catch (e) {
        if (e instanceof ApiError && e.code === 'SMTP_PROFILE_NOT_FOUND') next = { profile: null, etag: null, saved: null };
        else if (e instanceof ApiError && e.code === 'SMTP_OVERRIDE_DISABLED')
          next = { profile: null, etag: null, saved: null, overrideDisabled: true };
        else throw e;
      }
      const [own, parent] = await Promise.all([
        routeStatus(scopeParams),
        scope.orgId && !me.scope.org_id ? routeStatus({ partner_id: scope.partnerId ?? undefined }) : Promise.resolve(null),
      ]);
      if (cancelled) return;
      setOrgs(orgList);
      setLoaded(next);
      setForm(next.saved ?? emptyForm());
      setStatus(own);
      setParentStatus(parent);
    })().catch((e: unknown) => !cancelled && setNotice({ kind: 'error', text: messageOf(e) }));
    return () => {
      cancelled = true;
    };
  }, [scopeKey, reloads]);

  if (!scope.partnerId && !scope.orgId) {
    return (
      <>
        <PageHeader title="SMTP" />
        <p>Choose a partner first (the Partner menu at the top).</p>
      </>
    );
  }

  const set = <K extends keyof SmtpForm>(key: K, value: SmtpForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (errors[key as string]) setErrors(({ [key as string]: _drop, ...rest }) => rest);
  };
  /** A form field's name, value, setter and error, wired to the form's key of the same name. */
  const bind = <K extends keyof SmtpForm & string>(key: K) => ({
    name: key,
    value: form[key],
    onValue: (v: SmtpForm[K]) => set(key, v),
    error: errors[key],
  });
  const cfg = loaded?.profile?.email_config.smtp_config;
  const saved = loaded?.saved ?? null;
  const passwordWhy = secretRequiredBecause('password', form, saved, Boolean(cfg?.password_set) && form.authType === 'basic');
  const clientSecretWhy = secretRequiredBecause('clientSecret', form, saved, Boolean(cfg?.client_secret_set) && form.authType === 'oauth2');
  const clientKeyWhy = secretRequiredBecause('clientKey', form, saved, Boolean(cfg?.client_key_set) && Boolean(form.clientCert.trim()));
  const scopeName = scope.orgId ? (org?.name ?? 'this organization') : 'the partner';

  /** Checks a new secret is typed where one is needed, before the API would answer SECRET_REQUIRED. */
  const missingSecrets = (): Record<string, string> => {
    const out: Record<string, string> = {};
    if (passwordWhy && !form.password.value) out.password = 'Enter the password again for the changed destination.';
    if (clientSecretWhy && !form.clientSecret.value) out.clientSecret = 'Enter the client secret again for the changed destination.';
    if (clientKeyWhy && !form.clientKey.value) out.clientKey = 'Enter the client key again for the changed destination.';
    return out;
  };

  const focusFirstError = (errs: Record<string, string>) => {
    const first = Object.keys(errs).find((k) => k !== '_form');
    if (!first) return;
    requestAnimationFrame(() => {
      const el = formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`);
      el?.focus();
    });
  };

  const showErrors = (errs: Record<string, string>) => {
    setErrors(errs);
    focusFirstError(errs);
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!loaded) return;
    const missing = missingSecrets();
    if (Object.keys(missing).length > 0) return showErrors(missing);
    setBusy('save');
    setNotice(null);
    try {
      const res = await api<ProfileView>('POST', CONFIG, {
        query: configParams,
        body: { email_config: { smtp_config: payloadOf(form) } },
        headers: loaded.profile && loaded.etag ? { 'if-match': loaded.etag } : { 'if-none-match': '*' },
      });
      const savedForm = formOf(res.data.email_config.smtp_config);
      setLoaded({ profile: res.data, etag: res.etag, saved: savedForm });
      setForm(savedForm);
      setErrors({});
      const now = await routeStatus(scopeParams);
      setStatus(now);
      setNotice({
        kind: 'success',
        text: `Saved version ${res.data.email_config.metadata.version}. In force for ${scopeName} now: ${LEVEL_LABELS[now.level]}.`,
      });
    } catch (e) {
      await handleWriteError(e);
    } finally {
      setBusy(null);
    }
  };

  const handleWriteError = async (e: unknown) => {
    if (e instanceof ApiError && e.status === 412) {
      try {
        setConflict((await api<ProfileView>('GET', CONFIG, { query: configParams })).data);
      } catch {
        setConflict('deleted');
      }
      return;
    }
    const errs = formErrorsOf(fieldErrors(e, PATH_PREFIX));
    if (Object.keys(errs).length > 0) showErrors(errs);
    setNotice({ kind: 'error', text: messageOf(e) });
  };

  /** A version put in force from the history: the form shows it, and the level in force is read again. */
  const activated = async (profile: ProfileView, etag: string | null) => {
    const savedForm = formOf(profile.email_config.smtp_config);
    setLoaded({ profile, etag, saved: savedForm });
    setForm(savedForm);
    setErrors({});
    setConflict(null);
    setStatus(await routeStatus(scopeParams));
  };

  const remove = async () => {
    setConfirmDelete(false);
    if (!loaded?.profile) return;
    setBusy('delete');
    setNotice(null);
    try {
      await api('DELETE', CONFIG, { query: configParams, headers: loaded.etag ? { 'if-match': loaded.etag } : {} });
      setLoaded({ profile: null, etag: null, saved: null });
      setForm(emptyForm());
      const now = await routeStatus(scopeParams);
      setStatus(now);
      setNotice({ kind: 'success', text: `Deleted. In force for ${scopeName} now: ${LEVEL_LABELS[now.level]}.` });
    } catch (e) {
      await handleWriteError(e);
    } finally {
      setBusy(null);
    }
  };

  const runTest = async () => {
    const missing = missingSecrets();
    if (Object.keys(missing).length > 0) return showErrors(missing);
    setBusy('test');
    setTest(null);
    const mode = testMode;
    const tlsMode = form.tlsMode;
    const authType = form.authType;
    try {
      const res = await api<VerificationAnswer>('POST', `${CONFIG}/verification`, {
        query: configParams,
        body: {
          recipient_email: recipient.trim(),
          mode,
          subject: 'Test email from the mailstrata ops console',
          body: `This test email was sent from the mailstrata ops console by ${me.email} to check an SMTP profile before saving it.`,
          smtp_config: payloadOf(form),
        },
      });
      setTest({ ok: true, rows: successRows(res.data, authType), answer: res.data });
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'SMTP_DELIVERY_FAILED' || e.code === 'SMTP_DESTINATION_REFUSED')) {
        setTest({ ok: false, rows: failureRows(e.problem, mode, tlsMode, authType), problem: e.problem });
      } else {
        const all = fieldErrors(e);
        const formErrs = formErrorsOf(fieldErrors(e, 'smtp_config.'));
        if (all.recipient_email) formErrs.recipient = all.recipient_email;
        delete formErrs._form;
        if (Object.keys(formErrs).length > 0) showErrors(formErrs);
        setTest({ ok: false, rows: [], problem: e instanceof ApiError ? e.problem : { status: 0, code: 'ERROR', detail: messageOf(e) } });
      }
    } finally {
      setBusy(null);
    }
  };

  const toggleOverride = async () => {
    if (!org) return;
    setBusy('toggle');
    try {
      await api('PATCH', `/auth/v1/organizations/${org.id}`, { body: { smtp_override_enabled: !org.smtp_override_enabled } });
      setReloads((n) => n + 1);
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    } finally {
      setBusy(null);
    }
  };

  const takesOver = (): string => {
    if (route === 'secondary') return `There is no failover for ${scopeName} any more: a failing primary route is retried on itself only.`;
    if (scope.orgId) {
      if (org && !org.smtp_override_enabled)
        return 'Nothing changes for system emails: this organization’s override is off, so its profile is not in force.';
      if (parentStatus) {
        return parentStatus.level === 'none'
          ? 'Nothing: the partner has no profile and there is no controller default, so system emails for this organization will fail (NO_SMTP_CONFIG).'
          : `The ${LEVEL_LABELS[parentStatus.level].toLowerCase()} profile (${parentStatus.effective?.email_config.smtp_config.host}) takes over.`;
      }
      return 'The partner’s profile takes over, or the controller default when the partner has none.';
    }
    if (settings.controller_default === 'mail_catcher') return 'The controller default takes over: the development mail catcher (Mailbox).';
    if (settings.controller_default === 'environment')
      return 'The controller default (the operator’s FW_EVENT_SMTP_SERVER_* settings) takes over.';
    return 'Nothing: there is no controller default, so system emails for this partner and its organizations without their own profile will fail (NO_SMTP_CONFIG).';
  };

  const chooseScope = (orgId: string) => navigate(href('/smtp', scopeQuery(me, { partnerId: scope.partnerId, orgId: orgId || null })));
  const readOnly = !mayModify;
  const errorCount = Object.keys(errors).filter((k) => k !== '_form').length;
  const meta = loaded?.profile?.email_config.metadata;

  return (
    <>
      <PageHeader title={scope.orgId ? `SMTP profile: ${org?.name ?? 'organization'}` : 'SMTP profile: partner'}>
        {!me.scope.org_id ? (
          <div class="inline-field">
            <label for="scope-picker">Profile of</label>
            <select id="scope-picker" value={scope.orgId ?? ''} onChange={(e) => chooseScope((e.target as HTMLSelectElement).value)}>
              <option value="">The partner</option>
              {orgs.map((o) => (
                <option key={o.id} value={o.id}>
                  Organization: {o.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </PageHeader>

      <section class="card status-card" aria-labelledby="in-force-title">
        <h2 id="in-force-title" class="visually-hidden">
          In force now
        </h2>
        {status ? (
          <dl class="status-list">
            <div>
              <dt>In force now</dt>
              <dd>
                <LevelBadge level={status.level} testId="in-force" />
                {status.effective ? (
                  <span class="mono small">
                    {' '}
                    {`${status.effective.email_config.smtp_config.host}:${status.effective.email_config.smtp_config.port}`}
                  </span>
                ) : null}
              </dd>
            </div>
            <div>
              <dt>Health</dt>
              <dd>
                <RouteHealth health={status.health} known={Boolean(status.effective?.profile)} />
              </dd>
            </div>
            {org ? (
              <div>
                <dt id="override-label">Organization SMTP override</dt>
                <dd>
                  {can(me, 'organization:modify') ? (
                    <Switch
                      id="org-override"
                      label={`SMTP override for ${org.name}`}
                      checked={org.smtp_override_enabled}
                      busy={busy === 'toggle'}
                      onToggle={() => void toggleOverride()}
                    />
                  ) : (
                    <span>{org.smtp_override_enabled ? 'On' : 'Off'}</span>
                  )}
                  <span class="hint"> While off, this organization’s own profile is kept but not used.</span>
                </dd>
              </div>
            ) : null}
          </dl>
        ) : (
          <Loading what="the route in force" />
        )}
      </section>

      {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
      {conflict ? (
        <Notice kind="warning" id="conflict">
          <p>
            <strong>Someone else changed this profile while you were editing.</strong>{' '}
            {conflict === 'deleted'
              ? 'It has been deleted meanwhile.'
              : `It is now version ${conflict.email_config.metadata.version}, saved by ${conflict.email_config.metadata.updated_by.email} at ${when(conflict.email_config.metadata.updated_at)}.`}{' '}
            Your changes were not saved.
          </p>
          <button type="button" class="button" onClick={() => setReloads((n) => n + 1)}>
            Reload the current profile (discards your edits)
          </button>
        </Notice>
      ) : null}

      <fieldset class="radios route-switch">
        <legend>Route</legend>
        <label>
          <input type="radio" name="route" value="primary" checked={route === 'primary'} onChange={() => setRoute('primary')} /> Primary
        </label>
        <label>
          <input type="radio" name="route" value="secondary" checked={route === 'secondary'} onChange={() => setRoute('secondary')} />{' '}
          Secondary (failover)
        </label>
      </fieldset>

      {!loaded ? (
        <Loading what="the profile" />
      ) : loaded.overrideDisabled ? (
        <Notice kind="info">
          Your partner has not enabled organization-level SMTP for this organization; its system emails use the{' '}
          {status ? LEVEL_LABELS[status.level].toLowerCase() : 'partner'} route shown above.
        </Notice>
      ) : (
        <form ref={formRef} class="smtp-form" onSubmit={(e) => void save(e)} noValidate aria-labelledby="profile-title">
          <div class="section-title">
            <h2 id="profile-title">
              {route === 'secondary' ? 'Secondary route: ' : ''}
              {loaded.profile ? `Profile (version ${meta?.version})` : 'New profile'}
            </h2>
            {meta ? (
              <p class="muted small">
                Last saved {when(meta.updated_at)} by {meta.updated_by.email}
              </p>
            ) : (
              <p class="muted small">There is no {scope.orgId ? 'organization' : 'partner'} profile yet; the level above applies.</p>
            )}
          </div>
          {errorCount > 0 ? (
            <Notice kind="error">
              {errorCount === 1 ? 'One field needs' : `${errorCount} fields need`} attention; see the messages next to them.
            </Notice>
          ) : null}
          <fieldset disabled={readOnly} class="fieldset-plain">
            <div class="grid">
              <section class="card" aria-labelledby="server-title">
                <h3 id="server-title">Server</h3>
                <div class="field">
                  <label for="preset">Provider preset</label>
                  <select
                    id="preset"
                    value={preset}
                    aria-describedby="preset-hint"
                    onChange={(e) => {
                      const id = (e.target as HTMLSelectElement).value;
                      setPreset(id);
                      const p = PRESETS.find((x) => x.id === id);
                      if (p) setForm((f) => applyPreset(f, p));
                    }}
                  >
                    <option value="">Custom server</option>
                    {PRESETS.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.label}
                      </option>
                    ))}
                  </select>
                  <p class="hint" id="preset-hint">
                    {PRESETS.find((p) => p.id === preset)?.note ??
                      'Fills in host, port, TLS mode and authentication for a common provider.'}
                  </p>
                </div>
                <TextField {...bind('host')} label="Host" required spellcheck={false} autoComplete="off" />
                <div class="row">
                  <SelectField
                    name="tlsMode"
                    label="TLS mode"
                    value={form.tlsMode}
                    options={TLS_OPTIONS}
                    error={errors.tlsMode}
                    hint="STARTTLS usually on 587, implicit TLS on 465."
                    onValue={(v) => {
                      setForm((f) => ({ ...f, tlsMode: v, port: Object.values(DEFAULT_PORT).includes(f.port) ? DEFAULT_PORT[v] : f.port }));
                    }}
                  />
                  <TextField {...bind('port')} label="Port" inputMode="numeric" required class="input-short" />
                </div>
                <CheckboxField
                  name="useInsecure"
                  label="Skip certificate verification (use_insecure)"
                  checked={form.useInsecure}
                  onValue={(v) => set('useInsecure', v)}
                  error={errors.useInsecure}
                  hint="Only for servers with self-signed certificates you cannot replace; prefer a CA certificate below."
                />
                <TextField
                  {...bind('retries')}
                  label="Retries"
                  inputMode="numeric"
                  hint="How often a system email is retried on a temporary failure (0–10)."
                  class="input-short"
                />
              </section>

              <section class="card" aria-labelledby="sender-title">
                <h3 id="sender-title">Sender</h3>
                <TextField
                  {...bind('senderEmail')}
                  label="Sender email"
                  type="email"
                  hint="The From address; when empty, the username if it is an address."
                  autoComplete="off"
                />
                <TextField {...bind('senderName')} label="Sender name" autoComplete="off" />
              </section>

              <section class="card" aria-labelledby="auth-title">
                <h3 id="auth-title">Authentication</h3>
                <SelectField {...bind('authType')} label="Method" options={AUTH_OPTIONS} />
                {form.authType !== 'none' ? (
                  <TextField
                    {...bind('username')}
                    label={form.authType === 'oauth2' ? 'Mailbox (username)' : 'Username'}
                    required={form.authType === 'basic'}
                    autoComplete="off"
                    spellcheck={false}
                  />
                ) : null}
                {form.authType === 'basic' ? (
                  <SecretField
                    name="password"
                    label="Password"
                    isSet={Boolean(cfg?.password_set)}
                    state={form.password}
                    onChange={(s) => set('password', s)}
                    requiredBecause={passwordWhy}
                    error={errors.password}
                  />
                ) : null}
                {form.authType === 'oauth2' ? (
                  <>
                    <TextField {...bind('tokenEndpoint')} label="Token endpoint" type="url" required spellcheck={false} />
                    <TextField {...bind('clientId')} label="Client ID" required spellcheck={false} />
                    <SecretField
                      name="clientSecret"
                      label="Client secret"
                      isSet={Boolean(cfg?.client_secret_set)}
                      state={form.clientSecret}
                      onChange={(s) => set('clientSecret', s)}
                      requiredBecause={clientSecretWhy}
                      error={errors.clientSecret}
                    />
                    <TextField {...bind('scope')} label="Scope" spellcheck={false} />
                    <TextField {...bind('audience')} label="Audience" spellcheck={false} />
                    <fieldset class="headers">
                      <legend>Extra token request headers</legend>
                      {form.requestHeaders.map((h, i) => (
                        <div class="row" key={i}>
                          <TextField
                            name={`header-name-${i}`}
                            label={`Header ${i + 1} name`}
                            value={h.name}
                            onValue={(v) =>
                              set(
                                'requestHeaders',
                                form.requestHeaders.map((x, j) => (j === i ? { ...x, name: v } : x)),
                              )
                            }
                          />
                          <TextField
                            name={`header-value-${i}`}
                            label={`Header ${i + 1} value`}
                            value={h.value}
                            onValue={(v) =>
                              set(
                                'requestHeaders',
                                form.requestHeaders.map((x, j) => (j === i ? { ...x, value: v } : x)),
                              )
                            }
                          />
                          <button
                            type="button"
                            class="button button--small button--quiet row__end"
                            onClick={() =>
                              set(
                                'requestHeaders',
                                form.requestHeaders.filter((_, j) => j !== i),
                              )
                            }
                          >
                            Remove header {i + 1}
                          </button>
                        </div>
                      ))}
                      {errors.requestHeaders ? <p class="field-error">{errors.requestHeaders}</p> : null}
                      <button
                        type="button"
                        class="button button--small"
                        onClick={() => set('requestHeaders', [...form.requestHeaders, { name: '', value: '' }])}
                      >
                        Add a header
                      </button>
                    </fieldset>
                  </>
                ) : null}
              </section>

              <section class="card" aria-labelledby="certs-title">
                <h3 id="certs-title">Certificates</h3>
                <PemField
                  {...bind('caCert')}
                  label="CA certificate"
                  hint="Trust this CA (PEM) for the server’s certificate, e.g. an internal CA."
                />
                <PemField
                  {...bind('clientCert')}
                  label="Client certificate"
                  hint="For servers that require TLS client authentication (PEM)."
                />
                {form.clientCert.trim() ? (
                  <SecretField
                    name="clientKey"
                    label="Client key"
                    multiline
                    isSet={Boolean(cfg?.client_key_set)}
                    state={form.clientKey}
                    onChange={(s) => set('clientKey', s)}
                    requiredBecause={clientKeyWhy}
                    error={errors.clientKey}
                    hint="The client certificate’s private key (PEM); write-only."
                  />
                ) : null}
              </section>
            </div>

            <section class="card test-card" aria-labelledby="test-title">
              <h3 id="test-title">Test before saving</h3>
              <p class="hint">Uses the form as it is now, saved or not. Nothing is saved by a test.</p>
              <div class="row">
                <TextField
                  name="recipient"
                  label="Send the test email to"
                  type="email"
                  value={recipient}
                  onValue={(v) => {
                    setRecipient(v);
                    if (errors.recipient) setErrors(({ recipient: _r, ...rest }) => rest);
                  }}
                  error={errors.recipient}
                  disabled={testMode === 'connect'}
                />
                <fieldset class="radios">
                  <legend>Test</legend>
                  <label>
                    <input type="radio" name="testMode" value="send" checked={testMode === 'send'} onChange={() => setTestMode('send')} />{' '}
                    Send a test email
                  </label>
                  <label>
                    <input
                      type="radio"
                      name="testMode"
                      value="connect"
                      checked={testMode === 'connect'}
                      onChange={() => setTestMode('connect')}
                    />{' '}
                    Check the connection only
                  </label>
                </fieldset>
              </div>
              <button type="button" class="button" onClick={() => void runTest()} disabled={busy !== null}>
                {busy === 'test' ? 'Testing…' : testMode === 'send' ? 'Send test email' : 'Check connection'}
              </button>
              <div aria-live="polite" class="test-result">
                {test ? <TestResult outcome={test} /> : null}
              </div>
            </section>
          </fieldset>

          {!readOnly ? (
            <div class="actions actions--footer">
              <button type="submit" class="button button--primary" disabled={busy !== null}>
                {busy === 'save' ? 'Saving…' : 'Save profile'}
              </button>
              <button type="button" class="button" disabled={busy !== null} onClick={() => setForm(loaded.saved ?? emptyForm())}>
                Discard changes
              </button>
              {loaded.profile ? (
                <button type="button" class="button button--danger" disabled={busy !== null} onClick={() => setConfirmDelete(true)}>
                  Delete profile…
                </button>
              ) : null}
            </div>
          ) : (
            <p class="muted">Your role can read this profile but not change it.</p>
          )}
        </form>
      )}

      {!loaded?.overrideDisabled ? (
        // Stays mounted across reloads so a refused activation's message stays on screen.
        <VersionHistory
          key={scopeKey}
          path={CONFIG}
          query={configParams}
          etag={loaded ? loaded.etag : undefined}
          refreshKey={`${reloads}/${loaded?.etag ?? ''}`}
          mayModify={mayModify}
          onActivated={({ profile, etag }) => void activated(profile, etag)}
          onConflict={() => setReloads((n) => n + 1)}
        />
      ) : null}

      <NotificationRecipients key={`${scope.partnerId}/${scope.orgId}`} query={scopeParams} mayModify={mayModify} />

      <ConfirmDialog
        open={confirmDelete}
        title={`Delete the ${scope.orgId ? 'organization' : 'partner'} profile?`}
        confirmLabel="Delete profile"
        danger
        onConfirm={() => void remove()}
        onCancel={() => setConfirmDelete(false)}
      >
        <p>{takesOver()}</p>
        <p>The stored credentials are deleted with it.</p>
      </ConfirmDialog>
    </>
  );
}

function TestResult({ outcome }: { outcome: TestOutcome }) {
  const { answer, problem } = outcome;
  return (
    <div class={`result result--${outcome.ok ? 'ok' : 'bad'}`} data-testid="test-result" data-ok={outcome.ok ? 'true' : 'false'}>
      <p class="result__title">
        {outcome.ok
          ? answer?.status === 'sent'
            ? `Sent to ${answer.accepted.join(', ')} in ${answer.timings.total_ms ?? '?'} ms.`
            : `Connected in ${answer?.timings.total_ms ?? '?'} ms.`
          : `Failed: ${problem?.detail ?? 'the test failed.'}`}
      </p>
      {outcome.rows.length > 0 ? <StageList rows={outcome.rows} /> : null}
      {answer?.smtp_response ? (
        <p>
          Server reply: <code>{answer.smtp_response}</code>
        </p>
      ) : null}
      {problem?.smtp_response || problem?.smtp_code ? (
        <p>
          Server reply: <code data-testid="smtp-reply">{problem.smtp_response ?? problem.smtp_code}</code>
        </p>
      ) : null}
      {problem?.hint ? <p class="hint-box">{problem.hint}</p> : null}
    </div>
  );
}
