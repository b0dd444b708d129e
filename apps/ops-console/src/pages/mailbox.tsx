/**
 * The development mail catcher's mailbox (controller admins; only while the catcher runs): every email
 * the service sent through the controller default, newest first. An HTML body is shown in a sandboxed
 * frame whose own CSP blocks scripts and remote content; links in the text body can be followed.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, get, messageOf } from '../api';
import type { PageProps } from '../app';
import { ConfirmDialog, Loading, Notice, PageHeader } from '../components/ui';
import { bytes, when } from '../format';
import { href } from '../router';

interface Summary {
  id: string;
  received_at: string;
  from: string | null;
  to: string | null;
  subject: string | null;
  size_bytes: number;
  has_html: boolean;
}

interface Message extends Summary {
  envelope_from: string | null;
  envelope_to: string[];
  headers: { name: string; value: string }[];
  text: string | null;
}

interface ListAnswer {
  smtp: { host: string; port: number } | null;
  items: Summary[];
  total: number;
}

export function MailboxPage({ location }: PageProps) {
  const id = location.path.startsWith('/mailbox/') ? location.path.slice('/mailbox/'.length) : null;
  return id ? <MessageView id={id} /> : <MessageList />;
}

function MessageList() {
  const [list, setList] = useState<ListAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const [confirm, setConfirm] = useState(false);
  useEffect(() => {
    get<ListAnswer>('/dev/v1/mailbox', { limit: 100 }).then(
      (r) => setList(r.data),
      (e: unknown) => setError(messageOf(e)),
    );
  }, [reloads]);
  const clear = async () => {
    setConfirm(false);
    try {
      await api('DELETE', '/dev/v1/mailbox');
      setReloads((n) => n + 1);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <>
      <PageHeader title="Mailbox">
        <button type="button" class="button button--small" onClick={() => setReloads((n) => n + 1)}>
          Refresh
        </button>
        {list && list.total > 0 ? (
          <button type="button" class="button button--small button--danger" onClick={() => setConfirm(true)}>
            Empty mailbox…
          </button>
        ) : null}
      </PageHeader>
      <p class="lead">
        The built-in development mail catcher{list?.smtp ? ` (SMTP on ${list.smtp.host}:${list.smtp.port})` : ''} is the controller default:
        every email that would go through it lands here instead of leaving the machine. It never runs in production.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!list && !error ? <Loading what="messages" /> : null}
      {list ? (
        list.items.length === 0 ? (
          <p>No messages yet. Create a user with ACCOUNT_CREATION_STRATEGY=VERIFY, or send a test email through the controller default.</p>
        ) : (
          <div class="table-wrap" role="region" aria-label="Messages" tabIndex={0}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Subject</th>
                  <th scope="col">To</th>
                  <th scope="col">From</th>
                  <th scope="col">Size</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <time dateTime={m.received_at}>{when(m.received_at)}</time>
                    </td>
                    <td>
                      <a href={href(`/mailbox/${m.id}`)}>{m.subject || '(no subject)'}</a>
                    </td>
                    <td class="small">{m.to}</td>
                    <td class="small">{m.from}</td>
                    <td class="small">{bytes(m.size_bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <ConfirmDialog
        open={confirm}
        title="Empty the mailbox?"
        confirmLabel="Delete all messages"
        danger
        onConfirm={() => void clear()}
        onCancel={() => setConfirm(false)}
      >
        <p>Every caught message is deleted. This cannot be undone.</p>
      </ConfirmDialog>
    </>
  );
}

const URL_PATTERN = /(https?:\/\/[^\s<>"]+)/g;

/** Plain text with its http(s) links made clickable (as text nodes and anchors, never as HTML). */
function linkify(text: string): ComponentChildren[] {
  return text.split(URL_PATTERN).map((part, i) =>
    i % 2 === 1 ? (
      <a key={i} href={part} rel="noopener noreferrer">
        {part}
      </a>
    ) : (
      part
    ),
  );
}

function MessageView(props: { id: string }) {
  const [message, setMessage] = useState<Message | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<'text' | 'html' | 'headers'>('text');
  useEffect(() => {
    get<Message>(`/dev/v1/mailbox/${encodeURIComponent(props.id)}`).then(
      (r) => {
        setMessage(r.data);
        setTab(r.data.text ? 'text' : r.data.has_html ? 'html' : 'headers');
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [props.id]);
  const tabs: { id: 'text' | 'html' | 'headers'; label: string; show: boolean }[] = [
    { id: 'text', label: 'Text', show: Boolean(message?.text) },
    { id: 'html', label: 'HTML', show: Boolean(message?.has_html) },
    { id: 'headers', label: 'Headers', show: true },
  ];
  return (
    <>
      <PageHeader title={message?.subject || (error ? 'Message' : 'Loading…')}>
        <a class="button button--small" href={href('/mailbox')}>
          Back to the mailbox
        </a>
      </PageHeader>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {message ? (
        <>
          <dl class="status-list card">
            <div>
              <dt>From</dt>
              <dd>{message.from}</dd>
            </div>
            <div>
              <dt>To</dt>
              <dd>{message.to}</dd>
            </div>
            <div>
              <dt>Received</dt>
              <dd>{when(message.received_at)}</dd>
            </div>
            <div>
              <dt>Envelope</dt>
              <dd class="mono small">
                {message.envelope_from ?? '<>'} → {message.envelope_to.join(', ')}
              </dd>
            </div>
          </dl>
          <div class="tabs" role="tablist" aria-label="Message parts">
            {tabs
              .filter((t) => t.show)
              .map((t) => (
                <button
                  key={t.id}
                  type="button"
                  role="tab"
                  id={`tab-${t.id}`}
                  aria-selected={tab === t.id ? 'true' : 'false'}
                  aria-controls={`panel-${t.id}`}
                  tabIndex={tab === t.id ? 0 : -1}
                  class="tab"
                  onClick={() => setTab(t.id)}
                  onKeyDown={(e) => {
                    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
                    const shown = tabs.filter((x) => x.show);
                    const i = shown.findIndex((x) => x.id === tab);
                    const next = shown[(i + (e.key === 'ArrowRight' ? 1 : shown.length - 1)) % shown.length]!;
                    setTab(next.id);
                    requestAnimationFrame(() => document.getElementById(`tab-${next.id}`)?.focus());
                  }}
                >
                  {t.label}
                </button>
              ))}
          </div>
          <div class="card tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} tabIndex={0}>
            {tab === 'text' ? <pre class="mail-text">{linkify(message.text ?? '')}</pre> : null}
            {tab === 'html' ? (
              <iframe
                class="mail-html"
                title={`HTML body of ${message.subject ?? 'the message'}`}
                sandbox=""
                referrerpolicy="no-referrer"
                src={`/dev/v1/mailbox/${encodeURIComponent(message.id)}/html`}
              />
            ) : null}
            {tab === 'headers' ? (
              <table class="table headers-table">
                <caption class="visually-hidden">Message headers</caption>
                <tbody>
                  {message.headers.map((h, i) => (
                    <tr key={i}>
                      <th scope="row" class="mono small">
                        {h.name}
                      </th>
                      <td class="mono small">{h.value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </div>
        </>
      ) : !error ? (
        <Loading what="the message" />
      ) : null}
    </>
  );
}
