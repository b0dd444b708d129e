import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { CheckedDestination } from './egress-guard';
import { SmtpTarget } from './smtp-target';

/** Timeouts for one SMTP conversation: a dead or silent server costs at most this long per step. */
export interface SmtpTimeouts {
  connectionMs: number;
  greetingMs: number;
  socketMs: number;
  dnsMs: number;
  /**
   * A plain or STARTTLS conversation still without a greeting after this long probes the port with a
   * TLS handshake: a port that answers one waits for implicit TLS and would otherwise cost the whole
   * greeting timeout. A merely slow server fails the probe and keeps its full greeting time.
   */
  tlsProbeAfterMs: number;
}

export const DEFAULT_TIMEOUTS: SmtpTimeouts = {
  connectionMs: 10_000,
  greetingMs: 10_000,
  socketMs: 30_000,
  dnsMs: 5_000,
  tlsProbeAfterMs: 1_000,
};

/**
 * nodemailer connection options for a target. With a checked destination the socket goes to the
 * checked address and TLS verifies the profile's host name (`servername`), so a name that re-resolves
 * elsewhere between check and connect changes nothing.
 */
export function connectionOptions(
  target: SmtpTarget,
  dest: CheckedDestination | undefined,
  timeouts: SmtpTimeouts,
): SMTPConnection.Options {
  const servername = dest ? dest.servername : undefined;
  const tls: Record<string, unknown> = {
    rejectUnauthorized: !target.insecure,
    minVersion: 'TLSv1.2',
  };
  if (servername) tls.servername = servername;
  if (target.caCert) tls.ca = target.caCert;
  if (target.clientCert && target.clientKey) {
    tls.cert = target.clientCert;
    tls.key = target.clientKey;
  }
  return {
    host: dest ? dest.address : target.host,
    port: target.port,
    ...(servername ? { servername } : {}),
    secure: target.tlsMode === 'implicit',
    requireTLS: target.tlsMode === 'starttls',
    ignoreTLS: target.tlsMode === 'none',
    tls: tls as SMTPConnection.Options['tls'],
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    dnsTimeout: timeouts.dnsMs,
    logger: false,
    debug: false,
  } as SMTPConnection.Options;
}
