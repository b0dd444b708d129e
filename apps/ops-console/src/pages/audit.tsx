/**
 * SYSTEMAUDIT events of the scope: time presets or a range, type and outcome filters, paging, and an
 * event's details. Partner and controller users read /opsauditlogs (the partner and its orgs, or one
 * org); org users read /event/v1/auditlog.
 */
import { useEffect, useState } from 'preact/hooks';
import { fieldErrors, get, messageOf } from '../api';
import type { PageProps } from '../app';
import { SelectField } from '../components/fields';
import {
  apiTimeRange,
  LogFilterForm,
  LogPager,
  OrganizationFilterField,
  timeWindowOf,
  TimeWindowFields,
  timeWindowParams,
  useFilterOrganizations,
} from '../components/log-filters';
import { Loading, Notice, PageHeader } from '../components/ui';
import { when } from '../format';
import { href, navigate } from '../router';
import { scopeOf } from '../tenants';

interface AuditEvent {
  event_id: string;
  timestamp: string;
  category: string;
  type: string;
  outcome: string;
  actor: { id?: string | null; email?: string | null; role?: string | null; ip?: string | null };
  partner_id: string | null;
  org_id: string | null;
  resource: { type?: string; id?: string } | null;
  details: Record<string, unknown>;
}

interface AuditPage {
  items: AuditEvent[];
  total: number;
  offset: number;
  limit: number;
}

const TYPES = [
  '',
  'email.config.created',
  'email.config.updated',
  'email.config.deleted',
  'email.config.draft_created',
  'email.config.activated',
  'email.verification.succeeded',
  'email.verification.failed',
  'organization.smtp_override.changed',
  'organization.created',
  'partner.created',
  'account.user.created',
  'account.password_setup.requested',
  'account.password_setup.completed',
  'email.queued',
  'email.sent',
  'email.retrying',
  'email.failed',
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.logout',
];

const PAGE_SIZE = 20;

