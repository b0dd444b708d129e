/**
 * Create partners (controller admins), organizations (controller and partner admins) and users, aware
 * of ACCOUNT_CREATION_STRATEGY: AUTO asks for a password now; VERIFY sends a password-setup link
 * through the new user's SMTP route instead.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, fieldErrors, messageOf } from '../api';
import type { PageProps } from '../app';
import { SelectField, TextField } from '../components/fields';
import { Notice, PageHeader } from '../components/ui';
import { href } from '../router';
import { Me, Role, ROLE_LABELS, Session } from '../session';
import { listOrganizations, listPartners, Organization, Partner, scopeOf } from '../tenants';

const ASSIGNABLE: Record<Role, Role[]> = {
  controller_admin: ['controller_admin', 'partner_admin', 'org_admin', 'auditor'],
  partner_admin: ['partner_admin', 'org_admin', 'auditor'],
  org_admin: ['org_admin', 'auditor'],
  auditor: [],
};

export function TenantsPage({ session, location }: PageProps) {
  const { me } = session;
  const scope = scopeOf(me, location.query);
  const [partners, setPartners] = useState<Partner[]>([]);
  const [orgs, setOrgs] = useState<Organization[]>([]);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    if (me.scope.level === 'controller') listPartners().then(setPartners, () => setPartners([]));
    if (!me.scope.org_id && scope.partnerId)
      listOrganizations(me.scope.level === 'controller' ? scope.partnerId : undefined).then(setOrgs, () => setOrgs([]));
  }, [scope.partnerId, reloads]);

  const verify = session.settings.account_creation_strategy === 'VERIFY';
  const partnerName = partners.find((p) => p.id === scope.partnerId)?.name;
  return (
    <>
      <PageHeader title="Tenants and users" />
      <Notice kind="info">
        {verify
          ? 'Accounts are created with ACCOUNT_CREATION_STRATEGY=VERIFY: no password is set here; each new user gets a single-use link by email, sent through their SMTP route, to choose one.'
          : 'Accounts are created with ACCOUNT_CREATION_STRATEGY=AUTO: you set the first password here (at least 12 characters) and hand it over.'}
      </Notice>
      <div class="grid">
        {me.scope.level === 'controller' ? <CreatePartner session={session} onCreated={() => setReloads((n) => n + 1)} /> : null}
        {!me.scope.org_id && scope.partnerId ? (
          <CreateOrganization
            session={session}
            partnerId={scope.partnerId}
            partnerName={partnerName}
            onCreated={() => setReloads((n) => n + 1)}
          />
        ) : null}
        {me.scope.level !== 'controller' || scope.partnerId ? (
          <CreateUser session={session} me={me} partnerId={scope.partnerId} orgs={orgs} />
        ) : null}
      </div>
      {me.scope.level === 'controller' && !scope.partnerId ? (
        <p>Choose a partner (the Partner menu at the top) to add organizations and users to it.</p>
      ) : null}
      {orgs.length > 0 ? (
        <section aria-labelledby="orgs-title">
          <h2 id="orgs-title">Organizations{partnerName ? ` of ${partnerName}` : ''}</h2>
          <ul class="link-list">
            {orgs.map((o) => (
              <li key={o.id}>
                <a href={href('/smtp', { partner_id: me.scope.level === 'controller' ? scope.partnerId : null, org_id: o.id })}>{o.name}</a>{' '}
                <span class="muted small">SMTP override {o.smtp_override_enabled ? 'on' : 'off'}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

function useCreate() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setResult(null);
    setErrors({});
    try {
      setResult({ kind: 'success', text: await action() });
      return true;
    } catch (e) {
      setErrors(fieldErrors(e));
      setResult({ kind: 'error', text: messageOf(e) });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { errors, result, busy, run };
}

const setupNote = (session: Session, email: string) =>
  session.settings.account_creation_strategy === 'VERIFY' ? ` A password-setup link is on its way to ${email}.` : '';

function CreatePartner(props: { session: Session; onCreated: () => void }) {
  return (
    <CreateTenant
      session={props.session}
      kind={{ id: 'partner', title: 'New partner', noun: 'Partner', button: 'Create partner', path: '/auth/v1/partners' }}
      onCreated={props.onCreated}
    />
  );
}

function CreateOrganization(props: { session: Session; partnerId: string; partnerName?: string; onCreated: () => void }) {
  return (
    <CreateTenant
      session={props.session}
      kind={{
        id: 'org',
        title: `New organization${props.partnerName ? ` in ${props.partnerName}` : ''}`,
        noun: 'Organization',
        button: 'Create organization',
        path: '/auth/v1/organizations',
      }}
      // A controller admin names the partner; a partner admin's organizations are its own.
      extra={props.session.me.scope.level === 'controller' ? { partner_id: props.partnerId } : {}}
      onCreated={props.onCreated}
    />
  );
}

/** A partner or an organization with its first admin (a password with AUTO; a setup link with VERIFY). */
function CreateTenant(props: {
  session: Session;
  kind: { id: string; title: string; noun: string; button: string; path: string };
  extra?: Record<string, unknown>;
  onCreated: () => void;
}) {
  const { kind } = props;
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const c = useCreate();
  const verify = props.session.settings.account_creation_strategy === 'VERIFY';
  const submit = async (e: Event) => {
    e.preventDefault();
    const ok = await c.run(async () => {
      const admin: Record<string, string> = { email };
      if (!verify) admin.password = password;
      const res = await api<{ name: string }>('POST', kind.path, { body: { name, admin, ...props.extra } });
      return `${kind.noun} ${res.data.name} created with its admin ${email}.${setupNote(props.session, email)}`;
    });
    if (ok) {
      setName('');
      setEmail('');
      setPassword('');
      props.onCreated();
    }
  };
  return (
    <form class="card" onSubmit={(e) => void submit(e)} aria-labelledby={`new-${kind.id}`} noValidate>
      <h2 id={`new-${kind.id}`}>{kind.title}</h2>
      {c.result ? <Notice kind={c.result.kind}>{c.result.text}</Notice> : null}
      <TextField name={`${kind.id}-name`} label={`${kind.noun} name`} value={name} onValue={setName} error={c.errors.name} required />
      <TextField
        name={`${kind.id}-admin-email`}
        label="Admin email"
        type="email"
        value={email}
        onValue={setEmail}
        error={c.errors['admin.email']}
        required
      />
      {!verify ? (
        <TextField
          name={`${kind.id}-admin-password`}
          label="Admin password"
          type="password"
          autoComplete="new-password"
          value={password}
          onValue={setPassword}
          error={c.errors['admin.password']}
          required
        />
      ) : null}
      <button type="submit" class="button button--primary" disabled={c.busy}>
        {kind.button}
      </button>
    </form>
  );
}

