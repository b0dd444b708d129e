/**
 * For the partner and each of its organizations: which level is in force now (org, partner or the
 * controller default), where it sends, how it last fared, and the org's SMTP override switch.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import type { PageProps } from '../app';
import { RouteHealth } from '../components/route-health';
import { LevelBadge, Loading, Notice, PageHeader, Switch } from '../components/ui';
import { routeStatus, RouteStatus } from '../health';
import { href } from '../router';
import { can } from '../session';
import { listOrganizations, listPartners, Organization, Partner, scopeOf, scopeQuery } from '../tenants';

interface Row {
  kind: 'partner' | 'org';
  id: string;
  name: string;
  org?: Organization;
  status: RouteStatus | null;
  error?: string;
}

export function OverviewPage({ session, location }: PageProps) {
  const { me } = session;
  const scope = scopeOf(me, location.query);
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [partners, setPartners] = useState<Partner[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    if (!scope.partnerId) {
      listPartners().then(setPartners, (e: unknown) => setError(messageOf(e)));
      return;
    }
    let cancelled = false;
    setError(null);
    (async () => {
      const list: Row[] = [];
      if (me.scope.org_id) {
        const orgs = await listOrganizations();
        for (const org of orgs) list.push({ kind: 'org', id: org.id, name: org.name, org, status: null });
      } else {
        const partner = (await listPartners()).find((p) => p.id === scope.partnerId);
        list.push({ kind: 'partner', id: scope.partnerId!, name: partner?.name ?? 'Partner', status: null });
        for (const org of await listOrganizations(me.scope.level === 'controller' ? scope.partnerId : undefined)) {
          list.push({ kind: 'org', id: org.id, name: org.name, org, status: null });
        }
      }
      const withStatus = await Promise.all(
        list.map(async (row) => {
          try {
            return { ...row, status: await routeStatus(row.kind === 'org' ? { org_id: row.id } : { partner_id: row.id }) };
          } catch (e) {
            return { ...row, error: messageOf(e) };
          }
        }),
      );
      if (!cancelled) setRows(withStatus);
    })().catch((e: unknown) => !cancelled && setError(messageOf(e)));
    return () => {
      cancelled = true;
    };
  }, [scope.partnerId, reloads]);

  const toggle = async (org: Organization) => {
    setBusy(org.id);
    setMessage(null);
    try {
      await api('PATCH', `/auth/v1/organizations/${org.id}`, { body: { smtp_override_enabled: !org.smtp_override_enabled } });
      setMessage(`SMTP override for ${org.name} is now ${org.smtp_override_enabled ? 'off' : 'on'}.`);
      setReloads((n) => n + 1);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
    }
  };

  if (!scope.partnerId) {
    return (
      <>
        <PageHeader title="Overview" />
        <p>Choose the partner to work on.</p>
        {error ? <Notice kind="error">{error}</Notice> : null}
        {partners === null ? (
          <Loading what="partners" />
        ) : partners.length === 0 ? (
          <p>
            There is no partner yet. <a href={href('/tenants')}>Create one</a>.
          </p>
        ) : (
          <ul class="link-list">
            {partners.map((p) => (
              <li key={p.id}>
                <a href={href('/overview', { partner_id: p.id })}>{p.name}</a>
              </li>
            ))}
          </ul>
        )}
      </>
    );
  }

  const mayToggle = can(me, 'organization:modify');
  return (
    <>
      <PageHeader title="Overview">
        <button type="button" class="button button--small" onClick={() => setReloads((n) => n + 1)}>
          Refresh
        </button>
      </PageHeader>
      <p class="lead">
        Every system email goes through one SMTP route: the organization’s own profile while its override is on, else the partner’s profile,
        else the controller default.
      </p>
      {message ? <Notice kind="success">{message}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {rows === null ? (
        <Loading what="routes" />
      ) : (
        <div class="table-wrap" role="region" aria-label="SMTP routes" tabIndex={0}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">In force now</th>
                <th scope="col">Sends through</th>
                <th scope="col">Health</th>
                <th scope="col">Org SMTP override</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-row={row.kind} data-name={row.name}>
                  <th scope="row">
                    <a href={href('/smtp', scopeQuery(me, { partnerId: scope.partnerId, orgId: row.kind === 'org' ? row.id : null }))}>
                      {row.name}
                    </a>
                    <span class="muted small">{row.kind === 'partner' ? 'Partner' : 'Organization'}</span>
                  </th>
                  <td>{row.status ? <LevelBadge level={row.status.level} testId={`in-force-${row.id}`} /> : <span>{row.error}</span>}</td>
                  <td class="mono small">
                    {row.status?.effective
                      ? `${row.status.effective.email_config.smtp_config.host}:${row.status.effective.email_config.smtp_config.port}`
                      : '—'}
                  </td>
                  <td>{row.status ? <RouteHealth health={row.status.health} known={Boolean(row.status.effective?.profile)} /> : null}</td>
                  <td>
                    {row.org ? (
                      mayToggle ? (
                        <Switch
                          id={`override-${row.id}`}
                          label={`SMTP override for ${row.name}`}
                          checked={row.org.smtp_override_enabled}
                          busy={busy === row.id}
                          onToggle={() => void toggle(row.org!)}
                        />
                      ) : (
                        <span>{row.org.smtp_override_enabled ? 'On' : 'Off'}</span>
                      )
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