export function AuditPage({ session, location }: PageProps) {
  const { me } = session;
  const scope = scopeOf(me, location.query);
  const q = location.query;
  const timeWindow = timeWindowOf(q);
  const type = q.get('type') ?? '';
  const outcome = q.get('outcome') ?? '';
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  const orgFilter = me.scope.org_id ? me.scope.org_id : (q.get('org_id') ?? '');

  const [page, setPage] = useState<AuditPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [open, setOpen] = useState<string | null>(null);
  const orgs = useFilterOrganizations(me, scope);
  const [draft, setDraft] = useState({ ...timeWindow, type, outcome, org: orgFilter });

  useEffect(() => setDraft({ ...timeWindow, type, outcome, org: orgFilter }), [q.toString()]);

  useEffect(() => {
    let cancelled = false;
    setPage(null);
    setError(null);
    setErrors({});
    const common = { ...apiTimeRange(timeWindow), type, outcome, offset, limit: PAGE_SIZE, category: 'SYSTEMAUDIT' };
    const request = me.scope.org_id
      ? get<AuditPage>('/event/v1/auditlog', Object.fromEntries(Object.entries(common).map(([k, v]) => [`filter.${k}`, v])))
      : get<AuditPage>('/opsauditlogs', {
          ...common,
          partner_id: me.scope.level === 'controller' ? (scope.partnerId ?? undefined) : undefined,
          org_id: orgFilter || undefined,
        });
    request.then(
      (res) => !cancelled && setPage(res.data),
      (e: unknown) => {
        if (cancelled) return;
        setError(messageOf(e));
        const f = fieldErrors(e);
        setErrors(Object.fromEntries(Object.entries(f).map(([k, v]) => [k.replace(/^filter\./, ''), v])));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [q.toString(), scope.partnerId]);

  const apply = (event: Event, nextOffset = 0) => {
    event.preventDefault();
    navigate(
      href('/audit', {
        partner_id: me.scope.level === 'controller' ? scope.partnerId : null,
        org_id: me.scope.org_id ? null : draft.org,
        ...timeWindowParams(draft),
        type: draft.type,
        outcome: draft.outcome,
        offset: nextOffset ? String(nextOffset) : null,
      }),
    );
  };
  const goTo = (nextOffset: number) => {
    const params = new URLSearchParams(q);
    if (nextOffset) params.set('offset', String(nextOffset));
    else params.delete('offset');
    navigate(`${href('/audit')}?${params}`);
  };

  return (
    <>
      <PageHeader title="Audit log" />
      <LogFilterForm onSubmit={(e) => apply(e)} submitLabel="Show events">
        <TimeWindowFields value={draft} errors={errors} onValue={(w) => setDraft({ ...draft, ...w })} />
        <SelectField
          name="type"
          label="Type"
          value={draft.type}
          options={TYPES.map((t) => ({ value: t, label: t || 'All types' }))}
          error={errors.type}
          onValue={(v) => setDraft({ ...draft, type: v })}
        />
        <SelectField
          name="outcome"
          label="Outcome"
          value={draft.outcome}
          options={[
            { value: '', label: 'Any outcome' },
            { value: 'success', label: 'Success' },
            { value: 'failure', label: 'Failure' },
          ]}
          error={errors.outcome}
          onValue={(v) => setDraft({ ...draft, outcome: v })}
        />
        {!me.scope.org_id ? <OrganizationFilterField orgs={orgs} value={draft.org} onValue={(org) => setDraft({ ...draft, org })} /> : null}
      </LogFilterForm>

      {error ? <Notice kind="error">{error}</Notice> : null}
      {!page && !error ? <Loading what="events" /> : null}
      {page ? (
        <>
          <p class="muted" role="status">
            {page.total === 0
              ? 'No events match.'
              : `Events ${page.offset + 1}–${page.offset + page.items.length} of ${page.total}${page.total >= 10000 ? '+' : ''}, newest first.`}
          </p>
          <div class="table-wrap" role="region" aria-label="Audit events" tabIndex={0}>
            <table class="table table--events">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Type</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((e) => (
                  <EventRows
                    key={e.event_id}
                    event={e}
                    open={open === e.event_id}
                    onToggle={() => setOpen(open === e.event_id ? null : e.event_id)}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <LogPager
            label="Pages of events"
            newer={offset === 0 ? null : () => goTo(Math.max(0, offset - PAGE_SIZE))}
            older={offset + page.items.length >= Math.min(page.total, 10000) ? null : () => goTo(offset + PAGE_SIZE)}
          />
        </>
      ) : null}
    </>
  );
}

function EventRows(props: { event: AuditEvent; open: boolean; onToggle: () => void }) {
  const e = props.event;
  const detailsId = `details-${e.event_id}`;
  return (
    <>
      <tr data-type={e.type}>
        <td>
          <time dateTime={e.timestamp}>{when(e.timestamp)}</time>
        </td>
        <td class="mono small">{e.type}</td>
        <td>
          <span class={`badge badge--${e.outcome === 'failure' ? 'bad' : e.outcome === 'success' ? 'ok' : 'neutral'}`}>{e.outcome}</span>
        </td>
        <td class="small">{e.actor?.email ?? e.actor?.role ?? 'system'}</td>
        <td>
          <button
            type="button"
            class="button button--small"
            aria-expanded={props.open ? 'true' : 'false'}
            aria-controls={detailsId}
            onClick={props.onToggle}
          >
            {props.open ? 'Hide' : 'Show'}
            <span class="visually-hidden">
              {' '}
              details of {e.type} at {when(e.timestamp)}
            </span>
          </button>
        </td>
      </tr>
      <tr id={detailsId} hidden={!props.open} class="details-row">
        <td colSpan={5}>
          {props.open ? (
            <dl class="details">
              <dt>Event id</dt>
              <dd class="mono">{e.event_id}</dd>
              <dt>Scope</dt>
              <dd class="mono small">
                partner {e.partner_id ?? '—'}
                {e.org_id ? `, org ${e.org_id}` : ''}
              </dd>
              {e.resource ? (
                <>
                  <dt>Resource</dt>
                  <dd class="mono small">
                    {e.resource.type} {e.resource.id}
                  </dd>
                </>
              ) : null}
              {e.actor?.ip ? (
                <>
                  <dt>From</dt>
                  <dd class="mono small">{e.actor.ip}</dd>
                </>
              ) : null}
              <dt>Details</dt>
              <dd>
                <pre class="json">{JSON.stringify(e.details, null, 2)}</pre>
              </dd>
            </dl>
          ) : null}
        </td>
      </tr>
    </>
  );
}
