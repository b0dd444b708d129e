/**
 * Service accounts: the live accounts of the scope (a partner admin's partner; for a controller admin
 * the partner picked at the top, or every partner's and the platform-wide ones), creating one with the
 * permissions the caller may grant, its token shown this once, and revoking with a confirmation.
 *
 * The token lives in this component's state only: leaving the page, changing the partner or reloading
 * drops it, and nothing writes it to storage or the URL.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, fieldErrors, messageOf } from '../api';
import type { PageProps } from '../app';
import { CopyButton } from '../components/copy-button';
import { CheckboxField, fieldId, TextField } from '../components/fields';
import { ConfirmDialog, Loading, Notice, PageHeader } from '../components/ui';
import { when } from '../format';
import { href } from '../router';
import { can, Me } from '../session';
import {
  createServiceAccount,
  CreatedServiceAccount,
  grantablePermissions,
  listServiceAccounts,
  revokeServiceAccount,
  sendExample,
  SERVICE_ACCOUNT_PERMISSIONS,
  ServiceAccount,
  TOKEN_PLACEHOLDER,
} from '../service-accounts';
import { listPartners, Partner, scopeOf } from '../tenants';

export function ServiceAccountsPage({ session, location }: PageProps) {
  const { me } = session;
  const controller = me.scope.level === 'controller';
  // A controller admin sees one partner's accounts, or with no partner picked every account.
  const partnerId = controller ? scopeOf(me, location.query).partnerId : me.scope.partner_id;
  const mayManage = can(me, 'service_account:manage');

  const [accounts, setAccounts] = useState<ServiceAccount[] | null>(null);
  const [partners, setPartners] = useState<Partner[]>([]);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [created, setCreated] = useState<CreatedServiceAccount | null>(null);
  const [confirm, setConfirm] = useState<ServiceAccount | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const listTitle = useRef<HTMLHeadingElement>(null);

  // A token shown for one partner is not left on screen once another is picked, nor is its list.
  useEffect(() => {
    setCreated(null);
    setNotice(null);
    setAccounts(null);
  }, [partnerId]);

  useEffect(() => {
    let cancelled = false;
    setRefusal(null);
    listServiceAccounts(controller ? partnerId : undefined).then(
      (items) => !cancelled && setAccounts(items),
      (e: unknown) => {
        if (cancelled) return;
        setAccounts(null);
        if (e instanceof ApiError && e.status === 403) setRefusal(messageOf(e));
        else setNotice({ kind: 'error', text: messageOf(e) });
      },
    );
    if (mayManage)
      listPartners().then(
        (list) => !cancelled && setPartners(list),
        () => undefined,
      );
    return () => {
      cancelled = true;
    };
  }, [partnerId, reloads]);

  const partnerName = (id: string | null) => (id ? (partners.find((p) => p.id === id)?.name ?? id) : 'Platform-wide');
  const scopeName = partnerId ? partnerName(partnerId) : null;

  const revoke = async () => {
    const target = confirm;
    setConfirm(null);
    if (!target) return;
    setBusy(target.id);
    setNotice(null);
    try {
      await revokeServiceAccount(target.id);
      if (created?.id === target.id) setCreated(null);
      setNotice({ kind: 'success', text: `Revoked ${target.name}: its token is refused from now on.` });
      setReloads((n) => n + 1);
      listTitle.current?.focus();
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    } finally {
      setBusy(null);
    }
  };

  if (refusal) {
    return (
      <>
        <PageHeader title="Service accounts" />
        <Notice kind="error">
          <p>
            <strong>The service refused to show service accounts.</strong>
          </p>
          <p data-testid="refusal">{refusal}</p>
        </Notice>
        <p>
          <a href={href('/overview')}>Go to the overview</a>.
        </p>
      </>
    );
  }

  return (
    <>
      <PageHeader title="Service accounts">
        <button type="button" class="button button--small" onClick={() => setReloads((n) => n + 1)}>
          Refresh
        </button>
      </PageHeader>
      <p class="lead">
        Platform components (the admin API, alerting, billing) call mailstrata with a service account’s token instead of a person’s session,
        for example to send system emails. Each account holds only the permissions given at its creation.
      </p>

      {created ? <NewToken account={created} partnerName={partnerName(created.partner_id)} onDone={() => setCreated(null)} /> : null}
      {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}

      <section aria-labelledby="accounts-title">
        <h2 id="accounts-title" tabIndex={-1} ref={listTitle}>
          {scopeName ? `Live accounts of ${scopeName}` : 'Live accounts of every partner, and platform-wide'}
        </h2>
        {controller && partnerId ? (
          <p class="hint">Clear the Partner menu at the top to see every partner’s accounts and the platform-wide ones.</p>
        ) : null}
        {accounts === null ? (
          <Loading what="service accounts" />
        ) : accounts.length === 0 ? (
          <p data-testid="no-accounts">There is no live service account here yet.</p>
        ) : (
          <AccountTable accounts={accounts} partnerName={partnerName} busy={busy} onRevoke={setConfirm} />
        )}
      </section>

      {mayManage ? (
        <CreateAccount
          key={partnerId ?? 'platform'}
          me={me}
          partnerId={controller ? partnerId : null}
          scopeName={scopeName}
          onCreated={(account) => {
            setNotice(null);
            setCreated(account);
            setReloads((n) => n + 1);
          }}
        />
      ) : null}

      <section class="card" aria-labelledby="usage-title">
        <h2 id="usage-title">Using a token</h2>
        <p>
          A component sends its token as a Bearer header (never as a cookie). The answer is 202 with the message’s id, and the Delivery log
          shows what became of it. Add an <code>Idempotency-Key</code> header so that a retried request is not sent twice.
        </p>
        <pre class="example">
          <code data-testid="usage-example">{sendExample(window.location.origin, TOKEN_PLACEHOLDER, partnerId)}</code>
        </pre>
      </section>

      <ConfirmDialog
        open={confirm !== null}
        title={`Revoke ${confirm?.name ?? ''}?`}
        confirmLabel={`Revoke ${confirm?.name ?? ''}`}
        danger
        onConfirm={() => void revoke()}
        onCancel={() => setConfirm(null)}
      >
        <p>
          The token of <strong>{confirm?.name}</strong> is refused at once, on every replica: whatever uses it can no longer call
          mailstrata.
        </p>
        <p>This cannot be undone. To replace a token, create a new account and revoke this one.</p>
      </ConfirmDialog>
    </>
  );
}

function AccountTable(props: {
  accounts: ServiceAccount[];
  partnerName: (id: string | null) => string;
  busy: string | null;
  onRevoke: (account: ServiceAccount) => void;
}) {
  return (
    <div class="table-wrap" role="region" aria-label="Service accounts" tabIndex={0}>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Partner</th>
            <th scope="col">Permissions</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.accounts.map((a) => (
            <tr key={a.id} data-account={a.name} data-id={a.id}>
              <th scope="row">{a.name}</th>
              <td>{props.partnerName(a.partner_id)}</td>
              <td>
                <ul class="permission-list">
                  {a.permissions.map((p) => (
                    <li key={p}>
                      <code>{p}</code>
                    </li>
                  ))}
                </ul>
              </td>
              <td>
                {a.created_by.email}
                <span class="muted small block">
                  <time dateTime={a.created_at}>{when(a.created_at)}</time>
                </span>
              </td>
              <td data-testid="last-used">
                {a.last_used_at ? <time dateTime={a.last_used_at}>{when(a.last_used_at)}</time> : <span class="muted">Never</span>}
              </td>
              <td>
                <button
                  type="button"
                  class="button button--small button--danger"
                  disabled={props.busy === a.id}
                  onClick={() => props.onRevoke(a)}
                >
                  {/* One flex item, so the button's gap does not split the ellipsis from the word. */}
                  <span>
                    Revoke<span class="visually-hidden"> {a.name}</span>…
                  </span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The token of a just-created account, on screen until dismissed or the page is left. */