function CreateUser(props: { session: Session; me: Me; partnerId: string | null; orgs: Organization[] }) {
  const roles = ASSIGNABLE[props.me.role];
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>(roles.includes('auditor') ? 'auditor' : roles[0]!);
  const [where, setWhere] = useState('');
  const [password, setPassword] = useState('');
  const c = useCreate();
  const verify = props.session.settings.account_creation_strategy === 'VERIFY';
  const orgLevel = role === 'org_admin' || (role === 'auditor' && where !== '');
  const submit = async (e: Event) => {
    e.preventDefault();
    const ok = await c.run(async () => {
      const body: Record<string, unknown> = { email, role };
      if (!verify) body.password = password;
      if (props.me.scope.org_id) body.org_id = props.me.scope.org_id;
      else if (orgLevel) body.org_id = where;
      else if (role !== 'controller_admin' && props.me.scope.level === 'controller') body.partner_id = props.partnerId;
      await api('POST', '/auth/v1/users', { body });
      return `User ${email} (${ROLE_LABELS[role]}) created.${setupNote(props.session, email)}`;
    });
    if (ok) {
      setEmail('');
      setPassword('');
    }
  };
  return (
    <form class="card" onSubmit={(e) => void submit(e)} aria-labelledby="new-user" noValidate>
      <h2 id="new-user">New user</h2>
      {c.result ? <Notice kind={c.result.kind}>{c.result.text}</Notice> : null}
      <TextField name="user-email" label="Email" type="email" value={email} onValue={setEmail} error={c.errors.email} required />
      <SelectField
        name="user-role"
        label="Role"
        value={role}
        options={roles.map((r) => ({ value: r, label: ROLE_LABELS[r] }))}
        onValue={setRole}
        error={c.errors.role}
      />
      {!props.me.scope.org_id && role !== 'controller_admin' && role !== 'partner_admin' ? (
        <SelectField
          name="user-org"
          label="Organization"
          value={where}
          options={[
            ...(role === 'auditor' ? [{ value: '', label: 'The whole partner' }] : [{ value: '', label: 'Choose…' }]),
            ...props.orgs.map((o) => ({ value: o.id, label: o.name })),
          ]}
          onValue={setWhere}
          error={c.errors.org_id}
        />
      ) : null}
      {!verify ? (
        <TextField
          name="user-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onValue={setPassword}
          error={c.errors.password}
          required
        />
      ) : null}
      <button type="submit" class="button button--primary" disabled={c.busy}>
        Create user
      </button>
    </form>
  );
}
