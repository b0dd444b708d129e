/**
 * The delivery log (GET /event/v1/email/messages): what became of every system email of the scope, newest
 * first, filtered by status, template, recipient and time, paged with the API's cursor; a message's page
 * (GET /event/v1/email/messages/:id) lists every attempt with its route, stage and the server's reply.
 * The API scopes it to the caller's tenant; a controller admin narrows it to the chosen partner.
 */
import { useEffect, useState } from 'preact/hooks';
import { fieldErrors, get, messageOf } from '../api';
import type { PageProps } from '../app';
import { SelectField, TextField } from '../components/fields';
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

interface Attempt {
  recipient: string;
  attempt: number;
  at: string;
  route: { level: string | null; host: string | null; profile_version: string | null };
  stage: string | null;
  smtp_code: number | null;
  reply: string | null;
  error_code: string | null;
  outcome: string;
  message_id: string | null;
}

interface Message {
  id: string;
  partner_id: string | null;
  org_id: string | null;
  producer: { type: string; id: string | null; name: string | null };
  template: string;
  recipients: { to: string[]; cc: string[]; reply_to: string | null };
  subject: string;
  status: string;
  route: { level: string | null; profile_id: string | null; version: string | null };
  created_at: string;
  updated_at: string;
  message_id: string | null;
  attempts: Attempt[];
}

interface MessagePage {
  items: Message[];
  next_cursor: string | null;
  limit: number;
}

const STATUSES = [
  { value: '', label: 'Any status' },
  { value: 'queued', label: 'Queued' },
  { value: 'sending', label: 'Sending' },
  { value: 'sent', label: 'Sent' },
  { value: 'retrying', label: 'Retrying' },
  { value: 'failed', label: 'Failed' },
];

const PAGE_SIZE = 20;

const badgeOf = (status: string) => (status === 'sent' ? 'ok' : status === 'failed' ? 'bad' : 'neutral');

export function DeliveryPage(props: PageProps) {
  const id = props.location.path.slice('/delivery/'.length);
  return props.location.path.startsWith('/delivery/') && id ? <MessageDetail {...props} id={id} /> : <MessageList {...props} />;
}

