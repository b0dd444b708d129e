/**
 * The mailer: sends through a target (a resolved profile), checks the egress guard before every
 * connection of a guarded target, keeps one pooled nodemailer transport per profile and version, and
 * classifies every failure by stage. It owns no state about profiles or tenants; it must never log or
 * return a credential, a token or a message body.
 */
import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { CheckedDestination, EgressPolicy } from './egress-guard';
import { assertSendable, messageIdentity, OutgoingEmail } from './message';
import { composeMime, foldableText } from './mime';
import { OAuth2TokenClient } from './oauth2-token-client';
import { classifySmtpError, SmtpDeliveryError, SmtpStage } from './smtp-failure';
import { authUsername, SmtpTarget } from './smtp-target';
import { connectionOptions, DEFAULT_TIMEOUTS, SmtpTimeouts } from './transport-options';

export const MAILER_OPTIONS = Symbol('MailerOptions');

export interface MailerOptions {
  timeouts?: Partial<SmtpTimeouts>;
  /** Connections per pooled transport. */
  maxConnections?: number;
}

export interface SendResult {
  messageId: string;
  response: string | null;
  accepted: string[];
  rejected: string[];
}

export interface VerificationTimings {
  dns_ms: number;
  connect_ms: number;
  oauth_token_ms?: number;
  auth_ms?: number;
  send_ms?: number;
  total_ms: number;
}

export interface VerificationResult extends Partial<SendResult> {
  mode: 'send' | 'connect';
  timings: VerificationTimings;
}

interface PooledEntry {
  fingerprint: string;
  transporter: Transporter<SMTPPool.SentMessageInfo>;
}

type ProvisionCallback = (user: string, renew: boolean, callback: (err: Error | null, accessToken?: string) => void) => void;

/**
 * What nodemailer is given for one message: the finished MIME text (`composeMime`) with its envelope,
 * or, for what that composer does not handle, the fields for nodemailer's own. Either way the
 * Message-ID is ours, so the one returned is the one sent.
 */
function prepareMessage(
  target: SmtpTarget,
  email: OutgoingEmail,
): { messageId: string; envelope: { from: string; to: string[] }; options: Mail.Options } {
  const fromAddress = email.fromEmail ?? target.sender.email;
  const fromName = target.sender.name ?? '';
  const identity = messageIdentity(fromAddress);
  const envelope = { from: fromAddress, to: [email.to] };
  const raw = composeMime({
    fromName,
    fromAddress,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    ...identity,
    date: new Date(),
  });
  const options: Mail.Options = raw
    ? { envelope, raw, messageId: identity.messageId }
    : {
        ...identity,
        from: { name: fromName, address: fromAddress },
        to: email.to,
        // nodemailer folds only at spaces: a long unbroken subject would make a line over 998 octets.
        subject: foldableText('Subject', email.subject),
        text: email.text,
        ...(email.html !== undefined ? { html: email.html } : {}),
        disableFileAccess: true,
        disableUrlAccess: true,
      };
  return { messageId: identity.messageId, envelope, options };
}

