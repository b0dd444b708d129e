/**
 * Whose templates a page shows (the partner, or one of its organizations) and the organization rule:
 * an org's templates and branding apply, and its own users may change them, only while the org's SMTP
 * switch is on; partner and controller admins may prepare them before.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Location } from '../router';
import { href, navigate } from '../router';
import type { Me } from '../session';
import { apiScope, listOrganizations, Organization, Scope, scopeOf, scopeQuery } from '../tenants';
import { Notice, PageHeader } from './ui';

export interface TemplateScope {
  scope: Scope;
  /** The API's scope parameters. */
  query: Record<string, string | undefined>;
  /** Keeps the scope in links to other template pages. */
  link: (path: string) => string;
  key: string;
  orgs: Organization[];
  org: Organization | undefined;
}

export function useTemplateScope(me: Me, location: Location): TemplateScope {
  const scope = scopeOf(me, location.query);
  const [orgs, setOrgs] = useState<Organization[]>([]);
  useEffect(() => {
    if (!scope.partnerId && !scope.orgId) return;
    listOrganizations(me.scope.level === 'controller' ? scope.partnerId : undefined).then(setOrgs, () => setOrgs([]));
  }, [scope.partnerId]);
  return {
    scope,
    query: apiScope(scope),
    link: (path) => href(path, scopeQuery(me, scope)),
    key: `${scope.partnerId}/${scope.orgId}`,
    orgs,
    org: scope.orgId ? orgs.find((o) => o.id === scope.orgId) : undefined,
  };
}

/** Partner users and controller admins choose the partner or one of its organizations; org users stay in theirs. */
export function ScopePicker(props: { me: Me; t: TemplateScope; path: string }) {
  if (props.me.scope.org_id) return null;
  const choose = (orgId: string) =>
    navigate(href(props.path, scopeQuery(props.me, { partnerId: props.t.scope.partnerId, orgId: orgId || null })));
  return (
    <div class="inline-field">
      <label for="scope-picker">Templates of</label>
      <select id="scope-picker" value={props.t.scope.orgId ?? ''} onChange={(e) => choose((e.target as HTMLSelectElement).value)}>
        <option value="">The partner</option>
        {props.t.orgs.map((o) => (
          <option key={o.id} value={o.id}>
            Organization: {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/** What the org's SMTP switch means for its templates, said before a write is refused. */
export function OrgRuleNotice(props: { me: Me; org: Organization | undefined; what: string }) {
  const { org } = props;
  if (!org || org.smtp_override_enabled) return null;
  return (
    <Notice kind="info" id="org-rule">
      <p>
        {org.name}’s organization-level SMTP is off, so its {props.what} do not apply: its email leaves under the partner’s route and
        carries the partner’s words.{' '}
        {props.me.scope.org_id
          ? 'Your partner administrator can turn it on; until then, changes here are refused.'
          : 'You may prepare them now; they apply once the organization’s SMTP override is switched on (SMTP page).'}
      </p>
    </Notice>
  );
}

export function ChoosePartnerFirst(props: { title: string }) {
  return (
    <>
      <PageHeader title={props.title} />
      <p>Choose a partner first (the Partner menu at the top).</p>
    </>
  );
}
