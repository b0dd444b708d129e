/**
 * A test email's result as the stages it went through, in order, with timings where the API measured
 * them; on failure, the failed stage with the server's reply and the hint, and what was not reached.
 */
import type { Problem } from '../api';

export interface VerificationAnswer {
  status: 'sent' | 'connected';
  mode: 'send' | 'connect';
  source: string;
  candidate: boolean;
  host: string;
  port: number;
  tls_mode: string;
  smtp_response: string | null;
  message_id: string | null;
  accepted: string[];
  rejected: string[];
  timings: { dns_ms?: number; connect_ms?: number; auth_ms?: number; oauth_token_ms?: number; send_ms?: number; total_ms?: number };
}

type StageId = 'EGRESS' | 'DNS' | 'CONNECT' | 'TLS' | 'OAUTH_TOKEN' | 'AUTH' | 'MAIL_FROM' | 'RCPT_TO' | 'DATA';

const LABELS: Record<StageId, string> = {
  EGRESS: 'Destination check',
  DNS: 'DNS lookup',
  CONNECT: 'Connect',
  TLS: 'TLS',
  OAUTH_TOKEN: 'OAuth2 token',
  AUTH: 'Authentication',
  MAIL_FROM: 'Sender (MAIL FROM)',
  RCPT_TO: 'Recipient (RCPT TO)',
  DATA: 'Message (DATA)',
};

type Status = 'ok' | 'failed' | 'skipped' | 'not-reached';
const STATUS_TEXT: Record<Status, string> = { ok: 'passed', failed: 'failed', skipped: 'not used', 'not-reached': 'not reached' };
const ICON: Record<Status, string> = { ok: '✓', failed: '✗', skipped: '–', 'not-reached': '·' };

interface Row {
  id: StageId;
  status: Status;
  ms?: number;
  note?: string;
}

function stagesFor(mode: 'send' | 'connect', tlsMode: string, authType: string): StageId[] {
  const list: StageId[] = ['DNS', 'CONNECT', 'TLS'];
  if (authType === 'oauth2') list.push('OAUTH_TOKEN');
  list.push('AUTH');
  if (mode === 'send') list.push('MAIL_FROM', 'RCPT_TO', 'DATA');
  void tlsMode;
  return list;
}

export function successRows(answer: VerificationAnswer, authType: string): Row[] {
  const t = answer.timings;
  return stagesFor(answer.mode, answer.tls_mode, authType).map((id): Row => {
    if (id === 'TLS' && answer.tls_mode === 'none') return { id, status: 'skipped', note: 'TLS mode is none' };
    if (id === 'AUTH' && authType === 'none') return { id, status: 'skipped', note: 'no authentication' };
    const ms: Partial<Record<StageId, number | undefined>> = {
      DNS: t.dns_ms,
      CONNECT: t.connect_ms,
      OAUTH_TOKEN: t.oauth_token_ms,
      AUTH: t.auth_ms,
      DATA: t.send_ms,
    };
    const note =
      id === 'CONNECT' && answer.tls_mode !== 'none'
        ? 'including the TLS handshake'
        : id === 'DATA'
          ? 'sender, recipient and data'
          : undefined;
    return { id, status: 'ok', ms: ms[id], note };
  });
}

export function failureRows(problem: Problem, mode: 'send' | 'connect', tlsMode: string, authType: string): Row[] {
  const stage = (problem.stage ?? null) as StageId | 'TIMEOUT' | null;
  if (stage === 'EGRESS' || problem.code === 'SMTP_DESTINATION_REFUSED') return [{ id: 'EGRESS', status: 'failed' }];
  const list = stagesFor(mode, tlsMode, authType);
  const failedAt = stage === 'TIMEOUT' || stage === null ? -1 : list.indexOf(stage);
  return list.map((id, i): Row => {
    if ((id === 'TLS' && tlsMode === 'none') || (id === 'AUTH' && authType === 'none')) return { id, status: 'skipped' };
    if (failedAt === -1) return { id, status: 'not-reached' };
    return { id, status: i < failedAt ? 'ok' : i === failedAt ? 'failed' : 'not-reached' };
  });
}

export function StageList(props: { rows: Row[] }) {
  return (
    <ol class="stages" aria-label="Stages of the test">
      {props.rows.map((row) => (
        <li key={row.id} class={`stage stage--${row.status}`} data-stage={row.id} data-status={row.status}>
          <span class="stage__icon" aria-hidden="true">
            {ICON[row.status]}
          </span>
          <span class="stage__name">{LABELS[row.id]}</span>
          <span class="stage__status">{STATUS_TEXT[row.status]}</span>
          <span class="stage__time">{row.ms !== undefined ? `${row.ms} ms` : ''}</span>
          {row.note ? <span class="stage__note">{row.note}</span> : null}
        </li>
      ))}
    </ol>
  );
}
