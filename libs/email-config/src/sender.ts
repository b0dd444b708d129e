/**
 * Who system emails come from: the profile's sender_email, else its username when that is an address,
 * else the controller's sender (FW_EVENT_SMTP_SENDER_EMAIL), else `no-reply@<host of PUBLIC_URL>`. The
 * chain means a profile saved with only the seed's fields (whose username need not be an address)
 * still sends. Which link of the chain supplied the sender is part of the answer, so
 * GET …/effective can say where it came from. A test email's own `sender_email` wins over all of this.
 */
import { isIP } from 'node:net';
import { isPlainAddress } from '@mailstrata/mailer';
import type { ProfileSource } from './profile.model';
import type { SmtpSettings } from './smtp-settings';

export type SenderSource = 'profile' | 'username' | 'controller' | 'public_url';

export interface EffectiveSender {
  email: string;
  name: string | null;
  source: SenderSource;
}

export interface SenderDefaults {
  /** FW_EVENT_SMTP_SENDER_EMAIL / _NAME. */
  controllerEmail: string | undefined;
  controllerName: string | undefined;
  /** PUBLIC_URL: its host names the last-resort `no-reply@` address. */
  publicUrl: string;
}

export function publicUrlSender(publicUrl: string): string | null {
  let host: string;
  try {
    host = new URL(publicUrl).hostname;
  } catch {
    return null;
  }
  const address = `no-reply@${host}`;
  if (isIP(host.replace(/^\[|\]$/g, '')) === 0 && isPlainAddress(address)) return address;
  // A development PUBLIC_URL (the default http://localhost:8080, an IP address) names no mail domain. The
  // seed's six controller variables must still send a setup email there, so the sender comes from a name
  // RFC 6761 reserves for this host; production requires PUBLIC_URL, whose host is a real domain.
  return DEVELOPMENT_SENDER;
}

export const DEVELOPMENT_SENDER = 'no-reply@mailstrata.localhost';

/** The sender of a profile at `level`, or null when no link of the chain yields an address. */
export function resolveSender(
  settings: Pick<SmtpSettings, 'senderEmail' | 'senderName' | 'username'>,
  level: ProfileSource,
  defaults: SenderDefaults,
): EffectiveSender | null {
  const name = settings.senderName;
  // The controller profile's sender_email is FW_EVENT_SMTP_SENDER_EMAIL itself.
  if (settings.senderEmail) return { email: settings.senderEmail, name, source: level === 'controller' ? 'controller' : 'profile' };
  if (settings.username && isPlainAddress(settings.username)) return { email: settings.username, name, source: 'username' };
  if (defaults.controllerEmail)
    return { email: defaults.controllerEmail, name: name ?? defaults.controllerName ?? null, source: 'controller' };
  const fallback = publicUrlSender(defaults.publicUrl);
  return fallback ? { email: fallback, name: name ?? defaults.controllerName ?? null, source: 'public_url' } : null;
}