function MessageList({ session, location }: PageProps) {
  const { me } = session;
  const scope = scopeOf(me, location.query);
  const q = location.query;
  const timeWindow = timeWindowOf(q);
  const status = q.get('status') ?? '';
  const template = q.get('template') ?? '';
  const recipient = q.get('recipient') ?? '';
  const cursor = q.get('cursor') ?? '';
  const orgFilter = me.scope.org_id ? '' : (q.get('org_id') ?? '');

  const [page, setPage] = useState<MessagePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const orgs = useFilterOrganizations(me, scope);
  // The cursors of the pages before this one, so "Newer" can step back (the API pages one way).
  const [previous, setPrevious] = useState<string[]>([]);
  const [draft, setDraft] = useState({ ...timeWindow, status, template, recipient, org: orgFilter });

  useEffect(() => setDraft({ ...timeWindow, status, template, recipient, org: orgFilter }), [q.toString()]);

  useEffect(() => {
    let cancelled = false;
    setPage(null);
    setError(null);
    setErrors({});
    get<MessagePage>('/event/v1/email/messages', {
      ...apiTimeRange(timeWindow),
      status,
      template,
      to: recipient,
      cursor,
      limit: PAGE_SIZE,
      partner_id: me.scope.level === 'controller' && !orgFilter ? (scope.partnerId ?? undefined) : undefined,
      org_id: orgFilter || undefined,
    }).then(
      (res) => !cancelled && setPage(res.data),
      (e: unknown) => {
        if (cancelled) return;
        setError(messageOf(e));
        setErrors(fieldErrors(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [q.toString(), scope.partnerId]);

  const filters = (overrides: Record<string, string | null> = {}) =>
    href('/delivery', {
      partner_id: me.scope.level === 'controller' ? scope.partnerId : null,
      org_id: me.scope.org_id ? null : draft.org,
      ...timeWindowParams(draft),
      status: draft.status,
      template: draft.template.trim(),
      recipient: draft.recipient.trim(),
      ...overrides,
    });
  const apply = (event: Event) => {
    event.preventDefault();
    setPrevious([]);
    navigate(filters());
  };
  const goTo = (next: string | null, stack: string[]) => {
    setPrevious(stack);
    const params = new URLSearchParams(q);
    if (next) params.set('cursor', next);
    else params.delete('cursor');
    navigate(`${href('/delivery')}?${params}`);
  };
  const detailHref = (id: string) => {
    const params = new URLSearchParams(q);
    params.delete('cursor');
    return `${href(`/delivery/${id}`)}${params.toString() ? `?${params}` : ''}`;
  };

  return (
    <>
      <PageHeader title="Delivery log" />
      <LogFilterForm onSubmit={apply} submitLabel="Show messages">
        <TimeWindowFields value={draft} errors={errors} onValue={(w) => setDraft({ ...draft, ...w })} />
        <SelectField
          name="status"
          label="Status"
          value={draft.status}
          options={STATUSES}
          error={errors.status}
          onValue={(v) => setDraft({ ...draft, status: v })}
        />
        <TextField
          name="template"
          label="Template"
          value={draft.template}
          spellcheck={false}
          placeholder="password_setup"
          onValue={(v) => setDraft({ ...draft, template: v })}
          error={errors.template}
        />
        <TextField
          name="recipient"
          label="Recipient"
          hint="An address, or @example.com for everyone at a domain"
          inputMode="email"
          spellcheck={false}
          autoComplete="off"
          value={draft.recipient}
          onValue={(v) => setDraft({ ...draft, recipient: v })}
          error={errors.to}
        />
        {!me.scope.org_id ? <OrganizationFilterField orgs={orgs} value={draft.org} onValue={(org) => setDraft({ ...draft, org })} /> : null}
      </LogFilterForm>

      {error ? <Notice kind="error">{error}</Notice> : null}
      {errors.cursor ? (
        <p>
          <a href={filters({ cursor: null })}>Start again from the newest message</a>
        </p>
      ) : null}
      {!page && !error ? <Loading what="messages" /> : null}
      {page ? (
        <>
          <p class="muted" role="status">
            {page.items.length === 0
              ? 'No messages match.'
              : `${page.items.length} message${page.items.length === 1 ? '' : 's'}${cursor ? ' on this page' : ''}, newest first.`}
          </p>
          <div class="table-wrap" role="region" aria-label="Messages" tabIndex={0}>
            <table class="table table--events">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Status</th>
                  <th scope="col">Recipients</th>
                  <th scope="col">Template</th>
                  <th scope="col">Subject</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((m) => (
                  <tr key={m.id} data-message={m.id} data-status={m.status}>
                    <td>
                      <a href={detailHref(m.id)}>
                        <time dateTime={m.created_at}>{when(m.created_at)}</time>
                        <span class="visually-hidden">: message to {m.recipients.to.join(', ')}</span>
                      </a>
                    </td>
                    <td>
                      <span class={`badge badge--${badgeOf(m.status)}`}>{m.status}</span>
                    </td>
                    <td class="small">{[...m.recipients.to, ...m.recipients.cc].join(', ')}</td>
                    <td class="mono small">{m.template}</td>
                    <td class="small">{m.subject}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LogPager
            label="Pages of messages"
            newer={cursor ? () => goTo(previous[previous.length - 1] ?? null, previous.slice(0, -1)) : null}
            older={page.next_cursor ? () => goTo(page.next_cursor, cursor ? [...previous, cursor] : [...previous, '']) : null}
          />
        </>
      ) : null}
    </>
  );
}

function MessageDetail({ location, id }: PageProps & { id: string }) {
  const [message, setMessage] = useState<Message | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setMessage(null);
    setError(null);
    get<Message>(`/event/v1/email/messages/${encodeURIComponent(id)}`).then(
      (res) => !cancelled && setMessage(res.data),
      (e: unknown) => !cancelled && setError(messageOf(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [id]);

  const back = `${href('/delivery')}${location.query.toString() ? `?${location.query}` : ''}`;
  const m = message;
  return (
    <>
      <PageHeader title="Message">
        <a href={back}>Back to the delivery log</a>
      </PageHeader>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!m && !error ? <Loading what="the message" /> : null}
      {m ? (
        <>
          <section class="card" aria-labelledby="message-summary">
            <h2 id="message-summary">{m.subject}</h2>
            <dl class="details" data-testid="message-summary">
              <dt>Status</dt>
              <dd>
                <span class={`badge badge--${badgeOf(m.status)}`} data-testid="message-status">
                  {m.status}
                </span>
              </dd>
              <dt>To</dt>
              <dd>{m.recipients.to.join(', ')}</dd>
              {m.recipients.cc.length > 0 ? (
                <>
                  <dt>Cc</dt>
                  <dd>{m.recipients.cc.join(', ')}</dd>
                </>
              ) : null}
              {m.recipients.reply_to ? (
                <>
                  <dt>Reply to</dt>
                  <dd>{m.recipients.reply_to}</dd>
                </>
              ) : null}
              <dt>Template</dt>
              <dd class="mono small">{m.template}</dd>
              <dt>Sent by</dt>
              <dd>{m.producer.name ?? m.producer.type}</dd>
              <dt>Route</dt>
              <dd class="small">
                {m.route.level ?? '—'}
                {m.route.version ? `, profile version ${m.route.version}` : ''}
              </dd>
              <dt>Queued</dt>
              <dd>
                <time dateTime={m.created_at}>{when(m.created_at)}</time>
              </dd>
              <dt>Last change</dt>
              <dd>
                <time dateTime={m.updated_at}>{when(m.updated_at)}</time>
              </dd>
              <dt>Message-ID</dt>
              <dd class="mono small">{m.message_id ?? '—'}</dd>
              <dt>Id</dt>
              <dd class="mono small">{m.id}</dd>
            </dl>
          </section>
          <h2 id="attempts-title">Attempts</h2>
          {m.attempts.length === 0 ? (
            <p class="muted">No attempt yet.</p>
          ) : (
            <div class="table-wrap" role="region" aria-labelledby="attempts-title" tabIndex={0}>
              <table class="table table--events">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Recipient</th>
                    <th scope="col">Attempt</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Route</th>
                    <th scope="col">Stage</th>
                    <th scope="col">Reply</th>
                  </tr>
                </thead>
                <tbody>
                  {m.attempts.map((a) => (
                    <tr key={`${a.recipient}-${a.attempt}`} data-outcome={a.outcome}>
                      <td>
                        <time dateTime={a.at}>{when(a.at)}</time>
                      </td>
                      <td class="small">{a.recipient}</td>
                      <td>{a.attempt}</td>
                      <td>
                        <span class={`badge badge--${badgeOf(a.outcome)}`}>{a.outcome}</span>
                      </td>
                      <td class="small" data-testid="attempt-route">
                        {a.route.level ?? '—'}
                        {a.route.host ? <span class="mono"> {a.route.host}</span> : null}
                        {a.route.profile_version ? `, version ${a.route.profile_version}` : ''}
                      </td>
                      <td class="mono small">{a.stage ?? '—'}</td>
                      <td class="mono small">
                        {a.reply ?? (a.smtp_code !== null ? String(a.smtp_code) : '—')}
                        {a.error_code ? <span class="muted"> ({a.error_code})</span> : null}
                        {a.message_id ? <div class="muted">{a.message_id}</div> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </>
  );
}