@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly logger = new Logger(Mailer.name);
  private readonly pooled = new Map<string, PooledEntry>();
  private readonly timeouts: SmtpTimeouts;
  private readonly maxConnections: number;

  constructor(
    private readonly egress: EgressPolicy,
    private readonly tokens: OAuth2TokenClient,
    @Optional() @Inject(MAILER_OPTIONS) options: MailerOptions | null = null,
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...(options?.timeouts ?? {}) };
    this.maxConnections = options?.maxConnections ?? 5;
  }

  /** Sends one message through the target's pooled transport. Throws `SmtpDeliveryError` or the guard's refusal. */
  async send(target: SmtpTarget, email: OutgoingEmail): Promise<SendResult> {
    assertSendable(email, target.sender.email, target.sender.name);
    const dest = await this.checkDestination(target);
    if (target.auth.type === 'oauth2') await this.tokens.getToken(target.auth, target.guarded ? this.egress : undefined);
    const transporter = this.transportFor(target, dest);
    try {
      const info = await transporter.sendMail(prepareMessage(target, email).options);
      return {
        messageId: info.messageId,
        response: typeof info.response === 'string' ? info.response : null,
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
      };
    } catch (error) {
      const failure = classifySmtpError(error);
      // A pool that could not reach the server starts over next time instead of reusing its state.
      if (failure.stage === 'CONNECT' || failure.stage === 'TIMEOUT' || failure.stage === 'TLS') this.evict(target.cacheKey);
      throw new SmtpDeliveryError(failure);
    }
  }

  /**
   * A one-off conversation (never pooled) for test emails: connect, TLS, authenticate and, in `send`
   * mode, transfer the message; every step is timed and a failure names its stage.
   */
  async verify(target: SmtpTarget, email: OutgoingEmail | undefined): Promise<VerificationResult> {
    if (email) assertSendable(email, target.sender.email, target.sender.name);
    const started = performance.now();
    const lap = (() => {
      let last = started;
      return () => {
        const now = performance.now();
        const ms = Math.round((now - last) * 10) / 10;
        last = now;
        return ms;
      };
    })();
    const dest = await this.checkDestination(target);
    const timings: VerificationTimings = { dns_ms: lap(), connect_ms: 0, total_ms: 0 };

    const connection = new SMTPConnection(connectionOptions(target, dest, this.timeouts));
    let failed: ((error: unknown) => void) | undefined;
    connection.on('error', (error: unknown) => failed?.(error));
    const step = <T>(phase: SmtpStage, run: (done: (error: Error | null, value?: T) => void) => void): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const fail = (error: unknown) => reject(new SmtpDeliveryError(classifySmtpError(error, phase)));
        failed = fail;
        run((error, value) => (error ? fail(error) : resolve(value as T)));
      });
    try {
      await step<void>('CONNECT', (done) => connection.connect((error?: Error) => done(error ?? null)));
      timings.connect_ms = lap();
      const auth = target.auth;
      if (auth.type === 'basic') {
        await step<boolean>('AUTH', (done) => connection.login({ user: auth.username, pass: auth.password }, done));
        timings.auth_ms = lap();
      } else if (auth.type === 'oauth2') {
        const egress = target.guarded ? this.egress : undefined;
        await this.tokens.getToken(auth, egress);
        timings.oauth_token_ms = lap();
        const user = authUsername(target)!;
        const oauth2 = {
          getToken: (renew: boolean, cb: (err: Error | null, token?: string) => void) =>
            this.tokens.getToken(auth, egress, renew).then((t) => cb(null, t), cb),
          buildXOAuth2Token: (token: string) => Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64'),
        };
        await step<boolean>('AUTH', (done) =>
          connection.login({ user, oauth2 } as unknown as SMTPConnection.AuthenticationCredentials, done),
        );
        timings.auth_ms = lap();
      }
      if (!email) {
        timings.total_ms = Math.round((performance.now() - started) * 10) / 10;
        return { mode: 'connect', timings };
      }
      const message = prepareMessage(target, email);
      const raw = Buffer.isBuffer(message.options.raw)
        ? message.options.raw
        : await new Promise<Buffer>((resolve, reject) =>
            new MailComposer(message.options).compile().build((err, built) => (err ? reject(err) : resolve(built))),
          );
      const info = await step<SMTPConnection.SentMessageInfo>('DATA', (done) => connection.send(message.envelope, raw, done));
      timings.send_ms = lap();
      timings.total_ms = Math.round((performance.now() - started) * 10) / 10;
      return {
        mode: 'send',
        timings,
        messageId: message.messageId,
        response: typeof info.response === 'string' ? info.response : null,
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
      };
    } finally {
      failed = undefined;
      connection.on('error', () => undefined);
      try {
        connection.quit();
      } catch {
        // already gone
      }
      connection.close();
    }
  }

  /** Closes the pooled transport of a profile (e.g. when it was deleted). */
  evict(cacheKey: string): void {
    const entry = this.pooled.get(cacheKey);
    if (!entry) return;
    this.pooled.delete(cacheKey);
    entry.transporter.close();
  }

  onApplicationShutdown(): void {
    for (const key of [...this.pooled.keys()]) this.evict(key);
  }

  get pooledCount(): number {
    return this.pooled.size;
  }

  private async checkDestination(target: SmtpTarget): Promise<CheckedDestination | undefined> {
    return target.guarded ? this.egress.check(target.host, target.port) : undefined;
  }

  /** One pooled transport per profile; a new version (or a new checked address) replaces and closes the old one. */
  private transportFor(target: SmtpTarget, dest: CheckedDestination | undefined): Transporter<SMTPPool.SentMessageInfo> {
    const fingerprint = `${target.version}|${dest?.address ?? '-'}`;
    const existing = this.pooled.get(target.cacheKey);
    if (existing?.fingerprint === fingerprint) return existing.transporter;
    if (existing) existing.transporter.close();

    const auth = target.auth;
    let authOptions: Record<string, unknown> | undefined;
    if (auth.type === 'basic') authOptions = { user: auth.username, pass: auth.password };
    else if (auth.type === 'oauth2') {
      const egress = target.guarded ? this.egress : undefined;
      const provisionCallback: ProvisionCallback = (_user, renew, callback) => {
        this.tokens.getToken(auth, egress, renew).then(
          (token) => callback(null, token),
          (error: unknown) => callback(error instanceof Error ? error : new Error('token request failed')),
        );
      };
      authOptions = { type: 'OAuth2', user: authUsername(target), provisionCallback };
    }
    const transporter = nodemailer.createTransport({
      ...connectionOptions(target, dest, this.timeouts),
      pool: true,
      maxConnections: this.maxConnections,
      maxMessages: Infinity,
      ...(authOptions ? { auth: authOptions } : {}),
      disableFileAccess: true,
      disableUrlAccess: true,
    } as SMTPPool.Options);
    transporter.on('error', (error: unknown) =>
      this.logger.warn({ profile: target.cacheKey, code: (error as { code?: string }).code }, 'SMTP pool error'),
    );
    this.pooled.set(target.cacheKey, { fingerprint, transporter });
    return transporter;
  }
}
