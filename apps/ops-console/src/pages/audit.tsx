/**
 * SYSTEMAUDIT events of the scope: time presets or a range, type and outcome filters, paging, and an
 * event's details. Partner and controller users read /opsauditlogs (the partner and its orgs, or one
 * org); org users read /event/v1/auditlog.
 */
import { useEffect, useState } from 'preact/hooks';
import { fieldErrors, get, messageOf } from '../api';
import type { PageProps } from '../app';
import { SelectField, TextField } from '../components/fields';
import { Loading, Notice, PageHeader } from '../components/ui';
import { when } from '../format';
import { href, navigate } from '../router';
import { listOrganizations, Organization, scopeOf } from '../tenants';

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

const PRESETS = [
  { value: 'now-15m', label: 'Last 15 minutes' },
  { value: 'now-1h', label: 'Last hour' },
  { value: 'now-24h', label: 'Last 24 hours' },
  { value: 'now-7d', label: 'Last 7 days' },
  { value: 'now-30d', label: 'Last 30 days' },
  { value: 'range', label: 'Custom range' },
] as const;

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

/** datetime-local gives local wall time without a zone; the API wants ISO 8601 (UTC when no zone). */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : '');

export function AuditPage({ session, location }: PageProps) {
  const { me } = session;
  const scope = scopeOf(me, location.query);
  const q = location.query;
  const time = q.get('time') ?? 'now-24h';
  const from = q.get('from') ?? '';
  const to = q.get('to') ?? '';
  const type = q.get('type') ?? '';
  const outcome = q.get('outcome') ?? '';
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
  const orgFilter = me.scope.org_id ? me.scope.org_id : (q.get('org_id') ?? '');

  const [page, setPage] = useState<AuditPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [open, setOpen] = useState<string | null>(null);
  const [orgs, setOrgs] = useState<Organization[]>([]);
  const [draft, setDraft] = useState({ time, from, to, type, outcome, org: orgFilter });

  useEffect(() => setDraft({ time, from, to, type, outcome, org: orgFilter }), [q.toString()]);

  useEffect(() => {
    if (!me.scope.org_id && scope.partnerId)
      listOrganizations(me.scope.level === 'controller' ? scope.partnerId : undefined).then(setOrgs, () => setOrgs([]));
  }, [scope.partnerId]);

  useEffect(() => {
    let cancelled = false;
    setPage(null);
    setError(null);
    setErrors({});
    const timefrom = time === 'range' ? isoOf(from) : time;
    const timeto = time === 'range' ? isoOf(to) : '';
    const common = { timefrom, timeto, type, outcome, offset, limit: PAGE_SIZE, category: 'SYSTEMAUDIT' };
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
        time: draft.time,
        from: draft.time === 'range' ? draft.from : null,
        to: draft.time === 'range' ? draft.to : null,
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
      <form class="card filters" onSubmit={(e) => apply(e)} aria-label="Filters">
        <SelectField
          name="time"
          label="Time"
          value={draft.time}
          options={PRESETS}
          error={errors.timefrom}
          onValue={(v) => setDraft({ ...draft, time: v })}
        />
        {draft.time === 'range' ? (
          <>
            <TextField
              name="from"
              label="From"
              type="datetime-local"
              value={draft.from}
              onValue={(v) => setDraft({ ...draft, from: v })}
              error={errors.timefrom}
            />
            <TextField
              name="to"
              label="To"
              type="datetime-local"
              value={draft.to}
              onValue={(v) => setDraft({ ...draft, to: v })}
              error={errors.timeto}
            />
          </>
        ) : null}
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
        {!me.scope.org_id ? (
          <SelectField
            name="org"
            label="Organization"
            value={draft.org}
            options={[{ value: '', label: 'The partner and all its organizations' }, ...orgs.map((o) => ({ value: o.id, label: o.name }))]}
            onValue={(v) => setDraft({ ...draft, org: v })}
          />
        ) : null}
        <div class="filters__submit">
          <button type="submit" class="button button--primary">
            Show events
          </button>
        </div>
      </form>

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
          <nav class="pager" aria-label="Pages of events">
            <button type="button" class="button" disabled={offset === 0} onClick={() => goTo(Math.max(0, offset - PAGE_SIZE))}>
              Newer
            </button>
            <button
              type="button"
              class="button"
              disabled={offset + page.items.length >= Math.min(page.total, 10000)}
              onClick={() => goTo(offset + PAGE_SIZE)}
            >
              Older
            </button>
          </nav>
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
