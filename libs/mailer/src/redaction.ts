/**
 * Takes a target's secrets out of text that came from outside: an SMTP server's reply or a token
 * endpoint's answer. Some servers echo what they received when AUTH fails, so a reply can carry the
 * stored password, client secret or access token (plain, or as the base64 of AUTH PLAIN, AUTH LOGIN or
 * XOAUTH2) — and the caller who sees the reply (an org admin testing the partner's route, an auditor
 * reading a failure) is often not the one who set the secret.
 *
 * Secrets are found in plain form, URL/form-encoded, JSON-escaped, and inside any base64 (or base64url)
 * run of the text at every alignment, so an encoding that wraps the secret with other bytes (the `\0user\0`
 * of PLAIN, the `user=…\x01auth=Bearer ` of XOAUTH2) is caught without knowing the mechanism. A matching
 * base64 run is replaced as a whole. A secret too short to search for safely withholds the whole text.
 */
import type { SmtpTarget } from './smtp-target';

export const REDACTED = '[redacted]';
export const WITHHELD = '[withheld: the reply may contain a stored secret]';

/** Shorter secrets are not searched for piecewise (they would match anywhere): their presence withholds the text. */
const MIN_SEARCHABLE = 4;
const BASE64_RUN = /[A-Za-z0-9+/_-]{6,}={0,2}/g;

/** Every secret a target carries, plus tokens issued for it. Internal only. */
export function secretsOf(target: SmtpTarget, tokens: readonly string[] = []): string[] {
  const out: string[] = [];
  const auth = target.auth;
  if (auth.type === 'basic') out.push(auth.password);
  if (auth.type === 'oauth2') {
    out.push(auth.clientSecret);
    for (const h of auth.requestHeaders ?? []) out.push(h.value);
  }
  if (target.clientKey) out.push(target.clientKey);
  out.push(...tokens);
  return [...new Set(out.filter((s) => typeof s === 'string' && s !== ''))];
}

function plainForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]);
  forms.add(JSON.stringify(secret).slice(1, -1));
  return [...forms];
}

/** The text a base64 run decodes to, at each of the four character alignments (latin1: bytes as chars). */
function decodings(run: string): string[] {
  const body = run.replace(/=+$/, '');
  const out: string[] = [];
  for (let offset = 0; offset < 4 && body.length - offset >= 2; offset++) {
    out.push(Buffer.from(body.slice(offset), 'base64').toString('latin1'));
  }
  return out;
}

const asBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Returns `text` without any of `secrets` in any of the forms above. */
export function redactSecrets(text: string, secrets: readonly string[]): string;
export function redactSecrets(text: string | null, secrets: readonly string[]): string | null;
export function redactSecrets(text: string | null, secrets: readonly string[]): string | null {
  if (text === null || text === '' || secrets.length === 0) return text;
  const bytes = secrets.map(asBytes);
  const inDecoded = (run: string, which: readonly string[]) => decodings(run).some((d) => which.some((b) => d.includes(b)));

  const short = secrets.filter((s) => s.length < MIN_SEARCHABLE);
  if (short.length > 0) {
    const shortBytes = short.map(asBytes);
    const runs = text.match(BASE64_RUN) ?? [];
    if (short.some((s) => plainForms(s).some((f) => text.includes(f))) || runs.some((r) => inDecoded(r, shortBytes))) return WITHHELD;
  }
  const searchable = bytes.filter((_, i) => secrets[i]!.length >= MIN_SEARCHABLE);
  let out = text.replace(BASE64_RUN, (run) => (inDecoded(run, searchable) ? REDACTED : run));
  for (const secret of secrets) {
    if (secret.length < MIN_SEARCHABLE) continue;
    for (const form of plainForms(secret)) out = out.split(form).join(REDACTED);
  }
  return out;
}
