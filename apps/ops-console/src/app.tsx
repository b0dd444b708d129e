/**
 * The console's shell: session, navigation by role, the partner picker for controller admins, and the
 * page for the current path. Every page is a client of the public HTTP API only.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, messageOf, onSignedOut } from './api';
import { Loading, Notice } from './components/ui';
import { AuditPage } from './pages/audit';
import { DeliveryPage } from './pages/delivery';
import { LoginPage } from './pages/login';
import { MailboxPage } from './pages/mailbox';
import { NotFoundPage } from './pages/not-found';
import { OverviewPage } from './pages/overview';
import { ServiceAccountsPage } from './pages/service-accounts';
import { SmtpPage } from './pages/smtp';
import { TemplatesPage } from './pages/templates';
import { TenantsPage } from './pages/tenants';
import { href, interceptLinkClick, Location, navigate, useLocation } from './router';
import { can, loadSession, Me, ROLE_LABELS, Session } from './session';
import { forgetPartner, listPartners, Partner, scopeOf } from './tenants';

export interface PageProps {
  session: Session;
  location: Location;
}

interface NavEntry {
  path: string;
  label: string;
  visible: (me: Me, session: Session) => boolean;
  page: (props: PageProps) => ComponentChildren;
  /** Opens by its address even where `visible` hides it, so a role without access reads the API's refusal, not "not found". */
  deepLink?: boolean;
}

/** Pages in navigation order. A new page is one more entry here and one file under pages/. */
const PAGES: NavEntry[] = [
  { path: '/overview', label: 'Overview', visible: (me) => can(me, 'system_setting:read'), page: (p) => <OverviewPage {...p} /> },
  { path: '/smtp', label: 'SMTP', visible: (me) => can(me, 'system_setting:read'), page: (p) => <SmtpPage {...p} /> },
  { path: '/templates', label: 'Templates', visible: (me) => can(me, 'system_setting:read'), page: (p) => <TemplatesPage {...p} /> },
  { path: '/audit', label: 'Audit log', visible: (me) => can(me, 'audit:read'), page: (p) => <AuditPage {...p} /> },
  {
    path: '/delivery',
    label: 'Delivery log',
    visible: (me) => can(me, 'email:read'),
    page: (p) => <DeliveryPage {...p} />,
  },
  { path: '/tenants', label: 'Tenants and users', visible: (me) => can(me, 'user:create'), page: (p) => <TenantsPage {...p} /> },
  {
    path: '/service-accounts',
    label: 'Service accounts',
    visible: (me) => can(me, 'service_account:manage'),
    page: (p) => <ServiceAccountsPage {...p} />,
    deepLink: true,
  },
  {
    path: '/mailbox',
    label: 'Mailbox',
    visible: (me, s) => me.role === 'controller_admin' && s.settings.mail_catcher,
    page: (p) => <MailboxPage {...p} />,
  },
];

export function App() {
  const location = useLocation();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    loadSession().then(setSession, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) setSession(null);
      else setError(messageOf(e));
    });
    return onSignedOut(() => setSession(null));
  }, []);

  // Move focus to the new page's heading so keyboard and screen-reader users land on it.
  useEffect(() => {
    document.getElementById('page-title')?.focus({ preventScroll: false });
  }, [location.path]);

  if (error) return <Notice kind="error">The console could not start: {error}</Notice>;
  if (session === undefined) return <Loading what="the console" />;

  if (session === null || location.path === '/login') {
    if (session && location.path === '/login') {
      navigate(location.query.get('next') ?? href('/overview'), { replace: true });
      return null;
    }
    return (
      <LoginPage
        onSignedIn={(s) => {
          setSession(s);
          const next = location.query.get('next');
          navigate(
            next && next.startsWith('/console/')
              ? next
              : location.path === '/login'
                ? href('/overview')
                : window.location.pathname + window.location.search,
            {
              replace: true,
            },
          );
        }}
      />
    );
  }

  const visible = PAGES.filter((p) => p.visible(session.me, session));
  const path = location.path === '/' ? (visible[0]?.path ?? '/overview') : location.path;
  const matches = (p: NavEntry) => path === p.path || path.startsWith(`${p.path}/`);
  const entry = visible.find(matches) ?? PAGES.find((p) => p.deepLink && matches(p));
  return (
    <Shell session={session} location={location} pages={visible} current={entry?.path}>
      {entry ? entry.page({ session, location }) : <NotFoundPage />}
    </Shell>
  );
}

function Shell(props: { session: Session; location: Location; pages: NavEntry[]; current?: string; children: ComponentChildren }) {
  const { me } = props.session;
  const partnerId = scopeOf(me, props.location.query).partnerId;
  const signOut = async () => {
    try {
      await api('POST', '/auth/v1/logout');
    } finally {
      window.location.assign(href('/login'));
    }
  };
  // Controller admins carry the chosen partner from page to page.
  const keep = me.scope.level === 'controller' && partnerId ? { partner_id: partnerId } : undefined;
  return (
    <div class="shell" onClick={interceptLinkClick}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={href('/overview', keep)}>
          mailstrata <span>ops console</span>
        </a>
        {me.scope.level === 'controller' ? <PartnerPicker partnerId={partnerId} location={props.location} /> : null}
        <div class="whoami">
          <span class="whoami__email">{me.email}</span>
          <span class="whoami__role">{ROLE_LABELS[me.role]}</span>
          <button type="button" class="button button--small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <nav class="nav" aria-label="Main">
        <ul>
          {props.pages.map((p) => (
            <li key={p.path}>
              <a href={href(p.path, keep)} aria-current={props.current === p.path ? 'page' : undefined}>
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}

/** A controller admin works on one partner at a time; the choice lives in the URL (?partner_id=). */
function PartnerPicker(props: { partnerId: string | null; location: Location }) {
  const [partners, setPartners] = useState<Partner[] | null>(null);
  useEffect(() => {
    listPartners().then(setPartners, () => setPartners([]));
  }, [props.location.path]);
  const choose = (id: string) => {
    const query = new URLSearchParams();
    if (id) query.set('partner_id', id);
    else forgetPartner();
    // A page about one thing of the previous partner (a mailbox message, a profile, a sent email) goes back to its list.
    const path = ['/mailbox', '/smtp', '/delivery'].find((p) => props.location.path.startsWith(p)) ?? props.location.path;
    navigate(`${href(path === '/' ? '/overview' : path)}${query.toString() ? `?${query}` : ''}`);
  };
  return (
    <div class="partner-picker">
      <label for="partner-picker">Partner</label>
      <select id="partner-picker" value={props.partnerId ?? ''} onChange={(e) => choose((e.target as HTMLSelectElement).value)}>
        <option value="">Choose a partner…</option>
        {(partners ?? []).map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
    </div>
  );
}
