/**
 * The mailer against real SMTP servers (smtp-server) with real TLS and a real OAuth2 token endpoint,
 * all on 127.0.0.1. The egress policy here allows 127.0.0.1/32 and the test servers' ports, the way an
 * operator would allow an internal relay; the guard probes further down use a policy that allows nothing.
 */
import net from 'node:net';
import { simpleParser } from 'mailparser';
import { EgressPolicy, HostLookup, Mailer, OAuth2TokenClient, SmtpDeliveryError, SmtpTarget } from '@mailstrata/mailer';
import { startOAuth2Server, startSmtpServer, startTcpServer, testCertificates, TestOAuth2Server, TestSmtpServer } from '../support/smtp';

const loopbackNames: HostLookup = async (host) => {
  if (host.endsWith('.mailstrata.test') || host === 'localhost') return ['127.0.0.1'];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

function target(server: { port: number }, overrides: Partial<SmtpTarget> = {}): SmtpTarget {
  return {
    cacheKey: `test:${server.port}`,
    version: '1',
    host: '127.0.0.1',
    port: server.port,
    tlsMode: 'none',
    insecure: false,
    auth: { type: 'none' },
    sender: { email: 'noreply@partner.example', name: 'Partner Ops' },
    retries: 0,
    guarded: true,
    ...overrides,
  };
}

const email = { to: 'user@customer.example', subject: 'Hello from mailstrata', text: 'Line one.\nLine two: ünïcode.' };

async function failureOf(promise: Promise<unknown>): Promise<SmtpDeliveryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SmtpDeliveryError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('mailer against real SMTP servers', () => {
  const servers: { close(): Promise<void> }[] = [];
  const started = async <T extends { close(): Promise<void> }>(s: Promise<T>): Promise<T> => {
    const server = await s;
    servers.push(server);
    return server;
  };
  const certs = testCertificates();
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  /** A policy that allows 127.0.0.1 and the given ports (the guard runs on every test here). */
  const mailerFor = (...ports: number[]) =>
    new Mailer(new EgressPolicy(['127.0.0.1/32'], ports, loopbackNames), new OAuth2TokenClient(), {
      timeouts: { greetingMs: 800, connectionMs: 2_000, socketMs: 3_000 },
    });

  it('sends over plain SMTP without auth; the server receives exactly what was sent', async () => {
    const server = await started(startSmtpServer());
    const m = mailerFor(server.port);
    const result = await m.send(target(server), { ...email, html: '<p>Line one.</p>' });
    const [msg] = await server.waitForMessages(1);
    expect(result.accepted).toEqual(['user@customer.example']);
    expect(result.messageId).toMatch(/^<.+@.+>$/);
    expect(msg!.envelopeFrom).toBe('noreply@partner.example');
    expect(msg!.envelopeTo).toEqual(['user@customer.example']);
    expect(msg!.from).toBe('Partner Ops <noreply@partner.example>');
    expect(msg!.to).toBe('user@customer.example');
    expect(msg!.subject).toBe('Hello from mailstrata');
    expect(msg!.text).toBe('Line one.\nLine two: ünïcode.'.replace(/\n/g, '\r\n'));
    expect(msg!.headers.get('message-id')).toEqual([result.messageId]);
    expect([...msg!.headers.keys()].sort()).toEqual(['content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to']);
    m.onApplicationShutdown();
  });

  it('puts no line over 998 octets on the wire, through our composer and through nodemailer (non-ASCII address)', async () => {
    const server = await started(startSmtpServer());
    const m = mailerFor(server.port);
    const long = {
      subject: 'S'.repeat(998),
      text: 'T'.repeat(3000) + '\n' + 'ü'.repeat(2000) + '\n.leading dot',
      html: `<p>${'H'.repeat(3000)}</p><p>${'件'.repeat(1500)}</p>`,
    };
    const cases = [
      { to: 'user@customer.example', ...long },
      { to: 'jörg@customer.example', ...long },
      { to: 'user@customer.example', subject: '件名'.repeat(499), text: 'x'.repeat(998 * 2) },
      { to: 'jörg@customer.example', subject: 'x'.repeat(500) + ' ' + 'y'.repeat(497), text: 'plain' },
    ];
    for (const c of cases) await m.send(target(server), c);
    const received = await server.waitForMessages(cases.length);
    for (const [i, msg] of received.entries()) {
      const lines = msg.raw.split('\r\n');
      const longest = Math.max(...lines.map((line) => Buffer.byteLength(line, 'utf8')));
      expect({ case: i, longest: longest <= 998 ? 'within 998' : longest }).toEqual({ case: i, longest: 'within 998' });
      const parsed = await simpleParser(msg.raw);
      expect(parsed.subject).toBe(cases[i]!.subject);
      expect(parsed.text?.replace(/\r?\n$/, '').replace(/\r\n/g, '\n')).toBe(cases[i]!.text);
      if ('html' in cases[i]!) expect(parsed.html).toBe(cases[i]!.html);
    }
    m.onApplicationShutdown();
  });

  it('refuses CR/LF in subject or recipient before connecting', async () => {
    const server = await started(startSmtpServer());
    const m = mailerFor(server.port);
    await expect(m.send(target(server), { ...email, subject: 'Hi\r\nBcc: victim@example.com' })).rejects.toMatchObject({
      code: 'INVALID_EMAIL_MESSAGE',
      errors: [expect.objectContaining({ field: 'subject', rule: 'no_line_breaks' })],
    });
    await expect(m.send(target(server), { ...email, to: 'a@example.com\nBcc: b@example.com' })).rejects.toMatchObject({
      code: 'INVALID_EMAIL_MESSAGE',
    });
    expect(server.connections).toBe(0);
  });

  it('STARTTLS with AUTH PLAIN, trusting a private CA through ca_cert', async () => {
    const server = await started(startSmtpServer({ tls: 'starttls', users: { alice: 's3cret-PLAIN' }, authMethods: ['PLAIN'] }));
    const m = mailerFor(server.port);
    await m.send(
      target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: { type: 'basic', username: 'alice', password: 's3cret-PLAIN' } }),
      email,
    );
    const [msg] = await server.waitForMessages(1);
    expect(msg!.secure).toBe(true);
    expect(msg!.authUser).toBe('alice');
    expect(server.authAttempts).toEqual([{ method: 'PLAIN', username: 'alice', ok: true }]);
    m.onApplicationShutdown();
  });

  it('STARTTLS with AUTH LOGIN', async () => {
    const server = await started(startSmtpServer({ tls: 'starttls', users: { bob: 'login-pass' }, authMethods: ['LOGIN'] }));
    const m = mailerFor(server.port);
    await m.send(
      target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: { type: 'basic', username: 'bob', password: 'login-pass' } }),
      email,
    );
    await server.waitForMessages(1);
    expect(server.authAttempts).toEqual([{ method: 'LOGIN', username: 'bob', ok: true }]);
    m.onApplicationShutdown();
  });

  it('implicit TLS', async () => {
    const server = await started(startSmtpServer({ tls: 'implicit' }));
    const m = mailerFor(server.port);
    await m.send(target(server, { tlsMode: 'implicit', caCert: certs.caCert }), email);
    const [msg] = await server.waitForMessages(1);
    expect(msg!.secure).toBe(true);
    m.onApplicationShutdown();
  });

  it('a server with a private-CA certificate is refused without ca_cert or with the wrong CA, accepted with use_insecure', async () => {
    const server = await started(startSmtpServer({ tls: 'implicit' }));
    const m = mailerFor(server.port);
    const noCa = await failureOf(m.verify(target(server, { tlsMode: 'implicit' }), undefined));
    expect(noCa.stage).toBe('TLS');
    expect(noCa.extensions.hint).toMatch(/ca_cert/);
    const wrongCa = await failureOf(m.verify(target(server, { tlsMode: 'implicit', caCert: certs.otherCaCert }), undefined));
    expect(wrongCa.stage).toBe('TLS');
    const starttls = await started(startSmtpServer({ tls: 'starttls' }));
    const m2 = mailerFor(starttls.port);
    expect((await failureOf(m2.verify(target(starttls, { tlsMode: 'starttls' }), undefined))).stage).toBe('TLS');
    await m.verify(target(server, { tlsMode: 'implicit', insecure: true }), undefined);
    expect(server.messages).toHaveLength(0);
  });

  it('STARTTLS required: a server without STARTTLS is refused at the TLS stage, nothing sent in clear', async () => {
    const server = await started(startSmtpServer({ tls: 'none' }));
    const m = mailerFor(server.port);
    const f = await failureOf(m.send(target(server, { tlsMode: 'starttls', caCert: certs.caCert }), email));
    expect(f.stage).toBe('TLS');
    expect(server.received).toBe(0);
    m.onApplicationShutdown();
  });

  it('connects to the checked address while TLS verifies the profile host name', async () => {
    const server = await started(startSmtpServer({ tls: 'starttls' }));
    const m = mailerFor(server.port);
    // mail.mailstrata.test → 127.0.0.1 and the certificate names it: accepted.
    await m.send(target(server, { host: 'mail.mailstrata.test', tlsMode: 'starttls', caCert: certs.caCert }), email);
    await server.waitForMessages(1);
    // other.mailstrata.test → the same 127.0.0.1, which the certificate also names; the name is not: refused.
    const f = await failureOf(
      m.send(target(server, { cacheKey: 'other', host: 'other.mailstrata.test', tlsMode: 'starttls', caCert: certs.caCert }), email),
    );
    expect(f.stage).toBe('TLS');
    m.onApplicationShutdown();
  });

  it('a server that demands a client certificate accepts the configured one and refuses without it', async () => {
    const server = await started(startSmtpServer({ tls: 'implicit', requireClientCert: true }));
    const m = mailerFor(server.port);
    const without = await failureOf(m.verify(target(server, { tlsMode: 'implicit', caCert: certs.caCert }), undefined));
    expect(['TLS', 'CONNECT']).toContain(without.stage);
    const result = await m.verify(
      target(server, { tlsMode: 'implicit', caCert: certs.caCert, clientCert: certs.clientCert, clientKey: certs.clientKey }),
      email,
    );
    expect(result.accepted).toEqual(['user@customer.example']);
    await server.waitForMessages(1);
  });

  describe('XOAUTH2 with client-credentials tokens', () => {
    let idp: TestOAuth2Server;
    let server: TestSmtpServer;
    let m: Mailer;
    const oauth = () => ({
      type: 'oauth2' as const,
      tokenEndpoint: idp.url,
      clientId: 'mailstrata-client',
      clientSecret: 'oauth-client-secret-42',
      scope: 'https://outlook.office365.com/.default',
      audience: 'smtp',
      requestHeaders: [{ name: 'X-Tenant', value: 'contoso' }],
    });
    beforeAll(async () => {
      idp = await started(
        startOAuth2Server({
          clientId: 'mailstrata-client',
          clientSecret: 'oauth-client-secret-42',
          scope: 'https://outlook.office365.com/.default',
          audience: 'smtp',
          requiredHeaders: { 'x-tenant': 'contoso' },
        }),
      );
      server = await started(
        startSmtpServer({ tls: 'starttls', xoauth2: (user, token) => user === 'noreply@partner.example' && idp.isValid(token) }),
      );
      m = mailerFor(server.port);
    });
    afterAll(() => m.onApplicationShutdown());

    it('fetches a token with the configured scope, audience and headers, authenticates as the sender and caches the token', async () => {
      await m.send(target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: oauth() }), email);
      await m.send(target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: oauth() }), { ...email, subject: 'second' });
      await m.verify(target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: oauth() }), undefined);
      await server.waitForMessages(2);
      expect(idp.requests).toBe(1);
      expect(server.authAttempts.every((a) => a.method === 'XOAUTH2' && a.ok && a.username === 'noreply@partner.example')).toBe(true);
    });

    it('a revoked token is renewed once when the server refuses it', async () => {
      idp.revokeAll();
      const result = await m.verify(target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: oauth() }), email);
      expect(result.accepted).toHaveLength(1);
      expect(idp.requests).toBe(2);
    });

    it('a wrong client secret fails at OAUTH_TOKEN without a permanent retry hint', async () => {
      const f = await failureOf(
        m.verify(target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: { ...oauth(), clientSecret: 'wrong' } }), undefined),
      );
      expect(f.stage).toBe('OAUTH_TOKEN');
      expect(f.failure.transient).toBe(false);
      expect(f.extensions.smtp_response).toBe('the token endpoint answered 401 invalid_client');
      expect(JSON.stringify(f.extensions)).not.toContain('wrong');
    });

    it('a missing custom header or wrong scope is refused by the token endpoint', async () => {
      const noHeader = await failureOf(
        m.verify(target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: { ...oauth(), requestHeaders: [] } }), undefined),
      );
      expect(noHeader.stage).toBe('OAUTH_TOKEN');
      const badScope = await failureOf(
        m.verify(target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: { ...oauth(), scope: 'other' } }), undefined),
      );
      expect(badScope.extensions.smtp_response).toBe('the token endpoint answered 400 invalid_scope');
    });
  });

  describe('failures are classified by stage with the server reply', () => {
    it('535 on AUTH: stage AUTH, permanent', async () => {
      const server = await started(startSmtpServer({ tls: 'starttls', users: { alice: 'right' } }));
      const f = await failureOf(
        mailerFor(server.port).verify(
          target(server, {
            tlsMode: 'starttls',
            caCert: certs.caCert,
            auth: { type: 'basic', username: 'alice', password: 'wrong-password-xyz' },
          }),
          undefined,
        ),
      );
      expect(f.stage).toBe('AUTH');
      expect(f.extensions.smtp_code).toBe(535);
      expect(f.extensions.smtp_response).toMatch(/^535 /);
      expect(f.failure.transient).toBe(false);
      expect(JSON.stringify({ ...f.extensions, detail: f.detail })).not.toContain('wrong-password-xyz');
    });

    it('550 on RCPT TO: stage RCPT_TO, permanent', async () => {
      const server = await started(startSmtpServer({ failures: { rcptTo: 550 } }));
      const m = mailerFor(server.port);
      const f = await failureOf(m.send(target(server), email));
      expect(f.stage).toBe('RCPT_TO');
      expect(f.extensions.smtp_code).toBe(550);
      expect(f.failure.transient).toBe(false);
      m.onApplicationShutdown();
    });

    it('451 after DATA: stage DATA, transient', async () => {
      const server = await started(startSmtpServer({ failures: { data: 451 } }));
      const m = mailerFor(server.port);
      const f = await failureOf(m.send(target(server), email));
      expect(f.stage).toBe('DATA');
      expect(f.extensions.smtp_code).toBe(451);
      expect(f.failure.transient).toBe(true);
      const v = await failureOf(m.verify(target(server), email));
      expect(v.stage).toBe('DATA');
      m.onApplicationShutdown();
    });

    it('a server that never greets: stage TIMEOUT, transient', async () => {
      const silent = await started(startTcpServer('silent', '127.0.0.1'));
      const f = await failureOf(mailerFor(silent.port).verify(target(silent), undefined));
      expect(f.stage).toBe('TIMEOUT');
      expect(f.failure.transient).toBe(true);
      expect(silent.connections).toBe(1);
    });

    it('a server that drops the connection: stage CONNECT, transient', async () => {
      const dropping = await started(startTcpServer('drop', '127.0.0.1'));
      const f = await failureOf(mailerFor(dropping.port).verify(target(dropping), undefined));
      expect(f.stage).toBe('CONNECT');
      expect(f.failure.transient).toBe(true);
    });

    it('nothing listening: stage CONNECT', async () => {
      const gone = await startTcpServer('count', '127.0.0.1');
      await gone.close();
      const f = await failureOf(mailerFor(gone.port).verify(target(gone), undefined));
      expect(f.stage).toBe('CONNECT');
    });

    it('a name that does not resolve: stage DNS', async () => {
      const f = await failureOf(mailerFor().verify(target({ port: 587 }, { host: 'nowhere.invalid' }), undefined));
      expect(f.stage).toBe('DNS');
    });
  });

  it('connect mode checks connect, TLS and auth without sending, with per-stage timings', async () => {
    const server = await started(startSmtpServer({ tls: 'starttls', users: { alice: 'pw-123456' } }));
    const result = await mailerFor(server.port).verify(
      target(server, { tlsMode: 'starttls', caCert: certs.caCert, auth: { type: 'basic', username: 'alice', password: 'pw-123456' } }),
      undefined,
    );
    expect(result.mode).toBe('connect');
    expect(result.timings.connect_ms).toBeGreaterThan(0);
    expect(result.timings.auth_ms).toBeGreaterThan(0);
    expect(result.timings.total_ms).toBeGreaterThanOrEqual(result.timings.connect_ms);
    expect(server.authAttempts).toHaveLength(1);
    expect(server.received).toBe(0);
  });

  it('reuses one pooled transport per profile version and replaces it when the version changes', async () => {
    const server = await started(startSmtpServer());
    const m = mailerFor(server.port);
    for (let i = 0; i < 5; i++) await m.send(target(server), { ...email, subject: `n${i}` });
    expect(server.connections).toBe(1);
    await m.send(target(server, { version: '2' }), email);
    expect(server.connections).toBe(2);
    expect(m.pooledCount).toBe(1);
    m.onApplicationShutdown();
    expect(m.pooledCount).toBe(0);
  });
});

