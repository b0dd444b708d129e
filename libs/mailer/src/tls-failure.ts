/**
 * Why a TLS negotiation failed, as one of a closed set of reasons with a hint a human can act on.
 * Node and OpenSSL name the cause in the error's code (nodemailer keeps it as `originalCode` when it
 * wraps a socket error); the text of a message is only a fallback. Nothing here reads a certificate's
 * content or a credential: the reason and hint are built from fixed words.
 */
import tls from 'node:tls';

export type TlsReason =
  /** The server's certificate does not chain to a trusted CA (self-signed, private or unknown CA). */
  | 'untrusted'
  /** The certificate is valid but not for the host name (or address) connected to. */
  | 'hostname_mismatch'
  | 'expired'
  | 'not_yet_valid'
  /** The server refused our client certificate, or required one and got none. */
  | 'client_certificate_rejected'
  /** No TLS version (or cipher) both sides accept. */
  | 'protocol_version'
  /** The port speaks TLS from the first byte (implicit TLS), and we spoke plain SMTP or STARTTLS. */
  | 'implicit_tls_port'
  /** We spoke implicit TLS to a port that speaks plain SMTP first (STARTTLS or no TLS). */
  | 'plain_port'
  /** The server did not offer or refused STARTTLS. */
  | 'starttls_unavailable'
  | 'other';

export const TLS_REASONS: readonly TlsReason[] = [
  'untrusted',
  'hostname_mismatch',
  'expired',
  'not_yet_valid',
  'client_certificate_rejected',
  'protocol_version',
  'implicit_tls_port',
  'plain_port',
  'starttls_unavailable',
  'other',
];

export const TLS_REASON_WORDS: Record<TlsReason, string> = {
  untrusted: 'the server certificate is not trusted',
  hostname_mismatch: 'the server certificate does not match the host name',
  expired: 'the server certificate has expired',
  not_yet_valid: 'the server certificate is not valid yet',
  client_certificate_rejected: 'the server refused the client certificate',
  protocol_version: 'no TLS version both sides accept',
  implicit_tls_port: 'the port expects implicit TLS',
  plain_port: 'the port does not speak implicit TLS',
  starttls_unavailable: 'the server does not offer STARTTLS',
  other: 'the TLS handshake failed',
};

export const TLS_HINTS: Record<TlsReason, string> = {
  untrusted:
    'The server certificate is self-signed or issued by a CA this installation does not trust: set ca_cert to the issuing CA (FW_EVENT_SMTP_SERVER_CA_CERT for the controller profile), or use a publicly trusted certificate.',
  hostname_mismatch:
    'The server certificate is not issued for this host: set host to a name the certificate lists (its subject alternative names), or replace the certificate.',
  expired: 'The server certificate has expired: the mail server operator must renew it.',
  not_yet_valid: 'The server certificate is not valid yet: check the clocks of the mail server and of this installation.',
  client_certificate_rejected:
    'The server requires a client certificate and refused ours (or none was set): set client_cert and client_key to a certificate the server trusts.',
  protocol_version:
    'The server offers only TLS versions or ciphers below what this installation accepts (TLS 1.2 or newer): upgrade the mail server’s TLS settings.',
  implicit_tls_port:
    'This port speaks TLS from the first byte (implicit TLS, usually port 465): set tls_mode to "implicit", or use the STARTTLS port (usually 587).',
  plain_port:
    'This port speaks plain SMTP first, not implicit TLS: set tls_mode to "starttls" (usually port 587), or use the implicit TLS port (usually 465).',
  starttls_unavailable:
    'The server did not accept STARTTLS on this port: use the implicit TLS port with tls_mode "implicit", or ask the operator to enable STARTTLS.',
  other:
    'TLS failed: check tls_mode (implicit TLS is usually port 465, STARTTLS 587), the server certificate and ca_cert, or the client certificate.',
};

const BY_CODE: Record<string, TlsReason> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  CERT_REJECTED: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  INVALID_CA: 'untrusted',
  PATH_LENGTH_EXCEEDED: 'untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname_mismatch',
  HOSTNAME_MISMATCH: 'hostname_mismatch',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not_yet_valid',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'client_certificate_rejected',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'client_certificate_rejected',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'client_certificate_rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'client_certificate_rejected',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'client_certificate_rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'client_certificate_rejected',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'client_certificate_rejected',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'client_certificate_rejected',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'protocol_version',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol_version',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'protocol_version',
  ERR_SSL_VERSION_TOO_LOW: 'protocol_version',
  ERR_SSL_NO_SHARED_CIPHER: 'protocol_version',
  ERR_SSL_TLSV1_ALERT_INSUFFICIENT_SECURITY: 'protocol_version',
  ERR_SSL_WRONG_VERSION_NUMBER: 'plain_port',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'plain_port',
  ERR_SSL_RECORD_LENGTH_MISMATCH: 'plain_port',
};

interface ErrorLike {
  code?: unknown;
  originalCode?: unknown;
  command?: unknown;
  message?: unknown;
}

/** The reason of a TLS failure, or null when the error does not look like one. */
export function tlsReasonOf(error: unknown): TlsReason | null {
  const e = (error ?? {}) as ErrorLike;
  for (const code of [e.originalCode, e.code]) {
    if (typeof code === 'string' && BY_CODE[code]) return BY_CODE[code];
  }
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.code === 'ETLS' && String(e.command ?? '').toUpperCase() === 'STARTTLS' && /upgrading connection with STARTTLS/i.test(message))
    return 'starttls_unavailable';
  if (/self[- ]signed|unable to (get|verify)|unknown ca/i.test(message)) return 'untrusted';
  if (/altnames|does not match certificate/i.test(message)) return 'hostname_mismatch';
  if (/certificate has expired/i.test(message)) return 'expired';
  if (/wrong version number/i.test(message)) return 'plain_port';
  if (/protocol version|unsupported protocol/i.test(message)) return 'protocol_version';
  return null;
}

/**
 * Whether `host:port` completes a TLS handshake at once (without checking the certificate: only the
 * protocol is in question). Used when a plain or STARTTLS conversation got no greeting, to tell a
 * slow server from one that waits for a TLS ClientHello. Never sends anything beyond the handshake.
 */
export function speaksImplicitTls(host: string, port: number, servername: string | undefined, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = tls.connect({
      host,
      port,
      ...(servername ? { servername } : {}),
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
    });
    const done = (answer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
