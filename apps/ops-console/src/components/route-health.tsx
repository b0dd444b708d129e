import { ago, when } from '../format';
import type { ProfileHealth } from '../smtp-form';

const STAGE_WORDS: Record<string, string> = {
  DNS: 'DNS',
  CONNECT: 'connect',
  TLS: 'TLS',
  AUTH: 'authentication',
  OAUTH_TOKEN: 'OAuth2 token',
  MAIL_FROM: 'sender',
  RCPT_TO: 'recipient',
  DATA: 'data',
  TIMEOUT: 'timeout',
};

/** Last success and last failure (with the stage and the SMTP code) of the profile in force. */
export function RouteHealth(props: { health: ProfileHealth | null; known: boolean }) {
  if (!props.known) return <span class="muted">not recorded for this level</span>;
  const h = props.health;
  if (!h || (!h.last_success_at && !h.last_failure_at)) return <span class="muted">no email sent yet</span>;
  const failure = h.last_failure;
  const failedLast = h.last_failure_at && (!h.last_success_at || h.last_failure_at > h.last_success_at);
  return (
    <span class="health">
      <span class={`health__item${failedLast ? '' : ' health__item--ok'}`} title={when(h.last_success_at)}>
        Last success: {ago(h.last_success_at)}
      </span>
      {h.last_failure_at ? (
        <span class={`health__item${failedLast ? ' health__item--bad' : ''}`} title={when(h.last_failure_at)}>
          Last failure: {ago(h.last_failure_at)}
          {failure?.stage ? ` at ${STAGE_WORDS[failure.stage] ?? failure.stage}` : ''}
          {failure?.smtp_code ? ` (${failure.smtp_code})` : ''}
        </span>
      ) : null}
    </span>
  );
}