describe('egress guard probes', () => {
  it('refuses every internal destination before any connection is attempted', async () => {
    const listener = await startTcpServer('count', '::');
    const resolved: string[] = [];
    const lookup: HostLookup = async (host) => {
      resolved.push(host);
      if (host === 'localhost' || host === 'loopback.mailstrata.test') return ['127.0.0.1'];
      if (host === 'sneaky.mailstrata.test') return ['93.184.215.14', '10.0.0.7'];
      throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    // Allows the listener's port but no networks: only public unicast addresses would pass.
    const m = new Mailer(new EgressPolicy([], [listener.port], lookup), new OAuth2TokenClient());
    const connect = jest.spyOn(net.Socket.prototype, 'connect');
    try {
      const probes: [string, number][] = [
        ['127.0.0.1', listener.port],
        ['::1', listener.port],
        ['[::1]', listener.port],
        ['::ffff:127.0.0.1', listener.port],
        ['0.0.0.0', listener.port],
        ['169.254.169.254', listener.port],
        ['10.20.30.40', listener.port],
        ['192.168.1.1', listener.port],
        ['100.100.100.200', listener.port],
        ['fd00:ec2::254', listener.port],
        ['localhost', listener.port],
        ['2130706433', listener.port],
        ['0x7f000001', listener.port],
        ['loopback.mailstrata.test', listener.port],
        ['sneaky.mailstrata.test', listener.port],
        ['93.184.215.14', 22],
        ['93.184.215.14', 6379],
      ];
      const answers = new Set<string>();
      for (const [host, port] of probes) {
        const probe = {
          cacheKey: host,
          version: '1',
          host,
          port,
          tlsMode: 'none' as const,
          insecure: false,
          auth: { type: 'none' as const },
          sender: { email: 'a@partner.example' },
          retries: 0,
          guarded: true,
        };
        let caught: any;
        try {
          await m.verify(probe, undefined);
        } catch (error) {
          caught = error;
        }
        expect({ host, port, code: caught?.code }).toEqual({ host, port, code: 'SMTP_DESTINATION_REFUSED' });
        answers.add(JSON.stringify([caught.kind, caught.detail, caught.extensions]));
        let caughtSend: any;
        try {
          await m.send(probe, { to: 'x@customer.example', subject: 's', text: 't' });
        } catch (error) {
          caughtSend = error;
        }
        expect(caughtSend?.code).toBe('SMTP_DESTINATION_REFUSED');
      }
      // One uniform answer, whatever the reason.
      expect(answers.size).toBe(1);
      expect(connect).not.toHaveBeenCalled();
      expect(listener.connections).toBe(0);
      expect(resolved).toEqual(expect.arrayContaining(['localhost', 'loopback.mailstrata.test', 'sneaky.mailstrata.test']));
      expect(resolved).not.toContain('2130706433');

      // The listener is reachable once the operator allows loopback: the counter would have seen probes.
      const allowed = new Mailer(new EgressPolicy(['127.0.0.1/32'], [listener.port], lookup), new OAuth2TokenClient(), {
        timeouts: { greetingMs: 300 },
      });
      await expect(
        allowed.verify(
          {
            cacheKey: 'ok',
            version: '1',
            host: '127.0.0.1',
            port: listener.port,
            tlsMode: 'none',
            insecure: false,
            auth: { type: 'none' },
            sender: { email: 'a@partner.example' },
            retries: 0,
            guarded: true,
          },
          undefined,
        ),
      ).rejects.toMatchObject({ failure: expect.objectContaining({ stage: 'TIMEOUT' }) });
      expect(connect).toHaveBeenCalled();
      await waitForConnections(listener, 1);
    } finally {
      connect.mockRestore();
      await listener.close();
    }
  });

  it('save-time check accepts a name that does not resolve yet but refuses internal literals and bad ports', async () => {
    const policy = new EgressPolicy([], [], async () => {
      throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    });
    await expect(policy.checkAtSave('smtp.internal-only.example', 587)).resolves.toBeUndefined();
    await expect(policy.checkAtSave('127.0.0.1', 587)).rejects.toMatchObject({ code: 'SMTP_DESTINATION_REFUSED' });
    await expect(policy.checkAtSave('smtp.example.com', 22)).rejects.toMatchObject({ code: 'SMTP_DESTINATION_REFUSED' });
    await expect(policy.check('smtp.internal-only.example', 587)).rejects.toMatchObject({
      failure: expect.objectContaining({ stage: 'DNS' }),
    });
  });
});

async function waitForConnections(server: { connections: number }, n: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (server.connections < n) {
    if (Date.now() > deadline) throw new Error('no connection arrived');
    await new Promise((r) => setTimeout(r, 10));
  }
}
