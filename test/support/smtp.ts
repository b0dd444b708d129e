/**
 * Real SMTP servers (the `smtp-server` package) and a real OAuth2 token endpoint for tests and the
 * benchmark. Everything listens on 127.0.0.1 only. Servers record what they received, parsed just
 * enough to assert on (envelope, headers, from, to, subject, text body), plus how many connections
 * they saw, so a test can prove that nothing connected.
 *
 * TLS material comes from a throwaway CA made with the openssl CLI: one server certificate for
 * `localhost`, `mail.mailstrata.test` and 127.0.0.1, one client certificate, both signed by that CA.
 */
import { waitFor } from './wait';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { SMTPServer, SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';

export interface TestCertificates {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing we use: trusting it must not help. */
  otherCaCert: string;
}

let certs: TestCertificates | undefined;

/** Generated once per process (openssl), then reused. */
export function testCertificates(): TestCertificates {
  if (certs) return certs;
  const dir = mkdtempSync(join(tmpdir(), 'mailstrata-certs-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    const ca = (name: string) => {
      run(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
      );
    };
    ca('test-ca');
    ca('other-ca');
    writeFileSync(
      join(dir, 'server.ext'),
      'subjectAltName=DNS:localhost,DNS:mail.mailstrata.test,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n',
    );
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const leaf of ['server', 'client']) {
      run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', `/CN=${leaf}.mailstrata.test`);
      run(
        'x509',
        '-req',
        '-in',
        `${leaf}.csr`,
        '-CA',
        'test-ca.crt',
        '-CAkey',
        'test-ca.key',
        '-CAcreateserial',
        '-out',
        `${leaf}.crt`,
        '-days',
        '2',
        '-extfile',
        `${leaf}.ext`,
      );
    }
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    certs = {
      caCert: read('test-ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
      otherCaCert: read('other-ca.crt'),
    };
    return certs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BrokenCertificates {
  /** Self-signed for localhost and 127.0.0.1: untrusted unless trusted by itself. */
  selfSigned: { cert: string; key: string };
  /** Self-signed for other.mailstrata.test only: trusted as its own CA, it still does not match 127.0.0.1. */
  wrongHost: { cert: string; key: string };
  /** Self-signed for 127.0.0.1, valid until yesterday. */
  expired: { cert: string; key: string };
}

let broken: Promise<BrokenCertificates> | undefined;

/** Server certificates that fail a client's checks each for one reason (made with `selfsigned`). */
export function brokenCertificates(): Promise<BrokenCertificates> {
  const leaf = async (dns: string[], ips: string[], dates: { notBeforeDate?: Date; notAfterDate?: Date } = {}) => {
    const made = await generate([{ name: 'commonName', value: dns[0] ?? ips[0]! }], {
      keySize: 2048,
      algorithm: 'sha256',
      ...dates,
      extensions: [
        { name: 'basicConstraints', cA: false },
        {
          name: 'subjectAltName',
          altNames: [...dns.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))],
        },
      ],
    });
    return { cert: made.cert, key: made.private };
  };
  const day = 24 * 3600 * 1000;
  broken ??= Promise.all([
    leaf(['localhost'], ['127.0.0.1']),
    leaf(['other.mailstrata.test'], []),
    leaf(['localhost'], ['127.0.0.1'], { notBeforeDate: new Date(Date.now() - 30 * day), notAfterDate: new Date(Date.now() - day) }),
  ]).then(([selfSigned, wrongHost, expired]) => ({ selfSigned, wrongHost, expired }));
  return broken;
}

export interface ReceivedMessage {
  envelopeFrom: string;
  envelopeTo: string[];
  authUser: string | undefined;
  secure: boolean;
  /** Lower-cased header name → values, unfolded. */
  headers: Map<string, string[]>;
  from: string;
  to: string;
  subject: string;
  text: string;
  raw: string;
}

export interface SmtpFailures {
  /** Reply to AUTH with this code (e.g. 535). */
  auth?: number;
  mailFrom?: number;
  rcptTo?: number;
  /**
   * Per recipient address: refuse its RCPT TO with `code`, `times` times (then accept it), or always
   * when `times` is absent, e.g. `{ 'late@x.test': { code: 451, times: 1 }, 'gone@x.test': { code: 550 } }`.
   */
  rcptToFor?: Record<string, { code: number; times?: number }>;
  /** Reply to the end of DATA with this code (e.g. 451). */
  data?: number;
}

export interface SmtpServerOptions {
  tls?: 'none' | 'starttls' | 'implicit';
  /** username → password for AUTH PLAIN/LOGIN; when set, AUTH is required. */
  users?: Record<string, string>;
  /** XOAUTH2: accepts a token when this returns true for (username, token). */
  xoauth2?: (username: string, token: string) => boolean;
  /** Restricts the advertised AUTH methods (e.g. only LOGIN). */
  authMethods?: ('PLAIN' | 'LOGIN' | 'XOAUTH2')[];
  requireClientCert?: boolean;
  /** Serve this certificate and key instead of the test CA's server certificate (see brokenCertificates). */
  certificate?: { cert: string; key: string };
  /** TLS versions the server accepts (e.g. only TLSv1.1, which clients must refuse). */
  tlsVersions?: { min: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2'; max: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' };
  failures?: SmtpFailures;
  /**
   * Fails every AUTH with 535 and the text this returns for what was received: a server that echoes the
   * credentials it was sent (smtp-server gives the decoded username, password or access token).
   */
  authFailureText?: (auth: SMTPServerAuthentication) => string;
  /** Fixed port (e.g. to restart a server where a queued job expects it). */
  port?: number;
  /** Keep the parsed messages (default true; the benchmark only counts). */
  record?: boolean;
}

export interface TestSmtpServer {
  host: '127.0.0.1';
  port: number;
  messages: ReceivedMessage[];
  received: number;
  connections: number;
  authAttempts: { method: string; username: string | undefined; ok: boolean }[];
  failures: SmtpFailures;
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const tlsMode = options.tls ?? 'none';
  const needsAuth = options.users !== undefined || options.xoauth2 !== undefined;
  const c = tlsMode === 'none' ? undefined : testCertificates();
  const failures: SmtpFailures = { ...(options.failures ?? {}) };
  const record = options.record ?? true;
  const state: Pick<TestSmtpServer, 'messages' | 'received' | 'connections' | 'authAttempts'> = {
    messages: [],
    received: 0,
    connections: 0,
    authAttempts: [],
  };
  const authMethods = options.authMethods ?? [...(options.users ? ['PLAIN', 'LOGIN'] : []), ...(options.xoauth2 ? ['XOAUTH2'] : [])];

  const server = new SMTPServer({
    secure: tlsMode === 'implicit',
    ...(c ? (options.certificate ?? { key: c.serverKey, cert: c.serverCert }) : {}),
    ...(options.tlsVersions
      ? { minVersion: options.tlsVersions.min, maxVersion: options.tlsVersions.max, ciphers: 'DEFAULT@SECLEVEL=0' }
      : {}),
    ...(options.requireClientCert && c ? { requestCert: true, rejectUnauthorized: true, ca: [c.caCert] } : {}),
    disabledCommands: [...(tlsMode === 'none' ? ['STARTTLS'] : []), ...(needsAuth ? [] : ['AUTH'])],
    authMethods: authMethods.length > 0 ? authMethods : undefined,
    allowInsecureAuth: false,
    authOptional: !needsAuth,
    logger: false,
    banner: 'mailstrata test server',
    // Pooled clients keep idle connections open; do not wait the default 30 s for them on close.
    closeTimeout: 100,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      state.connections += 1;
      callback();
    },
    onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, callback) {
      if (options.authFailureText) {
        state.authAttempts.push({ method: auth.method, username: auth.username, ok: false });
        return callback(smtpError(535, options.authFailureText(auth)));
      }
      let ok = false;
      if (failures.auth) {
        ok = false;
      } else if (auth.method === 'XOAUTH2') {
        ok = !!options.xoauth2 && !!auth.username && !!auth.accessToken && options.xoauth2(auth.username, auth.accessToken);
      } else if (options.users && auth.username !== undefined) {
        ok = options.users[auth.username] !== undefined && options.users[auth.username] === auth.password;
      }
      state.authAttempts.push({ method: auth.method, username: auth.username, ok });
      if (ok) return callback(null, { user: auth.username });
      if (auth.method === 'XOAUTH2') {
        return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'smtp' } });
      }
      callback(smtpError(failures.auth ?? 535, '5.7.8 Authentication credentials invalid'));
    },
    onMailFrom(_address, _session, callback) {
      if (failures.mailFrom) return callback(smtpError(failures.mailFrom, 'Sender refused'));
      callback();
    },
    onRcptTo(address, _session, callback) {
      const planned = failures.rcptToFor?.[address.address.toLowerCase()];
      if (planned && (planned.times === undefined || planned.times > 0)) {
        if (planned.times !== undefined) planned.times -= 1;
        return callback(smtpError(planned.code, planned.code >= 500 ? '5.1.1 Mailbox unavailable' : '4.2.1 Try again later'));
      }
      if (failures.rcptTo)
        return callback(smtpError(failures.rcptTo, failures.rcptTo >= 500 ? '5.1.1 Mailbox unavailable' : '4.2.1 Try again later'));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failures.data)
          return callback(smtpError(failures.data, failures.data >= 500 ? '5.6.0 Message refused' : '4.3.0 Temporary failure, try later'));
        state.received += 1;
        if (record) {
          const raw = Buffer.concat(chunks).toString('utf8');
          state.messages.push({
            ...parseMessage(raw),
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            authUser: typeof session.user === 'string' ? session.user : undefined,
            secure: session.secure,
          });
        }
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
  });

  const api: TestSmtpServer = {
    host: '127.0.0.1',
    port,
    get messages() {
      return state.messages;
    },
    get received() {
      return state.received;
    },
    get connections() {
      return state.connections;
    },
    get authAttempts() {
      return state.authAttempts;
    },
    failures,
    waitForMessages: (count, timeoutMs = 10_000) =>
      waitFor(() => (state.messages.length >= count ? state.messages : undefined), timeoutMs, `${count} message(s) on port ${port}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return api;
}

/** Unfolds headers and decodes a quoted-printable or base64 text body: enough for assertions. */
export function parseMessage(raw: string): Pick<ReceivedMessage, 'headers' | 'from' | 'to' | 'subject' | 'text' | 'raw'> {
  const split = raw.indexOf('\r\n\r\n');
  const head = split >= 0 ? raw.slice(0, split) : raw;
  let body = split >= 0 ? raw.slice(split + 4) : '';
  const headers = new Map<string, string[]>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const contentType = headers.get('content-type')?.[0] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  let encoding = headers.get('content-transfer-encoding')?.[0]?.toLowerCase() ?? '7bit';
  if (boundary) {
    // multipart/alternative: take the text/plain part.
    const parts = body.split(`--${boundary}`);
    const textPart = parts.find((p) => /content-type:\s*text\/plain/i.test(p)) ?? '';
    const inner = textPart.indexOf('\r\n\r\n');
    encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(textPart.slice(0, inner))?.[1]?.toLowerCase() ?? '7bit';
    body = inner >= 0 ? textPart.slice(inner + 4).replace(/\r\n$/, '') : '';
  }
  let text = body;
  if (encoding === 'quoted-printable') {
    text = Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  } else if (encoding === 'base64') {
    text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  const first = (name: string) => headers.get(name)?.[0] ?? '';
  return { headers, from: first('from'), to: first('to'), subject: first('subject'), text: text.replace(/\r\n$/, ''), raw };
}

export { waitFor };

export interface CountingServer {
  port: number;
  connections: number;
  close(): Promise<void>;
}

/**
 * A TCP listener that accepts and counts connections. `behaviour`: `silent` never greets (a port that
 * is open but does not speak SMTP), `drop` closes each connection at once, `count` only counts.
 * Listens on `::` (dual stack) so IPv4, IPv6 and mapped loopback probes would all be seen.
 */
export async function startTcpServer(behaviour: 'silent' | 'drop' | 'count' = 'count', host = '::'): Promise<CountingServer> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (behaviour === 'drop') socket.destroy();
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
  return {
    port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface OAuth2ServerOptions {
  clientId: string;
  clientSecret: string;
  scope?: string;
  audience?: string;
  /** Headers every token request must carry (name lower-case → value). */
  requiredHeaders?: Record<string, string>;
  expiresIn?: number;
  /** Answers every request with this instead (an endpoint that misbehaves); settable later on the server too. */
  answer?: { status: number; body: unknown };
}

export interface TestOAuth2Server {
  url: string;
  port: number;
  /** Token requests seen, successful or not. */
  requests: number;
  issued: string[];
  isValid(token: string): boolean;
  /** Revokes every token issued so far. */
  revokeAll(): void;
  /** Replaces every answer with this one (undefined: back to normal). */
  answer: { status: number; body: unknown } | undefined;
  close(): Promise<void>;
}

/** A client-credentials token endpoint (RFC 6749 §4.4) with form-encoded requests and JSON answers. */
export async function startOAuth2Server(options: OAuth2ServerOptions): Promise<TestOAuth2Server> {
  const valid = new Set<string>();
  const state = { requests: 0, issued: [] as string[] };
  const api = { answer: options.answer } as TestOAuth2Server;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests += 1;
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (api.answer) return answer(api.answer.status, api.answer.body);
      if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        return answer(400, { error: 'invalid_request' });
      }
      for (const [name, value] of Object.entries(options.requiredHeaders ?? {})) {
        if (req.headers[name.toLowerCase()] !== value)
          return answer(400, { error: 'invalid_request', error_description: `missing ${name}` });
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (form.get('grant_type') !== 'client_credentials') return answer(400, { error: 'unsupported_grant_type' });
      if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) {
        return answer(401, { error: 'invalid_client' });
      }
      if (options.scope !== undefined && form.get('scope') !== options.scope) return answer(400, { error: 'invalid_scope' });
      if (options.audience !== undefined && form.get('audience') !== options.audience) return answer(400, { error: 'invalid_target' });
      const token = randomBytes(24).toString('base64url');
      valid.add(token);
      state.issued.push(token);
      answer(200, { access_token: token, token_type: 'Bearer', expires_in: options.expiresIn ?? 3600 });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  // Property descriptors, not Object.assign: the counters are live getters.
  const live: Omit<TestOAuth2Server, 'answer'> = {
    url: `http://127.0.0.1:${port}/oauth2/token`,
    port,
    get requests() {
      return state.requests;
    },
    get issued() {
      return state.issued;
    },
    isValid: (token) => valid.has(token),
    revokeAll: () => valid.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  Object.defineProperties(api, Object.getOwnPropertyDescriptors(live));
  return api;
}