function NewToken(props: { account: CreatedServiceAccount; partnerName: string; onDone: () => void }) {
  const { account } = props;
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), [account.id]);
  return (
    <section class="card token-card" aria-labelledby="token-title" data-testid="new-token-panel">
      <h2 id="token-title" tabIndex={-1} ref={title}>
        Token of {account.name}
      </h2>
      <Notice kind="warning">
        <strong>Copy it now: it is shown this once.</strong> mailstrata keeps only a hash of it, so neither this page nor the API can show
        it again. If it is lost, create a new account and revoke this one.
      </Notice>
      <div class="token-row">
        <code id="new-token" class="token" data-testid="new-token">
          {account.token}
        </code>
        <CopyButton text={account.token} targetId="new-token" label="Copy token" />
      </div>
      <p>
        {account.partner_id ? `For ${props.partnerName}` : 'Platform-wide'}, with {account.permissions.join(', ')}.
      </p>
      <h3>Try it</h3>
      <pre class="example">
        <code>{sendExample(window.location.origin, account.token, account.partner_id)}</code>
      </pre>
      <button type="button" class="button button--primary" onClick={props.onDone}>
        I have stored it: hide the token
      </button>
    </section>
  );
}

function CreateAccount(props: {
  me: Me;
  partnerId: string | null;
  scopeName: string | null;
  onCreated: (a: CreatedServiceAccount) => void;
}) {
  const platformWide = props.me.scope.level === 'controller' && !props.partnerId;
  const grantable = grantablePermissions(props.me, platformWide);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const toggle = (permission: string, on: boolean) => {
    setChosen((set) => {
      const next = new Set(set);
      if (on) next.add(permission);
      else next.delete(permission);
      return next;
    });
    setErrors(({ [permission]: _p, permissions: _all, ...rest }) => rest);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const permissions = grantable.filter((p) => chosen.has(p));
    setBusy(true);
    setFailure(null);
    setErrors({});
    try {
      const account = await createServiceAccount({
        name,
        permissions,
        ...(props.partnerId ? { partner_id: props.partnerId } : {}),
      });
      setName('');
      setChosen(new Set());
      props.onCreated(account);
    } catch (e) {
      const errs = errorsByField(fieldErrors(e), permissions);
      setErrors(errs);
      setFailure(messageOf(e));
      const first = Object.keys(errs)[0];
      const id =
        first === undefined
          ? null
          : first === 'name'
            ? fieldId('sa-name')
            : first === 'permissions'
              ? 'permissions'
              : fieldId(`perm-${first}`);
      if (id) requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`#${CSS.escape(id)}`)?.focus());
    } finally {
      setBusy(false);
    }
  };

  const title = platformWide ? 'New platform-wide account' : `New account${props.scopeName ? ` for ${props.scopeName}` : ''}`;
  return (
    <form ref={formRef} class="card" onSubmit={(e) => void submit(e)} aria-labelledby="new-account" noValidate>
      <h2 id="new-account">{title}</h2>
      {platformWide ? (
        <p class="hint">It acts for the whole platform. To create one for a partner, choose the partner in the menu at the top.</p>
      ) : null}
      {failure ? <Notice kind="error">{failure}</Notice> : null}
      <TextField
        name="sa-name"
        label="Name"
        value={name}
        onValue={(v) => {
          setName(v);
          if (errors.name) setErrors(({ name: _n, ...rest }) => rest);
        }}
        error={errors.name}
        hint="What uses it, e.g. billing-notifier. Unique among this scope’s live accounts."
        autoComplete="off"
        spellcheck={false}
        required
      />
      <fieldset
        id="permissions"
        class="checks"
        tabIndex={-1}
        aria-describedby={[errors.permissions ? 'permissions-error' : '', 'permissions-hint'].filter(Boolean).join(' ')}
      >
        <legend>
          Permissions <span class="required">(at least one)</span>
        </legend>
        <p class="hint" id="permissions-hint">
          Only what your role may grant is listed. Changing users, organizations or SMTP profiles stays with people.
        </p>
        {errors.permissions ? (
          <p class="field-error" id="permissions-error">
            {errors.permissions}
          </p>
        ) : null}
        {grantable.map((p) => (
          <CheckboxField
            key={p}
            name={`perm-${p}`}
            label={p}
            checked={chosen.has(p)}
            onValue={(on) => toggle(p, on)}
            hint={SERVICE_ACCOUNT_PERMISSIONS.find((x) => x.name === p)?.does}
            error={errors[p]}
          />
        ))}
      </fieldset>
      <button type="submit" class="button button--primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create account'}
      </button>
    </form>
  );
}

/**
 * The API's field errors keyed for the form: `name`, `permissions` (the list as a whole) and, for
 * `permissions[i]`, the name of the i-th permission sent, so the message sits beside that checkbox.
 */
function errorsByField(byPath: Record<string, string>, sent: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(byPath)) {
    const index = /^permissions\[(\d+)\]$/.exec(path)?.[1];
    const permission = index === undefined ? undefined : sent[Number(index)];
    out[permission ?? (path.startsWith('permissions') ? 'permissions' : path)] ??= message;
  }
  return out;
}
